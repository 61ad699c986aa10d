"""Real RTP from SIPp's packaged captures, through the session, receiver and jitter buffer."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import pytest

from softswitch.rtp.dtmf import DtmfReceiver
from softswitch.rtp.jitterbuffer import JitterBuffer
from softswitch.rtp.packet import RtpPacket
from softswitch.rtp.session import RtpSession

CAPTURES = Path("/usr/share/sip-tester")


def udp_payloads(path: Path) -> list[tuple[float, bytes]]:
    """(capture time, UDP payload) of every IPv4/UDP frame in a classic Ethernet pcap."""
    if not path.exists():
        pytest.skip(f"{path} not installed (Debian package sip-tester)")
    data = path.read_bytes()
    magic, _, _, _, _, _, link = struct.unpack_from("<IHHiIII", data)
    assert magic == 0xA1B2C3D4 and link == 1
    out = []
    pos = 24
    while pos < len(data):
        seconds, micros, length, _ = struct.unpack_from("<IIII", data, pos)
        frame = data[pos + 16:pos + 16 + length]
        pos += 16 + length
        ihl = (frame[14] & 0x0F) * 4
        if frame[12:14] == b"\x08\x00" and frame[23] == 17:
            out.append((seconds + micros / 1e6, frame[14 + ihl + 8:]))
    return out


@pytest.mark.parametrize(("name", "digit"), [
    *[(f"dtmf_2833_{d}.pcap", str(d)) for d in range(10)],
    ("dtmf_2833_star.pcap", "*"), ("dtmf_2833_pound.pcap", "#"),
])
def test_sipp_rfc4733_capture_gives_one_digit(name: str, digit: str) -> None:
    frames = udp_payloads(CAPTURES / name)
    t0 = frames[0][0]
    session = RtpSession(1)
    receiver = DtmfReceiver()
    digits = []
    for at, payload in frames:
        packet = session.receive(payload, ("192.168.0.3", 49176), at - t0)
        assert packet is not None and packet.payload_type == 101
        digits += receiver.receive(packet, at - t0)
    digits += receiver.poll(10.0)
    assert [d.digit for d in digits] == [digit]
    assert digits[0].duration == pytest.approx(0x08C0 / 8000)


def test_sipp_g711a_capture_plays_through_jitter_buffer() -> None:
    """The capture is A-law at 30 ms a packet: the buffer ticks at that frame size."""
    frames = udp_payloads(CAPTURES / "g711a.pcap")
    t0 = frames[0][0]
    session = RtpSession(1, payload_type=8, frame_samples=240)
    buffer = JitterBuffer(frame_samples=240)
    packets = []
    for at, payload in frames:
        packet = session.receive(payload, ("10.0.0.1", 4000), at - t0)
        assert packet is not None
        packets.append((at - t0, packet))
    played: list[RtpPacket] = []
    index = 0
    for tick in range(len(packets) + 20):
        now = tick * buffer.frame_time
        while index < len(packets) and packets[index][0] <= now:
            buffer.put(packets[index][1], packets[index][0])
            index += 1
        frame = buffer.get(now)
        if isinstance(frame, RtpPacket):
            played.append(frame)
    assert index == len(packets)
    sequences = [p.sequence for p in played]
    assert len(played) == len(packets)
    assert all((b - a) & 0xFFFF == 1 for a, b in itertools.pairwise(sequences))
    assert buffer.stats.late == buffer.stats.lost == buffer.stats.duplicates == 0
    assert buffer.jitter < 0.002
    quality = session.quality()
    assert quality.loss_percent == 0.0 and quality.mos > 4.3 and quality.jitter_ms < 2
    assert all(p.payload_type == 8 and len(p.payload) == 240 for p in played)
