"""RTCP packets (RFC 3550 section 6): SR, RR, SDES, BYE and compound packets.

Packet types this switch does not act on (APP, feedback, XR) are kept as `RtcpUnknown`
so a compound packet still parses and re-serializes byte for byte. `is_rtcp` separates RTCP
from RTP arriving on one port (RFC 5761 section 4).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from softswitch.rtp.packet import RTP_VERSION, RtpError

SR, RR, SDES, BYE = 200, 201, 202, 203
SDES_CNAME = 1
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01

_HEADER = struct.Struct("!BBH")
_BLOCK = struct.Struct("!IIIIII")
_SENDER_INFO = struct.Struct("!IQIII")


def is_rtcp(data: bytes) -> bool:
    """RFC 5761 4: a second byte of 192..223 (payload types 64..95 with the marker) is RTCP."""
    return len(data) >= 2 and 192 <= data[1] <= 223


def ntp_timestamp(wall: float) -> int:
    """Seconds since the Unix epoch as a 64-bit NTP timestamp (32.32 fixed point)."""
    return int((wall + NTP_EPOCH_OFFSET) * (1 << 32)) & 0xFFFFFFFFFFFFFFFF


def ntp_middle(ntp: int) -> int:
    """The middle 32 bits of an NTP timestamp: the LSR field and the unit of RTT sums."""
    return (ntp >> 16) & 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class ReportBlock:
    """Reception statistics about one source (RFC 3550 6.4.1)."""

    ssrc: int
    fraction_lost: int = 0  # loss since the last report, in 1/256
    cumulative_lost: int = 0  # signed 24 bit: duplicates can make it negative
    highest_sequence: int = 0  # extended highest sequence number received
    jitter: int = 0  # interarrival jitter in timestamp units
    lsr: int = 0  # middle 32 bits of the last SR's NTP timestamp
    dlsr: int = 0  # delay since that SR, in 1/65536 s

    @classmethod
    def parse(cls, data: bytes, pos: int) -> ReportBlock:
        ssrc, loss, highest, jitter, lsr, dlsr = _BLOCK.unpack_from(data, pos)
        cumulative = loss & 0xFFFFFF
        if cumulative & 0x800000:
            cumulative -= 1 << 24
        return cls(ssrc, loss >> 24, cumulative, highest, jitter, lsr, dlsr)

    def __bytes__(self) -> bytes:
        cumulative = max(-(1 << 23), min((1 << 23) - 1, self.cumulative_lost)) & 0xFFFFFF
        fraction = max(0, min(255, self.fraction_lost))
        return _BLOCK.pack(self.ssrc & 0xFFFFFFFF, (fraction << 24) | cumulative,
                           self.highest_sequence & 0xFFFFFFFF, self.jitter & 0xFFFFFFFF,
                           self.lsr & 0xFFFFFFFF, self.dlsr & 0xFFFFFFFF)


def _parse_blocks(body: bytes, pos: int, count: int, kind: str) -> list[ReportBlock]:
    if len(body) < pos + 24 * count:
        raise RtcpError(f"RTCP {kind} too short for its {count} report blocks")
    return [ReportBlock.parse(body, pos + 24 * i) for i in range(count)]


class RtcpError(RtpError):
    """A malformed RTCP packet."""


@dataclass(frozen=True, slots=True)
class SenderReport:
    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()

    packet_type = SR

    @classmethod
    def parse_body(cls, count: int, body: bytes) -> SenderReport:
        if len(body) < 24:
            raise RtcpError("RTCP SR too short for its sender info")
        ssrc, ntp, rtp_ts, packets, octets = _SENDER_INFO.unpack_from(body)
        return cls(ssrc, ntp, rtp_ts, packets, octets,
                   tuple(_parse_blocks(body, 24, count, "SR")))

    def body(self) -> tuple[int, bytes]:
        info = _SENDER_INFO.pack(self.ssrc & 0xFFFFFFFF, self.ntp_timestamp & (2**64 - 1),
                                 self.rtp_timestamp & 0xFFFFFFFF,
                                 self.packet_count & 0xFFFFFFFF, self.octet_count & 0xFFFFFFFF)
        return len(self.reports), info + b"".join(bytes(b) for b in self.reports)


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    ssrc: int
    reports: tuple[ReportBlock, ...] = ()

    packet_type = RR

    @classmethod
    def parse_body(cls, count: int, body: bytes) -> ReceiverReport:
        if len(body) < 4:
            raise RtcpError("RTCP RR too short for its SSRC")
        (ssrc,) = struct.unpack_from("!I", body)
        return cls(ssrc, tuple(_parse_blocks(body, 4, count, "RR")))

    def body(self) -> tuple[int, bytes]:
        return len(self.reports), struct.pack("!I", self.ssrc) + b"".join(
            bytes(b) for b in self.reports)


@dataclass(frozen=True, slots=True)
class SdesChunk:
    ssrc: int
    items: tuple[tuple[int, bytes], ...] = ()

    @property
    def cname(self) -> str | None:
        for kind, value in self.items:
            if kind == SDES_CNAME:
                return value.decode("utf-8", "replace")
        return None


@dataclass(frozen=True, slots=True)
class SourceDescription:
    chunks: tuple[SdesChunk, ...] = ()

    packet_type = SDES

    @classmethod
    def cname(cls, ssrc: int, cname: str) -> SourceDescription:
        return cls((SdesChunk(ssrc, ((SDES_CNAME, cname.encode()),)),))

    @classmethod
    def parse_body(cls, count: int, body: bytes) -> SourceDescription:
        chunks = []
        pos = 0
        for _ in range(count):
            if len(body) < pos + 4:
                raise RtcpError("RTCP SDES chunk truncated")
            (ssrc,) = struct.unpack_from("!I", body, pos)
            pos += 4
            items = []
            while True:
                if pos >= len(body):
                    raise RtcpError("RTCP SDES chunk has no terminating null item")
                kind = body[pos]
                if kind == 0:
                    pos = (pos + 4) & ~3  # the null item and padding to a 32-bit boundary
                    break
                if pos + 2 > len(body) or pos + 2 + body[pos + 1] > len(body):
                    raise RtcpError("RTCP SDES item overruns the packet")
                length = body[pos + 1]
                items.append((kind, bytes(body[pos + 2:pos + 2 + length])))
                pos += 2 + length
            chunks.append(SdesChunk(ssrc, tuple(items)))
        return cls(tuple(chunks))

    def body(self) -> tuple[int, bytes]:
        out = bytearray()
        for chunk in self.chunks:
            out += struct.pack("!I", chunk.ssrc)
            for kind, value in chunk.items:
                if len(value) > 255:
                    raise RtcpError("RTCP SDES item longer than 255 bytes")
                out += bytes((kind, len(value))) + value
            out += b"\0" * (4 - len(out) % 4)  # at least one null octet, then align
        return len(self.chunks), bytes(out)


@dataclass(frozen=True, slots=True)
class Bye:
    sources: tuple[int, ...] = ()
    reason: str = ""

    packet_type = BYE

    @classmethod
    def parse_body(cls, count: int, body: bytes) -> Bye:
        if len(body) < 4 * count:
            raise RtcpError("RTCP BYE too short for its sources")
        sources = struct.unpack_from(f"!{count}I", body)
        pos = 4 * count
        reason = ""
        if pos < len(body):
            length = body[pos]
            if pos + 1 + length > len(body):
                raise RtcpError("RTCP BYE reason overruns the packet")
            reason = body[pos + 1:pos + 1 + length].decode("utf-8", "replace")
        return cls(tuple(sources), reason)

    def body(self) -> tuple[int, bytes]:
        out = struct.pack(f"!{len(self.sources)}I", *self.sources)
        if self.reason:
            text = self.reason.encode()[:255]
            out += bytes((len(text),)) + text
            out += b"\0" * (-len(out) % 4)
        return len(self.sources), out


@dataclass(frozen=True, slots=True)
class RtcpUnknown:
    """A packet type kept as bytes (APP, RTPFB, PSFB, XR ...)."""

    packet_type: int
    count: int = 0
    payload: bytes = field(default=b"")

    def body(self) -> tuple[int, bytes]:
        return self.count, self.payload


RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Bye | RtcpUnknown

_PARSERS = {SR: SenderReport.parse_body, RR: ReceiverReport.parse_body,
            SDES: SourceDescription.parse_body, BYE: Bye.parse_body}


def parse_rtcp(data: bytes) -> list[RtcpPacket]:
    """Parse a compound RTCP packet into its parts; RtcpError on anything malformed."""
    packets: list[RtcpPacket] = []
    pos = 0
    if len(data) < 4:
        raise RtcpError(f"RTCP packet too short: {len(data)} bytes")
    while pos < len(data):
        if len(data) - pos < 4:
            raise RtcpError("RTCP compound packet has trailing bytes")
        first, packet_type, words = _HEADER.unpack_from(data, pos)
        if first >> 6 != RTP_VERSION:
            raise RtcpError(f"RTCP version {first >> 6}, expected 2")
        end = pos + 4 * (words + 1)
        if end > len(data):
            raise RtcpError(f"RTCP length {words} overruns the packet")
        body = data[pos + 4:end]
        if first & 0x20:
            pad = body[-1] if body else 0
            if pad == 0 or pad > len(body):
                raise RtcpError(f"RTCP padding length {pad} is invalid")
            body = body[:-pad]
        count = first & 0x1F
        parser = _PARSERS.get(packet_type)
        if parser is not None:
            packets.append(parser(count, bytes(body)))
        else:
            packets.append(RtcpUnknown(packet_type, count, bytes(body)))
        pos = end
    return packets


def serialize_rtcp(packets: list[RtcpPacket] | tuple[RtcpPacket, ...]) -> bytes:
    """Build a compound RTCP packet (the caller puts an SR or RR first, RFC 3550 6.1)."""
    out = bytearray()
    for packet in packets:
        count, body = packet.body()
        if count > 31:
            raise RtcpError("RTCP packet cannot carry more than 31 items")
        if len(body) % 4:
            body = body + b"\0" * (-len(body) % 4)
        out += _HEADER.pack((RTP_VERSION << 6) | count, packet.packet_type, len(body) // 4)
        out += body
    return bytes(out)
