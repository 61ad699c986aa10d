"""Music on hold over real loopback sockets: it stops on resume even when the leg that
held is gone (a blind transferor that hung up before the target answered)."""

from __future__ import annotations

import asyncio
import socket

import numpy as np

from softswitch.call.actions import BridgeMedia, CloseMedia, HoldMedia, MediaParams, OpenMedia
from softswitch.clock import LoopClock
from softswitch.codecs.registry import PCMU
from softswitch.rtp.packet import RtpPacket
from softswitch.runtime.media_edge import MediaEdge
from softswitch.runtime.rtp_ports import BoundPorts
from tests.integration.switch_process import free_port


def _phone() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


def _loud_packets(sock: socket.socket) -> tuple[int, int]:
    """(packets, packets with sound) waiting on the socket."""
    total = loud = 0
    while True:
        try:
            packet = RtpPacket.parse(sock.recv(2048))
        except BlockingIOError:
            return total, loud
        total += 1
        loud += int(np.abs(PCMU.decode(packet.payload).astype(int)).max() > 300)


async def _music_after_the_holder_left() -> tuple[tuple[int, int], tuple[int, int]]:
    loop = asyncio.get_running_loop()
    low = free_port() & ~1
    ports = BoundPorts("127.0.0.1", low, low + 20)
    edge = MediaEdge(loop, LoopClock(loop), ports)
    holder, held = _phone(), _phone()
    try:
        ph, pd = ports.allocate(), ports.allocate()
        assert ph is not None and pd is not None
        edge.open(OpenMedia(1, ph, MediaParams("PCMU", 0, None, holder.getsockname())))
        edge.open(OpenMedia(2, pd, MediaParams("PCMU", 0, None, held.getsockname())))
        edge.bridge(BridgeMedia(1, 2))
        edge.hold(HoldMedia(1, 2, True))
        await asyncio.sleep(0.4)
        during = _loud_packets(held)
        edge.close(CloseMedia(1))
        edge.hold(HoldMedia(1, 2, False))
        await asyncio.sleep(0.1)
        _loud_packets(held)  # what was on its way
        await asyncio.sleep(0.4)
        after = _loud_packets(held)
        edge.close(CloseMedia(2))
        return during, after
    finally:
        edge.stop()
        ports.close()
        holder.close()
        held.close()


def test_music_stops_though_the_holder_is_gone() -> None:
    (_, loud_during), (_, loud_after) = asyncio.run(_music_after_the_holder_left())
    assert loud_during >= 10
    assert loud_after == 0
