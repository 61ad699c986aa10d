from __future__ import annotations

from softswitch.rtp.sequence import MAX_DROPOUT, SourceSequence, unwrap


def test_unwrap_picks_nearest() -> None:
    assert unwrap(2, 65534, 16) == 65538
    assert unwrap(65534, 65538, 16) == 65534
    assert unwrap(5, 10, 16) == 5
    assert unwrap(10, 2**32 - 10, 32) == 2**32 + 10


def test_wraparound_counts_cycles_not_loss() -> None:
    seq = SourceSequence(65530, probation=0)
    for n in range(65530, 65530 + 20):
        assert seq.update(n & 0xFFFF).valid
    assert seq.cycles == 65536
    assert seq.extended_max == 65530 + 19
    assert seq.lost == 0
    assert seq.received == 20


def test_probation_needs_two_in_sequence() -> None:
    seq = SourceSequence(100)
    assert not seq.update(100).valid
    assert not seq.update(200).valid  # not consecutive: probation starts again
    verdict = seq.update(201)
    assert verdict.valid and verdict.restarted
    assert seq.base_seq == 201 and seq.received == 1


def test_loss_and_fraction() -> None:
    seq = SourceSequence(0, probation=0)
    for n in range(10):
        if n not in (3, 4):
            seq.update(n)
    assert seq.expected == 10 and seq.received == 8 and seq.lost == 2
    assert seq.interval_fraction_lost() == (2 << 8) // 10
    for n in range(10, 20):
        seq.update(n)
    assert seq.interval_fraction_lost() == 0


def test_duplicates_make_loss_negative() -> None:
    seq = SourceSequence(0, probation=0)
    for n in (0, 1, 1, 2):
        seq.update(n)
    assert seq.lost == -1


def test_late_packet_gets_its_extended_number_after_wrap() -> None:
    seq = SourceSequence(65534, probation=0)
    for n in (65534, 0, 1):
        seq.update(n)
    assert seq.update(65535).extended == 65535
    assert seq.extended_max == 65536 + 1


def test_big_jump_dropped_unless_followed() -> None:
    seq = SourceSequence(0, probation=0)
    seq.update(0)
    jump = MAX_DROPOUT + 100
    assert not seq.update(jump).valid
    assert seq.update(1).valid  # the stream goes on; the stray packet is forgotten
    assert not seq.update(jump).valid
    verdict = seq.update(jump + 1)  # the sender really restarted
    assert verdict.valid and verdict.restarted
    assert seq.lost == 0
