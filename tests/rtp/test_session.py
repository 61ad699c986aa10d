from __future__ import annotations

import random

import pytest

from softswitch.clock import ManualClock
from softswitch.rtp.packet import RtpPacket
from softswitch.rtp.rtcp import Bye, ReceiverReport, SenderReport, parse_rtcp, serialize_rtcp
from softswitch.rtp.session import RtpSession

PHONE = ("192.0.2.10", 40000)
NATTED = ("198.51.100.7", 61000)
SPOOF = ("203.0.113.66", 5004)


def remote_packet(seq: int, ssrc: int = 0xCAFE, ts: int | None = None, pt: int = 0) -> bytes:
    return bytes(RtpPacket(payload_type=pt, sequence=seq & 0xFFFF,
                           timestamp=(seq * 160 if ts is None else ts) & 0xFFFFFFFF,
                           ssrc=ssrc, payload=b"\xff" * 160))


def session(**kwargs: object) -> RtpSession:
    return RtpSession(0x1111, rng=random.Random(7), **kwargs)  # type: ignore[arg-type]


def test_sending_numbers_frames_and_marks_talkspurts() -> None:
    s = session()
    first = RtpPacket.parse(s.send_audio(b"a" * 160, 0.0))
    second = RtpPacket.parse(s.send_audio(b"b" * 160, 0.02))
    s.skip()
    s.skip()
    third = RtpPacket.parse(s.send_audio(b"c" * 160, 0.08))
    assert first.marker and not second.marker and third.marker
    assert second.sequence == (first.sequence + 1) & 0xFFFF
    assert third.sequence == (first.sequence + 2) & 0xFFFF
    assert (second.timestamp - first.timestamp) % 2**32 == 160
    assert (third.timestamp - first.timestamp) % 2**32 == 160 * 4  # silence still counts
    assert first.ssrc == 0x1111
    assert s.counters.packets_sent == 3 and s.counters.octets_sent == 480


def test_events_keep_their_timestamp_and_take_our_sequence() -> None:
    s = session()
    audio = RtpPacket.parse(s.send_audio(b"a" * 160, 0.0))
    event = RtpPacket.parse(s.send_event(b"\x05\x0a\x00\xa0", audio.timestamp, True, 0.02))
    assert event.payload_type == 101 and event.marker and event.timestamp == audio.timestamp
    assert event.sequence == (audio.sequence + 1) & 0xFFFF
    assert s.timestamp == (audio.timestamp + 160) % 2**32


def test_latches_first_address_and_ignores_others_mid_stream() -> None:
    s = session(remote=PHONE)
    assert s.receive(remote_packet(0), NATTED, 0.0) is not None
    assert s.remote == NATTED and s.latched
    assert s.receive(remote_packet(1), NATTED, 0.02) is not None
    # a spoofer with a new SSRC, or the right SSRC, while the stream flows: dropped
    assert s.receive(remote_packet(5, ssrc=0xBAD), SPOOF, 0.03) is None
    assert s.receive(remote_packet(2), SPOOF, 0.04) is None
    assert s.remote == NATTED and s.counters.foreign == 2


def test_relatches_on_new_ssrc_after_quiet_period() -> None:
    s = session(relatch_after=2.0)
    s.receive(remote_packet(0), PHONE, 0.0)
    assert s.receive(remote_packet(1), PHONE, 0.02) is not None
    # same SSRC from elsewhere even after a pause: still refused
    assert s.receive(remote_packet(2), SPOOF, 3.0) is None
    moved = s.receive(remote_packet(900, ssrc=0xD00D), NATTED, 3.0)
    assert moved is None  # latched, but a new source is on probation
    assert s.remote == NATTED and s.counters.relatches == 1
    assert s.receive(remote_packet(901, ssrc=0xD00D), NATTED, 3.02) is not None
    assert s.current is not None and s.current.ssrc == 0xD00D


def test_new_ssrc_is_a_fresh_source_not_a_huge_loss() -> None:
    s = session()
    for n in range(10):
        s.receive(remote_packet(n), PHONE, n * 0.02)
    for n in range(3):
        s.receive(remote_packet(50_000 + n, ssrc=0xBEEF), PHONE, 0.2 + n * 0.02)
    assert s.current is not None and s.current.ssrc == 0xBEEF
    assert s.current.sequence.lost == 0
    assert s.quality().loss_percent == 0.0
    assert s.sources[0xCAFE].packets == 10


def test_malformed_datagrams_are_counted_not_raised() -> None:
    s = session()
    assert s.receive(b"\x00garbage", PHONE, 0.0) is None
    assert s.receive_rtcp(b"\x80\xc9\xff", PHONE, 0.0) == []
    assert s.counters.malformed == 1 and s.counters.rtcp_malformed == 1
    assert not s.latched


def test_interarrival_jitter_hand_worked() -> None:
    # arrivals 0, 20, 50, 60 ms for timestamps 0, 160, 320, 480 at 8 kHz:
    # transit 0, 0, 80, 0 -> |D| 0, 80, 80 -> J = 0, 5, 5 + (80 - 5) / 16 = 9.6875
    s = session()
    for seq, now in zip(range(4), (0.0, 0.02, 0.05, 0.06), strict=True):
        s.receive(remote_packet(seq), PHONE, now)
    assert s.current is not None
    assert s.current.jitter == pytest.approx(9.6875)
    assert s.quality().jitter_ms == pytest.approx(9.6875 / 8)


def test_jitter_ignores_telephone_events() -> None:
    s = session()
    for seq, now in enumerate((0.0, 0.02, 0.04)):
        s.receive(remote_packet(seq, ts=0, pt=101), PHONE, now)
    assert s.current is not None and s.current.jitter == 0.0


def test_loss_shows_in_quality_and_reports() -> None:
    s = session()
    for n in range(100):
        if n % 10 != 5:
            s.receive(remote_packet(n), PHONE, n * 0.02)
    quality = s.quality()
    assert quality.loss_percent == pytest.approx(10.0)
    assert quality.mos < s_clean_mos()
    rr = s.report(2.0)[0]
    assert isinstance(rr, ReceiverReport)
    (block,) = rr.reports
    assert block.ssrc == 0xCAFE and block.cumulative_lost == 10
    assert block.fraction_lost == (10 << 8) // 100
    assert block.highest_sequence == 99


def s_clean_mos() -> float:
    s = session()
    for n in range(100):
        s.receive(remote_packet(n), PHONE, n * 0.02)
    return s.quality().mos


def test_rtcp_interval_is_randomised_around_nominal() -> None:
    clock = ManualClock()
    s = session(rtcp_interval=5.0)
    assert s.poll_rtcp(clock.now()) is None  # nothing sent or received yet
    s.send_audio(b"a" * 160, clock.now())
    first_due = s.next_rtcp_at
    assert first_due is not None and 1.25 <= first_due <= 3.75
    assert s.poll_rtcp(first_due - 0.001) is None
    report = s.poll_rtcp(first_due)
    assert report is not None
    assert isinstance(parse_rtcp(report)[0], SenderReport)
    gaps = []
    for _ in range(50):
        due = s.next_rtcp_at
        assert due is not None
        s.poll_rtcp(due)
        assert s.next_rtcp_at is not None
        gaps.append(s.next_rtcp_at - due)
    assert all(2.5 <= g <= 7.5 for g in gaps) and len(set(gaps)) > 10
    # nothing sent since: the reports are RRs
    assert isinstance(parse_rtcp(s.poll_rtcp(s.next_rtcp_at) or b"")[0], ReceiverReport)


def test_round_trip_time_from_sr_and_rr() -> None:
    wall = 1_700_000_000.0
    a = RtpSession(0xA, rng=random.Random(1), wall_offset=wall)
    b = RtpSession(0xB, rng=random.Random(2), wall_offset=wall)
    one_way = 0.035
    for n in range(50):
        now = n * 0.02
        b.receive(a.send_audio(b"x" * 160, now), ("10.0.0.1", 4000), now + one_way)
    sr_at = 1.0
    sr = serialize_rtcp(a.report(sr_at))
    b.receive_rtcp(sr, ("10.0.0.1", 4001), sr_at + one_way)
    held = 0.4  # b answers 400 ms later
    rr = serialize_rtcp(b.report(sr_at + one_way + held))  # b sent nothing: an RR
    packets = a.receive_rtcp(rr, ("10.0.0.2", 4001), sr_at + 2 * one_way + held)
    assert isinstance(packets[0], ReceiverReport)
    assert a.rtt == pytest.approx(2 * one_way, abs=2 / 65536)
    quality = a.quality()
    assert quality.rtt_ms == pytest.approx(70, abs=0.1)
    assert quality.remote_loss_percent == 0.0


def test_bye_ends_with_bye_packet() -> None:
    s = session()
    s.send_audio(b"a" * 160, 0.0)
    packets = parse_rtcp(s.bye(0.5, "hangup"))
    assert isinstance(packets[-1], Bye) and packets[-1].sources == (0x1111,)
    assert s.next_rtcp_at is None


def test_received_bye_stops_reporting_that_source() -> None:
    s = session()
    s.receive(remote_packet(0), PHONE, 0.0)
    assert s.report(0.1)[0].reports  # type: ignore[union-attr]
    s.receive_rtcp(serialize_rtcp([ReceiverReport(0xCAFE), Bye((0xCAFE,))]), PHONE, 0.2)
    assert not s.report(0.3)[0].reports  # type: ignore[union-attr]


def test_timestamp_wrap_is_not_jitter() -> None:
    s = session()
    for n in range(6):
        s.receive(remote_packet(n, ts=2**32 - 480 + n * 160), PHONE, n * 0.02)
    assert s.current is not None and s.current.jitter == pytest.approx(0.0, abs=1e-6)


def test_rtcp_on_the_rtp_port_is_taken_in() -> None:
    s = session()
    s.receive(remote_packet(0), PHONE, 0.0)
    rr = serialize_rtcp([ReceiverReport(0xCAFE), Bye((0xCAFE,))])
    assert s.receive(rr, PHONE, 0.1) is None
    assert s.counters.rtcp_received == 1 and s.counters.malformed == 0
    assert s.sources[0xCAFE].ended
    assert s.rtcp_remote == PHONE  # muxed: RTCP goes back where it came from


def test_new_source_waits_out_probation() -> None:
    s = session()
    s.receive(remote_packet(0), PHONE, 0.0)
    assert s.receive(remote_packet(500, ssrc=0xF00), PHONE, 0.02) is None
    assert s.counters.invalid == 1
    assert s.receive(remote_packet(501, ssrc=0xF00), PHONE, 0.04) is not None
