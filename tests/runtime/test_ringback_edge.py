"""The ringback edge over real loopback sockets: the tone reaches the caller's phone on
its channel, stops on request, and plays on a channel whose early-media partner left."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import numpy as np

from softswitch.call.actions import BridgeMedia, CloseMedia, MediaParams, OpenMedia
from softswitch.call.ringback import Ringback
from softswitch.clock import LoopClock
from softswitch.codecs.registry import PCMA
from softswitch.rtp.packet import RtpPacket
from softswitch.runtime.media_edge import MediaEdge
from softswitch.runtime.ringback_edge import RingbackEdge
from softswitch.runtime.rtp_ports import BoundPorts
from tests.integration.switch_process import free_port


class Handlers:
    """The part of the SIP driver the edge uses: where its action type is carried out."""

    def __init__(self) -> None:
        self.handlers: dict[type, Callable[[Any, float], None]] = {}

    def add_handler(self, kind: type, handler: Callable[[Any, float], None]) -> None:
        self.handlers[kind] = handler

    def run(self, action: Ringback) -> None:
        self.handlers[type(action)](action, 0.0)


def _audio(sock: socket.socket) -> np.ndarray:
    chunks = []
    while True:
        try:
            chunks.append(PCMA.decode(RtpPacket.parse(sock.recv(2048)).payload))
        except BlockingIOError:
            break
    return np.concatenate(chunks).astype(np.int32) if chunks else np.zeros(0, np.int32)


async def _scenario() -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    loop = asyncio.get_running_loop()
    low = free_port() & ~1
    ports = BoundPorts("127.0.0.1", low, low + 20)
    media = MediaEdge(loop, LoopClock(loop), ports)
    driver = Handlers()
    edge = RingbackEdge(driver, media)  # type: ignore[arg-type]
    phone, other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), \
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for sock in (phone, other):
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
    try:
        pa, pb = ports.allocate(), ports.allocate()
        assert pa is not None and pb is not None
        media.open(OpenMedia(1, pa, MediaParams("PCMA", 8, None, phone.getsockname())))
        driver.run(Ringback(99, True))  # no such leg: nothing happens
        driver.run(Ringback(1, True))
        await asyncio.sleep(0.5)
        tone = _audio(phone)
        driver.run(Ringback(1, False))
        await asyncio.sleep(0.1)
        _audio(phone)  # what was in flight
        await asyncio.sleep(0.3)
        stopped = _audio(phone)
        # an early-media partner came and went: the tone plays on the lone channel
        media.open(OpenMedia(2, pb, MediaParams("PCMA", 8, None, other.getsockname())))
        media.bridge(BridgeMedia(1, 2))
        media.close(CloseMedia(2))
        driver.run(Ringback(1, True))
        await asyncio.sleep(0.4)
        again = _audio(phone)
        media.close(CloseMedia(1))
        return tone, stopped, again, edge.started
    finally:
        media.stop()
        ports.close()
        phone.close()
        other.close()


def _peak_hz(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio.astype(float)))
    return float(np.fft.rfftfreq(len(audio), 1 / 8000)[int(np.argmax(spectrum))])


def test_the_tone_plays_stops_and_plays_again_after_an_early_partner_left() -> None:
    tone, stopped, again, started = asyncio.run(_scenario())
    assert len(tone) >= 15 * 160 and np.abs(tone).mean() > 2000
    assert abs(_peak_hz(tone) - 425) < 10
    assert not np.abs(stopped).max(initial=0) > 100  # silence, or nothing at all
    assert len(again) >= 10 * 160 and abs(_peak_hz(again) - 425) < 10
    assert started == 2
