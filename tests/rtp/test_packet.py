from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.errors import ProtocolError
from softswitch.rtp.packet import RtpError, RtpExtension, RtpPacket, rewrite_header


def test_round_trip_plain() -> None:
    packet = RtpPacket(payload_type=0, sequence=65535, timestamp=0xFFFFFFFF, ssrc=0xDEADBEEF,
                       payload=b"\xff" * 160, marker=True)
    data = bytes(packet)
    assert len(data) == 172
    assert data[:2] == b"\x80\x80"
    assert RtpPacket.parse(data) == packet


def test_round_trip_csrc_extension_padding() -> None:
    packet = RtpPacket(payload_type=101, sequence=7, timestamp=1234, ssrc=42,
                       payload=b"abc", csrc=[1, 2, 3],
                       extension=RtpExtension(0xBEDE, b"\x10\x01\x00\x00"), padding=5)
    data = bytes(packet)
    assert data[0] == 0x80 | 0x20 | 0x10 | 3
    assert data[-1] == 5
    assert len(data) == 12 + 12 + 4 + 4 + 3 + 5
    assert RtpPacket.parse(data) == packet


def test_known_wire_bytes() -> None:
    data = bytes.fromhex("8008 0102 00000a00 11223344") + b"\xd5" * 4
    packet = RtpPacket.parse(data)
    assert (packet.payload_type, packet.sequence, packet.timestamp, packet.ssrc) == (
        8, 0x0102, 0xA00, 0x11223344)
    assert not packet.marker and packet.payload == b"\xd5" * 4 and packet.version == 2


@pytest.mark.parametrize(("data", "message"), [
    (b"\x80\x00\x00", "too short"),
    (bytes.fromhex("4000000100000000 00000001"), "version 1"),
    (bytes.fromhex("c000000100000000 00000001"), "version 3"),
    (bytes.fromhex("8300000100000000 00000001") + b"\0" * 8, "CSRC"),
    (bytes.fromhex("9000000100000000 00000001") + b"\xbe\xde", "extension"),
    (bytes.fromhex("9000000100000000 00000001 bede0002") + b"\0" * 4, "extension claims 2"),
    (bytes.fromhex("a000000100000000 00000001") + b"ab\x00", "padding length is zero"),
    (bytes.fromhex("a000000100000000 00000001") + b"ab\x09", "exceeds"),
])
def test_garbage_is_rejected(data: bytes, message: str) -> None:
    with pytest.raises(RtpError, match=message):
        RtpPacket.parse(data)


def test_rtp_error_is_protocol_error() -> None:
    assert issubclass(RtpError, ProtocolError)


def test_extension_does_not_break_payload() -> None:
    ext_body = b"\x22" * 8
    data = (bytes.fromhex("9000000500000064 00000009") + struct.pack("!HH", 0x1000, 2)
            + ext_body + b"PAYLOAD")
    packet = RtpPacket.parse(data)
    assert packet.extension == RtpExtension(0x1000, ext_body)
    assert packet.payload == b"PAYLOAD"


def test_serialize_rejects_impossible_fields() -> None:
    with pytest.raises(RtpError):
        bytes(RtpPacket(payload_type=200))
    with pytest.raises(RtpError):
        bytes(RtpPacket(csrc=list(range(16))))
    with pytest.raises(RtpError):
        RtpExtension(1, b"abc")


def test_rewrite_header_patches_only_numbering() -> None:
    original = RtpPacket(payload_type=0, sequence=10, timestamp=1600, ssrc=1, marker=True,
                         payload=b"x" * 160, csrc=[9])
    patched = RtpPacket.parse(rewrite_header(bytes(original), 70000, 2**32 + 5, 77))
    assert (patched.sequence, patched.timestamp, patched.ssrc) == (70000 - 65536, 5, 77)
    assert patched.marker and patched.payload == original.payload and patched.csrc == [9]
    retyped = RtpPacket.parse(rewrite_header(bytes(original), 1, 2, 3, payload_type=8))
    assert retyped.payload_type == 8 and retyped.marker


def test_rewrite_header_refuses_non_rtp() -> None:
    with pytest.raises(RtpError):
        rewrite_header(b"\x00" * 12, 1, 2, 3)
    with pytest.raises(RtpError):
        rewrite_header(b"\x80", 1, 2, 3)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_parse_random_bytes_never_crashes(data: bytes) -> None:
    try:
        packet = RtpPacket.parse(data)
    except RtpError:
        return
    assert RtpPacket.parse(bytes(packet)) == packet


@settings(max_examples=200, deadline=None)
@given(pt=st.integers(0, 127), seq=st.integers(0, 0xFFFF), ts=st.integers(0, 2**32 - 1),
       ssrc=st.integers(0, 2**32 - 1), payload=st.binary(max_size=64), marker=st.booleans(),
       csrc=st.lists(st.integers(0, 2**32 - 1), max_size=15), padding=st.integers(0, 255))
def test_round_trip_any(pt: int, seq: int, ts: int, ssrc: int, payload: bytes, marker: bool,
                        csrc: list[int], padding: int) -> None:
    packet = RtpPacket(pt, seq, ts, ssrc, payload, marker, csrc, None, padding)
    assert RtpPacket.parse(bytes(packet)) == packet
