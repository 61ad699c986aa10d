"""The media edge over real loopback sockets: relay and transcoding between two legs."""

from __future__ import annotations

import asyncio
import socket

import numpy as np

from softswitch.call.actions import BridgeMedia, CloseMedia, HoldMedia, MediaParams, OpenMedia
from softswitch.clock import LoopClock
from softswitch.codecs.registry import PCMA, PCMU
from softswitch.rtp.packet import RtpPacket
from softswitch.runtime.media_edge import MediaEdge
from softswitch.runtime.rtp_ports import BoundPorts
from tests.integration.switch_process import free_port


def _phone() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


def _tone(frames: int) -> np.ndarray:
    t = np.arange(160 * frames) / 8000
    return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


async def _exchange(codec_a: str, codec_b: str, frames: int = 25,
                    hold: bool = False) -> tuple[list[RtpPacket], MediaEdge]:
    loop = asyncio.get_running_loop()
    low = free_port() & ~1
    ports = BoundPorts("127.0.0.1", low, low + 20)
    edge = MediaEdge(loop, LoopClock(loop), ports)
    alice, bob = _phone(), _phone()
    try:
        pa, pb = ports.allocate(), ports.allocate()
        assert pa is not None and pb is not None
        pt = {"PCMU": 0, "PCMA": 8}
        edge.open(OpenMedia(1, pa, MediaParams(codec_a, pt[codec_a], None,
                                               alice.getsockname())))
        edge.open(OpenMedia(2, pb, MediaParams(codec_b, pt[codec_b], None,
                                               bob.getsockname())))
        edge.bridge(BridgeMedia(1, 2))
        if hold:
            edge.hold(HoldMedia(1, 2, True))
            frames = 0  # alice says nothing: bob hears music
            await asyncio.sleep(0.5)
        encoder = PCMU if codec_a == "PCMU" else PCMA
        samples = _tone(frames)
        for i in range(frames):
            payload = encoder.encode(samples[i * 160:(i + 1) * 160])
            packet = RtpPacket(payload_type=pt[codec_a], sequence=i, timestamp=i * 160,
                               ssrc=1234, payload=payload)
            alice.sendto(bytes(packet), ("127.0.0.1", pa))
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        received = []
        while True:
            try:
                received.append(RtpPacket.parse(bob.recv(2048)))
            except BlockingIOError:
                break
        edge.close(CloseMedia(1))
        edge.close(CloseMedia(2))
        return received, edge
    finally:
        edge.stop()
        ports.close()
        alice.close()
        bob.close()


def test_same_codec_is_relayed_untouched() -> None:
    received, edge = asyncio.run(_exchange("PCMU", "PCMU"))
    sent = PCMU.encode(_tone(25))
    got = b"".join(p.payload for p in received)
    assert got == sent[:len(got)] and len(received) >= 23
    assert all(p.payload_type == 0 for p in received)
    quality = edge.take_quality(1)
    assert quality is not None and quality["packets_received"] >= 23
    assert edge.take_quality(1) is None  # handed over once
    assert edge.legs == 0 and edge.engine.channels == 0


def test_alaw_to_ulaw_is_transcoded() -> None:
    received, _edge = asyncio.run(_exchange("PCMA", "PCMU"))
    voiced = [p for p in received if np.abs(PCMU.decode(p.payload).astype(int)).max() > 1000]
    assert len(voiced) >= 15
    assert all(p.payload_type == 0 for p in received)
    decoded = np.concatenate([PCMU.decode(p.payload) for p in voiced]).astype(float)
    spectrum = np.abs(np.fft.rfft(decoded))
    peak = np.fft.rfftfreq(len(decoded), 1 / 8000)[int(np.argmax(spectrum))]
    assert abs(peak - 440) < 10


def test_the_held_party_hears_music() -> None:
    received, _edge = asyncio.run(_exchange("PCMU", "PCMA", hold=True))
    assert len(received) >= 15  # the tick sends music though alice sent nothing
    loud = [p for p in received if np.abs(PCMA.decode(p.payload).astype(int)).max() > 300]
    assert len(loud) >= 10


async def _digits() -> list[RtpPacket]:
    loop = asyncio.get_running_loop()
    low = free_port() & ~1
    ports = BoundPorts("127.0.0.1", low, low + 20)
    edge = MediaEdge(loop, LoopClock(loop), ports)
    alice, bob = _phone(), _phone()
    try:
        pa, pb = ports.allocate(), ports.allocate()
        assert pa is not None and pb is not None
        edge.open(OpenMedia(1, pa, MediaParams("PCMU", 0, 101, alice.getsockname())))
        edge.open(OpenMedia(2, pb, MediaParams("PCMU", 0, 96, bob.getsockname())))
        edge.bridge(BridgeMedia(1, 2))
        # digit 5: three updates of one event, then its end three times (RFC 4733 2.5.1.4)
        for n, (duration, end) in enumerate([(160, False), (320, False), (480, False),
                                             (640, True), (640, True), (640, True)]):
            payload = bytes([5, (0x80 if end else 0) | 10]) + duration.to_bytes(2, "big")
            packet = RtpPacket(payload_type=101, sequence=n, timestamp=8000, ssrc=99,
                               payload=payload, marker=n == 0)
            alice.sendto(bytes(packet), ("127.0.0.1", pa))
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)
        received = []
        while True:
            try:
                received.append(RtpPacket.parse(bob.recv(2048)))
            except BlockingIOError:
                break
        return [p for p in received if p.payload_type != 0]
    finally:
        edge.stop()
        ports.close()
        alice.close()
        bob.close()


def test_telephone_events_are_relayed_with_the_partner_payload_type() -> None:
    events = asyncio.run(_digits())
    assert [p.payload_type for p in events] == [96] * 6
    assert [p.payload[0] for p in events] == [5] * 6
    assert len({p.timestamp for p in events}) == 1  # one event, one timestamp
    assert events[0].marker and not any(p.marker for p in events[1:])
    assert [p.payload[1] & 0x80 for p in events] == [0, 0, 0, 0x80, 0x80, 0x80]
