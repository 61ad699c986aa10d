from __future__ import annotations

import pytest

from softswitch.rtp.jitterbuffer import Gap, JitterBuffer
from softswitch.rtp.packet import RtpPacket

TICK = 0.02


def packet(seq: int, ssrc: int = 1, ts: int | None = None) -> RtpPacket:
    return RtpPacket(payload_type=0, sequence=seq & 0xFFFF,
                     timestamp=(seq * 160 if ts is None else ts) & 0xFFFFFFFF, ssrc=ssrc,
                     payload=bytes([seq & 0xFF]) * 160)


def run(jb: JitterBuffer, arrivals: dict[int, list[RtpPacket]], ticks: int,
        start: int = 0) -> list[object]:
    """Per tick: the arrivals of that tick, then one get. Output: seq, 'L' or 'S'."""
    out: list[object] = []
    for tick in range(start, start + ticks):
        now = tick * TICK
        for p in arrivals.get(tick, []):
            jb.put(p, now)
        frame = jb.get(now)
        out.append(frame.sequence if isinstance(frame, RtpPacket) else
                   "L" if frame is Gap.LOST else "S")
    return out


def steady(seqs: list[int], first_tick: int = 0) -> dict[int, list[RtpPacket]]:
    return {first_tick + i: [packet(s)] for i, s in enumerate(seqs)}


def test_in_order_stream_plays_after_initial_delay() -> None:
    jb = JitterBuffer(initial_delay_frames=3)
    out = run(jb, steady(list(range(10))), 10)
    assert out == ["S", "S", 0, 1, 2, 3, 4, 5, 6, 7]
    assert jb.stats.played == 8 and jb.stats.lost == 0


def test_reordered_packets_come_out_in_order() -> None:
    jb = JitterBuffer(initial_delay_frames=3)
    arrivals = {0: [packet(0)], 1: [packet(2)], 2: [packet(1)], 3: [packet(4)],
                4: [packet(3)], 5: [packet(5)], 6: [packet(6)]}
    # two packets spanning three frames are enough to start
    assert run(jb, arrivals, 7) == ["S", 0, 1, 2, 3, 4, 5]
    assert jb.stats.late == 0


def test_duplicates_are_dropped() -> None:
    jb = JitterBuffer(initial_delay_frames=2, min_delay_frames=1)
    arrivals = {0: [packet(0), packet(0)], 1: [packet(1), packet(0)], 2: [packet(2)],
                3: [packet(2), packet(3)]}
    assert run(jb, arrivals, 4) == ["S", 0, 1, 2]
    assert jb.stats.duplicates == 3


def test_lost_packet_is_concealed_exactly_once() -> None:
    jb = JitterBuffer(initial_delay_frames=3)
    seqs = [0, 1, 2, 4, 5, 6, 7, 8]  # 3 never arrives
    out = run(jb, steady(seqs), 8)
    assert out == ["S", "S", 0, 1, 2, "L", 4, 5]
    assert jb.stats.lost == 1


def test_packet_after_its_tick_is_late_and_dropped() -> None:
    jb = JitterBuffer(initial_delay_frames=2, min_delay_frames=1)
    arrivals = steady([0, 1, 3, 4, 5, 6])
    arrivals[5].append(packet(2))  # 2 shows up after 3 and 4 moved playout past it
    out = run(jb, arrivals, 7)
    assert out == ["S", 0, 1, "L", 3, 4, 5]
    assert jb.stats.late == 1


def test_underrun_conceals_without_skipping_a_delayed_packet() -> None:
    jb = JitterBuffer(initial_delay_frames=2, min_delay_frames=1)
    arrivals = {0: [packet(0)], 1: [packet(1)], 2: [packet(2)], 5: [packet(3), packet(4)],
                6: [packet(5)]}
    out = run(jb, arrivals, 7)
    # tick 4 has nothing: concealed; the delayed 3 is still played, one frame later
    assert out == ["S", 0, 1, 2, "L", 3, 4]
    assert jb.stats.lost == 0 and jb.stats.underruns == 1
    assert jb.depth == 1  # the buffer grew by the stall


def test_pause_becomes_silence_then_next_talkspurt_rebuffers() -> None:
    jb = JitterBuffer(initial_delay_frames=2, min_delay_frames=2, idle_after_frames=3)
    arrivals = steady([0, 1, 2])
    arrivals.update({12: [packet(3, ts=50_000)], 13: [packet(4, ts=50_160)],
                     14: [packet(5, ts=50_320)]})
    out = run(jb, arrivals, 15)
    assert out == ["S", 0, 1, 2, "L", "L", "L", "S", "S", "S", "S", "S", "S", 3, 4]
    assert jb.stats.lost == 0 and not jb.stats.late


def test_single_packet_talkspurt_still_plays() -> None:
    jb = JitterBuffer(initial_delay_frames=3)
    out = run(jb, {0: [packet(0)]}, 4)
    assert out == ["S", "S", 0, "L"]


def test_new_ssrc_resyncs() -> None:
    jb = JitterBuffer(initial_delay_frames=2, min_delay_frames=1)
    arrivals = steady([0, 1, 2, 3])
    arrivals.update({4: [packet(40_000, ssrc=2)], 5: [packet(40_001, ssrc=2)],
                     6: [packet(40_002, ssrc=2)]})
    out = run(jb, arrivals, 7)
    assert out == ["S", 0, 1, 2, "S", 40_000, 40_001]
    assert jb.stats.resyncs == 1


def test_big_jump_in_sequence_resyncs() -> None:
    jb = JitterBuffer(initial_delay_frames=2, min_delay_frames=1)
    arrivals = steady([0, 1, 2])
    arrivals.update({3: [packet(30_000)], 4: [packet(30_001)], 5: [packet(30_002)]})
    out = run(jb, arrivals, 6)
    assert out == ["S", 0, 1, "S", 30_000, 30_001]
    assert jb.stats.resyncs == 1


def test_sequence_wrap_is_seamless() -> None:
    jb = JitterBuffer(initial_delay_frames=2, min_delay_frames=1)
    seqs = [65533, 65534, 65535, 65536, 65537, 65538]
    out = run(jb, steady(seqs), 6)
    assert out == ["S", 65533, 65534, 65535, 0, 1]


def test_capacity_is_bounded() -> None:
    jb = JitterBuffer(capacity=16, initial_delay_frames=3, max_delay_frames=12)
    for seq in range(40):
        jb.put(packet(seq), 0.0)
    assert jb.depth == 16
    assert jb.stats.dropped == 24
    frame = jb.get(0.0)
    assert isinstance(frame, RtpPacket) and frame.sequence == 24


def test_deep_buffer_shrinks_by_skipping() -> None:
    jb = JitterBuffer(initial_delay_frames=2, min_delay_frames=2, shrink_after_frames=5)
    arrivals = {0: [packet(s) for s in range(8)]}  # a burst: 8 frames deep
    arrivals.update(steady(list(range(8, 30)), first_tick=1))
    out = run(jb, arrivals, 20)
    assert jb.stats.dropped >= 1
    played = [x for x in out if isinstance(x, int)]
    assert played == sorted(played) and len(set(played)) == len(played)
    assert jb.depth < 8


def test_target_delay_follows_jitter() -> None:
    calm = JitterBuffer(min_delay_frames=2, initial_delay_frames=3, idle_after_frames=1)
    run(calm, steady(list(range(50))), 50)
    run(calm, {}, 5, start=50)  # pause: retarget
    assert calm.target_frames == 2 and calm.jitter < 0.001

    rough = JitterBuffer(min_delay_frames=2, initial_delay_frames=3, idle_after_frames=1)
    now = 0.0
    for seq in range(100):
        delay = 0.06 if seq % 2 else 0.0  # every other packet is 60 ms late
        rough.put(packet(seq), seq * TICK + delay)
    run(rough, {}, 120, start=int(now))
    assert rough.jitter > 0.03
    assert rough.target_frames > 5


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        JitterBuffer(min_delay_frames=5, initial_delay_frames=3)
