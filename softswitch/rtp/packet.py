"""RTP data packets (RFC 3550 section 5.1): parse, serialize, and a header patch for the relay.

A packet is a plain dataclass with `parse()` and `bytes()`, as aiortc does. Parsing validates
everything a hostile or broken peer can get wrong (version, CSRC count, extension length,
padding length) and raises `RtpError` rather than letting a slice or struct error escape.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from softswitch.errors import ProtocolError

RTP_VERSION = 2
HEADER_SIZE = 12
_FIXED = struct.Struct("!BBHII")
_SEQ_TS_SSRC = struct.Struct("!HII")
_EXT_HEADER = struct.Struct("!HH")


class RtpError(ProtocolError):
    """An RTP or RTCP packet that cannot be accepted; the caller drops it."""


@dataclass(frozen=True, slots=True)
class RtpExtension:
    """A header extension (RFC 3550 5.3.1): a 16-bit profile word and a body of 32-bit words."""

    profile: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if len(self.data) % 4:
            raise RtpError("RTP header extension body must be a multiple of 4 bytes")
        if not 0 <= self.profile <= 0xFFFF:
            raise RtpError("RTP header extension profile must fit 16 bits")


@dataclass(slots=True)
class RtpPacket:
    """One RTP packet. `padding` is the count of padding bytes (0 means no P bit)."""

    payload_type: int = 0
    sequence: int = 0
    timestamp: int = 0
    ssrc: int = 0
    payload: bytes = b""
    marker: bool = False
    csrc: list[int] = field(default_factory=list)
    extension: RtpExtension | None = None
    padding: int = 0

    @property
    def version(self) -> int:
        return RTP_VERSION

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < HEADER_SIZE:
            raise RtpError(f"RTP packet too short: {len(data)} bytes, header needs 12")
        first, second, sequence, timestamp, ssrc = _FIXED.unpack_from(data)
        version = first >> 6
        if version != RTP_VERSION:
            raise RtpError(f"RTP version {version}, expected 2")
        has_padding = bool(first & 0x20)
        has_extension = bool(first & 0x10)
        csrc_count = first & 0x0F
        pos = HEADER_SIZE + 4 * csrc_count
        if len(data) < pos:
            raise RtpError(f"RTP packet too short for its {csrc_count} CSRC entries")
        csrc = list(struct.unpack_from(f"!{csrc_count}I", data, HEADER_SIZE))
        extension = None
        if has_extension:
            if len(data) < pos + 4:
                raise RtpError("RTP packet too short for its header extension")
            profile, words = _EXT_HEADER.unpack_from(data, pos)
            pos += 4
            end = pos + 4 * words
            if len(data) < end:
                raise RtpError(
                    f"RTP header extension claims {words} words, packet ends first")
            extension = RtpExtension(profile, bytes(data[pos:end]))
            pos = end
        end = len(data)
        padding = 0
        if has_padding:
            padding = data[-1]
            if padding == 0:
                raise RtpError("RTP padding length is zero")
            if pos + padding > end:
                raise RtpError(f"RTP padding length {padding} exceeds the packet")
            end -= padding
        return cls(
            payload_type=second & 0x7F,
            sequence=sequence,
            timestamp=timestamp,
            ssrc=ssrc,
            payload=bytes(data[pos:end]),
            marker=bool(second & 0x80),
            csrc=csrc,
            extension=extension,
            padding=padding,
        )

    def __bytes__(self) -> bytes:
        if len(self.csrc) > 15:
            raise RtpError("RTP packet cannot carry more than 15 CSRC entries")
        if not 0 <= self.payload_type <= 127:
            raise RtpError(f"RTP payload type {self.payload_type} does not fit 7 bits")
        if not 0 <= self.padding <= 255:
            raise RtpError(f"RTP padding {self.padding} does not fit one byte")
        first = (RTP_VERSION << 6) | len(self.csrc)
        if self.padding:
            first |= 0x20
        if self.extension is not None:
            first |= 0x10
        second = self.payload_type | (0x80 if self.marker else 0)
        parts = [_FIXED.pack(first, second, self.sequence & 0xFFFF,
                             self.timestamp & 0xFFFFFFFF, self.ssrc & 0xFFFFFFFF)]
        if self.csrc:
            parts.append(struct.pack(f"!{len(self.csrc)}I", *self.csrc))
        if self.extension is not None:
            ext = self.extension
            parts.append(_EXT_HEADER.pack(ext.profile, len(ext.data) // 4))
            parts.append(ext.data)
        parts.append(self.payload)
        if self.padding:
            parts.append(bytes(self.padding - 1) + bytes((self.padding,)))
        return b"".join(parts)


def rewrite_header(data: bytes, sequence: int, timestamp: int, ssrc: int,
                   payload_type: int | None = None) -> bytes:
    """Patch sequence, timestamp, SSRC (and optionally payload type) without a full parse.

    The relay fast path forwards a packet from one leg to the other with the outgoing leg's
    numbering; everything after the fixed header is copied untouched.
    """
    if len(data) < HEADER_SIZE or data[0] >> 6 != RTP_VERSION:
        raise RtpError("not an RTP packet")
    second = data[1]
    if payload_type is not None:
        second = (second & 0x80) | (payload_type & 0x7F)
    return b"".join((
        bytes((data[0], second)),
        _SEQ_TS_SSRC.pack(sequence & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc & 0xFFFFFFFF),
        data[HEADER_SIZE:],
    ))
