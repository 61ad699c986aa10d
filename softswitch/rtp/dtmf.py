"""Digits: RFC 4733 telephone events (receive and send) and SIP INFO DTMF bodies.

Every path that hears a key press (RFC 4733 here, the in-band Goertzel detector in media,
SIP INFO in call) yields the same `DigitEvent`, so the IVR and the ACD see one type.

An RFC 4733 key press is many packets that share one RTP timestamp (the press's start):
a start with the marker bit, updates every 50 ms with a growing duration, and three copies
of the end packet. `DtmfReceiver` turns that into exactly one `DigitEvent`, emitted when the
press ends: on the first end packet, when a packet with a new timestamp shows a new press
began (the end was lost), or when `poll(now)` finds the press silent for `end_timeout`.
Presses longer than the 16-bit duration field (8.2 s at 8 kHz) arrive as segments whose
timestamp advances by 0xFFFF (RFC 4733 2.5.1.3); they continue the same press.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

from softswitch.errors import ProtocolError
from softswitch.rtp.packet import RtpError, RtpPacket

EVENT_DIGITS = "0123456789*#ABCD"
MAX_DURATION = 0xFFFF
_EVENT = struct.Struct("!BBH")


@dataclass(frozen=True, slots=True)
class DigitEvent:
    """One key press, however it was heard. Times are seconds; `start` is on the caller's
    monotonic clock (`now`), `duration` 0.0 when the source does not say."""

    digit: str
    source: str  # "rfc4733" | "inband" | "info"
    start: float
    duration: float


def digit_for_event(event: int) -> str | None:
    """The DTMF digit for an RFC 4733 event code (0-15), None for other events (flash...)."""
    return EVENT_DIGITS[event] if 0 <= event < len(EVENT_DIGITS) else None


def event_for_digit(digit: str) -> int:
    index = EVENT_DIGITS.find(digit.upper()) if len(digit) == 1 else -1
    if index < 0:
        raise ValueError(f"not a DTMF digit: {digit!r}")
    return index


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """The 4-byte RFC 4733 payload: event, end bit, volume (-dBm0), duration (timestamp units)."""

    event: int
    end: bool = False
    volume: int = 10
    duration: int = 0

    @classmethod
    def parse(cls, data: bytes) -> TelephoneEvent:
        if len(data) < 4:
            raise RtpError(f"telephone-event payload is {len(data)} bytes, needs 4")
        event, flags, duration = _EVENT.unpack_from(data)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)

    def __bytes__(self) -> bytes:
        if not (0 <= self.event <= 255 and 0 <= self.volume <= 63
                and 0 <= self.duration <= MAX_DURATION):
            raise RtpError("telephone-event field out of range")
        return _EVENT.pack(self.event, (0x80 if self.end else 0) | self.volume, self.duration)


@dataclass(slots=True)
class _Press:
    timestamp: int  # of the current segment
    event: int
    first_seen: float
    last_seen: float
    duration: int  # within the current segment
    earlier_segments: int = 0  # timestamp units in completed segments


class DtmfReceiver:
    """RFC 4733 packets in, one `DigitEvent` per key press out."""

    def __init__(self, clock_rate: int = 8000, end_timeout: float = 0.3) -> None:
        self.clock_rate = clock_rate
        self.end_timeout = end_timeout
        self._press: _Press | None = None
        self._finished: deque[int] = deque(maxlen=16)  # timestamps of presses already emitted

    @property
    def next_deadline(self) -> float | None:
        """When `poll` should run to close a press whose end packets were lost."""
        return None if self._press is None else self._press.last_seen + self.end_timeout

    def receive(self, packet: RtpPacket, now: float) -> list[DigitEvent]:
        """Take one telephone-event packet; the digits completed by it (usually none)."""
        try:
            event = TelephoneEvent.parse(packet.payload)
        except RtpError:
            return []
        if digit_for_event(event.event) is None:
            return []
        timestamp = packet.timestamp
        press = self._press
        if press is not None and timestamp == press.timestamp:
            press.duration = max(press.duration, event.duration)
            press.last_seen = now
            return [self._finish(now)] if event.end else []
        if timestamp in self._finished:
            return []  # a late copy from a press already reported
        out: list[DigitEvent] = []
        if press is not None:
            if (event.event == press.event and press.duration == MAX_DURATION
                    and (timestamp - press.timestamp) & 0xFFFFFFFF == MAX_DURATION):
                press.earlier_segments += MAX_DURATION  # a long press continues
                self._finished.append(press.timestamp)
                press.timestamp = timestamp
                press.duration = event.duration
                press.last_seen = now
                return [self._finish(now)] if event.end else []
            out.append(self._finish(now))  # its end was lost; a new press has begun
        self._press = _Press(timestamp, event.event, now - event.duration / self.clock_rate,
                             now, event.duration)
        if event.end:  # start and updates lost: the end alone still is a press
            out.append(self._finish(now))
        return out

    def poll(self, now: float) -> list[DigitEvent]:
        """Close a press that went silent without an end packet."""
        press = self._press
        if press is not None and now - press.last_seen >= self.end_timeout - 1e-9:
            return [self._finish(now)]
        return []

    def _finish(self, now: float) -> DigitEvent:
        press = self._press
        assert press is not None
        self._press = None
        self._finished.append(press.timestamp)
        digit = digit_for_event(press.event)
        assert digit is not None
        total = press.earlier_segments + press.duration
        return DigitEvent(digit, "rfc4733", press.first_seen, total / self.clock_rate)


@dataclass(frozen=True, slots=True)
class EventPacket:
    """One packet of a digit to send: `at` seconds after the press starts."""

    at: float
    marker: bool
    timestamp: int
    payload: bytes


def dtmf_packets(digit: str, duration: float, timestamp: int, clock_rate: int = 8000,
                 interval: float = 0.05, frame_samples: int = 160, volume: int = 10,
                 end_spacing: float = 0.02) -> list[EventPacket]:
    """The packets for one key press (RFC 4733 2.5.1): a start with the marker bit, an update
    every `interval`, then the end packet three times; all carry the press's `timestamp`.

    Each packet reports the duration up to the end of the frame it is sent in, so no packet
    reports zero and the end packet reports the whole press.
    """
    event = event_for_digit(digit)
    total = round(duration * clock_rate)
    if not frame_samples <= total <= MAX_DURATION:
        raise ValueError(f"DTMF duration must be between one frame and {MAX_DURATION} samples")
    packets: list[EventPacket] = []
    step = round(interval * clock_rate)
    elapsed = 0
    while elapsed + frame_samples < total:
        body = bytes(TelephoneEvent(event, False, volume, elapsed + frame_samples))
        packets.append(EventPacket(elapsed / clock_rate, not packets, timestamp, body))
        elapsed += step
    end = bytes(TelephoneEvent(event, True, volume, total))
    end_at = (total - frame_samples) / clock_rate
    if packets and end_at <= packets[-1].at:
        end_at = packets[-1].at + frame_samples / clock_rate
    for copy in range(3):
        packets.append(EventPacket(end_at + copy * end_spacing, not packets, timestamp, end))
    return packets


# -- SIP INFO -----------------------------------------------------------------------------


class DtmfInfoError(ProtocolError):
    """A SIP INFO body that does not carry a digit (a 400, or a 415 for the content type)."""


_INFO_NUMERIC = {"10": "*", "11": "#", "12": "A", "13": "B", "14": "C", "15": "D"}


def _info_digit(text: str) -> str:
    value = text.strip()
    value = _INFO_NUMERIC.get(value, value)
    if len(value) != 1 or value.upper() not in EVENT_DIGITS:
        raise DtmfInfoError(f"DTMF INFO signal {text.strip()!r} is not a digit")
    return value.upper()


def parse_info_body(content_type: str, body: bytes | str, now: float) -> DigitEvent:
    """A digit from an INFO body: `application/dtmf-relay` ("Signal=5\\r\\nDuration=160", the
    duration in ms) or `application/dtmf` (the digit alone)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise DtmfInfoError("DTMF INFO body is not text") from exc
    if kind == "application/dtmf":
        return DigitEvent(_info_digit(text), "info", now, 0.0)
    if kind != "application/dtmf-relay":
        raise DtmfInfoError(f"INFO content type {kind!r} does not carry DTMF", status=415)
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if "=" in line:
            key, _, value = line.partition("=")
            fields[key.strip().lower()] = value.strip()
    if "signal" not in fields:
        raise DtmfInfoError("DTMF INFO body has no Signal= line")
    duration = 0.0
    if "duration" in fields:
        try:
            duration = int(fields["duration"]) / 1000
        except ValueError as exc:
            raise DtmfInfoError(
                f"DTMF INFO Duration {fields['duration']!r} is not a number") from exc
        if duration < 0:
            raise DtmfInfoError("DTMF INFO Duration is negative")
    return DigitEvent(_info_digit(fields["signal"]), "info", now, duration)
