from __future__ import annotations

import itertools
import random

import pytest

from softswitch.rtp.dtmf import (
    MAX_DURATION,
    DigitEvent,
    DtmfInfoError,
    DtmfReceiver,
    TelephoneEvent,
    dtmf_packets,
    parse_info_body,
)
from softswitch.rtp.packet import RtpError, RtpPacket
from softswitch.rtp.session import RtpSession

TS = 48_000


def ev(event: int, duration: int, end: bool = False, ts: int = TS,
       marker: bool = False) -> RtpPacket:
    return RtpPacket(payload_type=101, timestamp=ts, marker=marker,
                     payload=bytes(TelephoneEvent(event, end, 10, duration)))


def feed(receiver: DtmfReceiver, packets: list[tuple[float, RtpPacket]]) -> list[DigitEvent]:
    out: list[DigitEvent] = []
    for now, p in packets:
        out += receiver.poll(now)
        out += receiver.receive(p, now)
    return out


def press(event: int, ts: int = TS, t0: float = 0.0, updates: int = 3) -> list[
        tuple[float, RtpPacket]]:
    """A textbook press: start, updates every 50 ms, three ends."""
    seq = [(t0, ev(event, 160, ts=ts, marker=True))]
    seq += [(t0 + 0.05 * k, ev(event, 160 + 400 * k, ts=ts)) for k in range(1, updates + 1)]
    end = 160 + 400 * updates + 160
    seq += [(t0 + 0.05 * updates + 0.02 * (k + 1), ev(event, end, True, ts)) for k in range(3)]
    return seq


def test_payload_round_trip_and_wire() -> None:
    event = TelephoneEvent(11, True, 10, 1600)
    assert bytes(event) == bytes.fromhex("0b8a0640")
    assert TelephoneEvent.parse(bytes(event)) == event
    with pytest.raises(RtpError):
        TelephoneEvent.parse(b"\x01\x02")
    with pytest.raises(RtpError):
        bytes(TelephoneEvent(1, volume=64))


def test_one_digit_per_textbook_press() -> None:
    digits = feed(DtmfReceiver(), press(5))
    assert [d.digit for d in digits] == ["5"]
    assert digits[0].source == "rfc4733"
    assert digits[0].duration == pytest.approx((160 + 1200 + 160) / 8000)


def test_duplicated_packets_still_one_digit() -> None:
    packets = press(1)
    doubled = [p for p in packets for _ in range(2)]
    assert [d.digit for d in feed(DtmfReceiver(), doubled)] == ["1"]


def test_lost_start_still_one_digit() -> None:
    assert [d.digit for d in feed(DtmfReceiver(), press(7)[1:])] == ["7"]


def test_only_end_packets_still_one_digit() -> None:
    packets = [p for p in press(9) if TelephoneEvent.parse(p[1].payload).end]
    assert [d.digit for d in feed(DtmfReceiver(), packets)] == ["9"]


def test_lost_end_closes_on_timeout_only() -> None:
    receiver = DtmfReceiver(end_timeout=0.3)
    packets = [p for p in press(3) if not TelephoneEvent.parse(p[1].payload).end]
    assert feed(receiver, packets) == []
    last = packets[-1][0]
    assert receiver.next_deadline == pytest.approx(last + 0.3)
    assert receiver.poll(last + 0.29) == []
    digits = receiver.poll(last + 0.3)
    assert [d.digit for d in digits] == ["3"]
    assert digits[0].duration == pytest.approx(1360 / 8000)
    assert receiver.poll(last + 1.0) == [] and receiver.next_deadline is None


def test_lost_end_closed_by_next_press() -> None:
    first = [p for p in press(1) if not TelephoneEvent.parse(p[1].payload).end]
    second = press(2, ts=TS + 4000, t0=0.3)
    assert [d.digit for d in feed(DtmfReceiver(), first + second)] == ["1", "2"]


def test_same_digit_twice_is_two_presses() -> None:
    packets = press(4) + press(4, ts=TS + 3200, t0=0.4)
    assert [d.digit for d in feed(DtmfReceiver(), packets)] == ["4", "4"]


def test_late_end_copy_after_next_press_began_is_ignored() -> None:
    packets = press(6)
    late_end = packets.pop()  # the third end packet is delayed past the next press
    later = press(8, ts=TS + 3200, t0=0.4)
    stream = packets + later[:2] + [(0.5, late_end[1])] + later[2:]
    assert [d.digit for d in feed(DtmfReceiver(), stream)] == ["6", "8"]


def test_long_press_in_segments_is_one_digit() -> None:
    packets = [(0.0, ev(0, 160, marker=True))]
    packets += [(k * 0.05, ev(0, k * 400)) for k in range(1, 164)]  # to 8.15 s
    packets += [(8.19, ev(0, MAX_DURATION)),
                (8.2, ev(0, 800, ts=TS + MAX_DURATION)),
                (8.25, ev(0, 1200, ts=TS + MAX_DURATION)),
                (8.3, ev(0, 1600, True, ts=TS + MAX_DURATION)),
                (8.32, ev(0, 1600, True, ts=TS + MAX_DURATION)),
                (8.34, ev(0, 1200, ts=TS))]  # a straggler from the first segment
    digits = feed(DtmfReceiver(), packets)
    assert [d.digit for d in digits] == ["0"]
    assert digits[0].duration == pytest.approx((MAX_DURATION + 1600) / 8000)


def test_non_digit_events_and_garbage_ignored() -> None:
    receiver = DtmfReceiver()
    assert receiver.receive(ev(16, 800, True), 0.0) == []  # flash
    assert receiver.receive(RtpPacket(payload_type=101, payload=b"\x01"), 0.0) == []


@pytest.mark.parametrize("digit", list("0123456789*#ABCD"))
def test_sender_to_receiver_round_trip(digit: str) -> None:
    packets = dtmf_packets(digit, 0.2, TS)
    assert packets[0].marker and not any(p.marker for p in packets[1:])
    assert {p.timestamp for p in packets} == {TS}
    events = [TelephoneEvent.parse(p.payload) for p in packets]
    assert [e.end for e in events[-3:]] == [True] * 3 and not any(e.end for e in events[:-3])
    durations = [e.duration for e in events]
    assert durations == sorted(durations) and durations[-1] == 1600 and min(durations) > 0
    offsets = [p.at for p in packets]
    assert offsets == sorted(offsets)
    assert [round(b - a, 3) for a, b in itertools.pairwise(offsets[:-3])] == [0.05] * 3
    receiver = DtmfReceiver()
    digits = []
    for p in packets:
        rtp = RtpPacket(payload_type=101, timestamp=p.timestamp, marker=p.marker,
                        payload=p.payload)
        digits += receiver.receive(rtp, p.at)
    assert [(d.digit, d.duration) for d in digits] == [(digit, 0.2)]


def test_sender_through_sessions_and_shuffled_network() -> None:
    sender = RtpSession(1, rng=random.Random(3))
    receiver_session = RtpSession(2, rng=random.Random(4))
    receiver = DtmfReceiver()
    start_ts = sender.timestamp
    wire = [(p.at, sender.send_event(p.payload, p.timestamp, p.marker, p.at))
            for p in dtmf_packets("#", 0.12, start_ts)]
    random.Random(5).shuffle(wire)
    digits = []
    for at, data in wire:
        packet = receiver_session.receive(data, ("10.0.0.9", 7000), at)
        assert packet is not None
        digits += receiver.receive(packet, at)
    assert [d.digit for d in digits] == ["#"]


def test_sender_refuses_impossible_durations() -> None:
    with pytest.raises(ValueError):
        dtmf_packets("1", 0.001, 0)
    with pytest.raises(ValueError):
        dtmf_packets("1", 9.0, 0)
    with pytest.raises(ValueError):
        dtmf_packets("X", 0.1, 0)


def test_info_dtmf_relay() -> None:
    event = parse_info_body("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n", 12.0)
    assert event == DigitEvent("5", "info", 12.0, 0.16)
    assert parse_info_body("Application/DTMF-Relay; charset=x", "Signal= *\nDuration= 250",
                           0.0).digit == "*"
    assert parse_info_body("application/dtmf-relay", "Signal=11", 0.0).digit == "#"
    assert parse_info_body("application/dtmf-relay", "Signal=a", 0.0) == DigitEvent(
        "A", "info", 0.0, 0.0)


def test_info_dtmf_plain() -> None:
    assert parse_info_body("application/dtmf", b"9", 1.0) == DigitEvent("9", "info", 1.0, 0.0)
    assert parse_info_body("application/dtmf", b"10\r\n", 1.0).digit == "*"


@pytest.mark.parametrize(("ctype", "body", "status"), [
    ("text/plain", "5", 415),
    ("application/dtmf-relay", "Duration=100", 400),
    ("application/dtmf-relay", "Signal=55", 400),
    ("application/dtmf-relay", "Signal=5\nDuration=abc", 400),
    ("application/dtmf-relay", "Signal=5\nDuration=-4", 400),
    ("application/dtmf", b"\xff\xfe", 400),
    ("application/dtmf", "", 400),
])
def test_info_errors(ctype: str, body: str | bytes, status: int) -> None:
    with pytest.raises(DtmfInfoError) as info:
        parse_info_body(ctype, body, 0.0)
    assert info.value.status == status
