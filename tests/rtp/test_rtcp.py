from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.rtp.packet import RtpPacket
from softswitch.rtp.rtcp import (
    Bye,
    ReceiverReport,
    ReportBlock,
    RtcpError,
    RtcpUnknown,
    SenderReport,
    SourceDescription,
    is_rtcp,
    ntp_middle,
    ntp_timestamp,
    parse_rtcp,
    serialize_rtcp,
)


def test_compound_round_trip() -> None:
    block = ReportBlock(0x1234, fraction_lost=25, cumulative_lost=-3, highest_sequence=70000,
                        jitter=40, lsr=0xABCD0000, dlsr=65536)
    packets = [
        SenderReport(0xAA, ntp_timestamp(1_700_000_000.5), 8000, 50, 8000, (block,)),
        SourceDescription.cname(0xAA, "switch@example"),
        Bye((0xAA,), "call ended"),
    ]
    data = serialize_rtcp(packets)
    assert len(data) % 4 == 0
    assert is_rtcp(data)
    parsed = parse_rtcp(data)
    assert parsed == packets
    assert parsed[1].chunks[0].cname == "switch@example"  # type: ignore[union-attr]


def test_sender_report_wire_layout() -> None:
    data = serialize_rtcp([SenderReport(1, 2, 3, 4, 5)])
    assert data == bytes.fromhex("80c80006 00000001 0000000000000002 00000003 00000004 00000005")


def test_receiver_report_and_unknown_kept() -> None:
    rr = ReceiverReport(7, (ReportBlock(9, highest_sequence=5),))
    app = RtcpUnknown(204, 1, b"\x00\x00\x00\x07name" + b"data")
    parsed = parse_rtcp(serialize_rtcp([rr, app]))
    assert parsed == [rr, app]


def test_sdes_with_several_items_and_chunk_padding() -> None:
    # one chunk: SSRC 5, CNAME "abc", NAME "x", the null item and padding: 16 bytes
    data = bytes.fromhex("81ca0004") + bytes.fromhex("00000005 0103616263 020178 00 000000")
    (sdes,) = parse_rtcp(data)
    assert isinstance(sdes, SourceDescription)
    assert sdes.chunks[0].items == ((1, b"abc"), (2, b"x"))


def test_rtt_fields_use_ntp_middle_bits() -> None:
    ntp = ntp_timestamp(0.0)
    assert ntp >> 32 == 2_208_988_800
    assert ntp_middle(0x1122334455667788) == 0x33445566


@pytest.mark.parametrize(("data", "message"), [
    (b"\x80\xc8", "too short"),
    (bytes.fromhex("40c80000"), "version"),
    (bytes.fromhex("80c90005 00000001"), "overruns"),
    (bytes.fromhex("81c90001 00000001"), "report blocks"),
    (bytes.fromhex("81ca0001 00000001"), "null item"),
    (bytes.fromhex("81ca0002 00000001 0109aaaa"), "overruns"),
    (bytes.fromhex("82cb0001 00000001"), "BYE too short"),
    (bytes.fromhex("a0c90001 00000000"), "padding"),
    (bytes.fromhex("80c90001 00000001 80"), "trailing"),
])
def test_malformed_rtcp(data: bytes, message: str) -> None:
    with pytest.raises(RtcpError, match=message):
        parse_rtcp(data)


def test_is_rtcp_demultiplexes_rfc5761() -> None:
    assert not is_rtcp(bytes(RtpPacket(payload_type=0)))
    assert not is_rtcp(bytes(RtpPacket(payload_type=101, marker=True)))
    assert not is_rtcp(bytes(RtpPacket(payload_type=127, marker=True)))
    assert is_rtcp(serialize_rtcp([ReceiverReport(1)]))
    assert is_rtcp(bytes([0x80, 206, 0, 0]))  # PSFB
    assert not is_rtcp(b"\x80")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_parse_or_raise(data: bytes) -> None:
    try:
        packets = parse_rtcp(data)
    except RtcpError:
        return
    parse_rtcp(serialize_rtcp(packets))
