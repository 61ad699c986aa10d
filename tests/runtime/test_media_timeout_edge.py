"""The media timeout, wired: the media edge's last-packet times over real loopback
sockets, and the edge's one timer asking the owners of silent legs on a real loop."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from softswitch.call.actions import CloseMedia, MediaParams, OpenMedia
from softswitch.call.media_timeout import MediaWatch
from softswitch.clock import LoopClock
from softswitch.rtp.packet import RtpPacket
from softswitch.runtime.media_edge import MediaEdge
from softswitch.runtime.media_timeout_edge import MediaTimeoutEdge
from softswitch.runtime.rtp_ports import BoundPorts
from tests.integration.switch_process import free_port


async def _heard_times() -> tuple[float, float, float, dict[int, float]]:
    loop = asyncio.get_running_loop()
    clock = LoopClock(loop)
    low = free_port() & ~1
    ports = BoundPorts("127.0.0.1", low, low + 20)
    edge = MediaEdge(loop, clock, ports)
    phone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    phone.bind(("127.0.0.1", 0))
    try:
        port = ports.allocate()
        assert port is not None
        opened = clock.now()
        edge.open(OpenMedia(1, port, MediaParams("PCMU", 0, None, phone.getsockname())))
        assert edge.last_heard()[1] >= opened
        await asyncio.sleep(0.2)
        silent = edge.last_heard()[1]
        packet = RtpPacket(payload_type=0, sequence=1, timestamp=160, ssrc=7,
                           payload=b"\xff" * 160)
        phone.sendto(bytes(packet), ("127.0.0.1", port))
        await asyncio.sleep(0.1)
        after_rtp = edge.last_heard()[1]
        await asyncio.sleep(0.1)
        phone.sendto(b"not rtcp", ("127.0.0.1", port + 1))  # garbage is no sign of life
        await asyncio.sleep(0.1)
        unchanged = edge.last_heard()[1]
        edge.close(CloseMedia(1))
        return opened, silent, after_rtp, {**edge.last_heard(), -1: unchanged}
    finally:
        edge.stop()
        ports.close()
        phone.close()


def test_the_media_edge_knows_when_each_leg_last_sent() -> None:
    opened, silent, after_rtp, rest = asyncio.run(_heard_times())
    assert silent < opened + 0.05  # nothing came: still the opening time
    assert after_rtp >= opened + 0.2  # the RTP packet moved it
    assert rest == {-1: after_rtp}  # garbage on RTCP did not; a closed leg is gone


async def _watch(heard: dict[int, float], answers: dict[int, Any],
                 wait: float) -> tuple[list[tuple[str, int]], list[list[str]], int]:
    loop = asyncio.get_running_loop()
    clock = LoopClock(loop)
    asked: list[tuple[str, int]] = []
    ran: list[list[str]] = []

    def owner(name: str) -> Any:
        def ask(leg: int, now: float, wall: float) -> list[Any] | None:
            asked.append((name, leg))
            return answers.get((name, leg))
        return ask

    now = clock.now()
    last = {leg: now + offset for leg, offset in heard.items()}
    edge = MediaTimeoutEdge(MediaWatch(0.2), lambda: last, [owner("b2bua"), owner("center")],
                            ran.append, clock, loop)
    edge.start()
    await asyncio.sleep(wait)
    edge.stop()
    return asked, ran, edge.ended


def test_a_silent_legs_owner_ends_its_call_once() -> None:
    # leg 1 is the center's (the B2BUA says "not mine"); leg 2 keeps sending
    asked, ran, ended = asyncio.run(_watch({1: 0.0, 2: 10.0},
                                           {("center", 1): ["bye"], ("b2bua", 1): None},
                                           0.5))
    assert ran[0] == ["bye"] and ended >= 1
    assert asked[:2] == [("b2bua", 1), ("center", 1)]
    assert all(leg == 1 for _, leg in asked)  # leg 2 was never silent long enough
    # asked again only a full timeout after the last question, not on every wake
    assert len(asked) <= 2 * 3


def test_an_allowed_silence_is_asked_about_once_per_timeout() -> None:
    asked, ran, ended = asyncio.run(_watch({1: 0.0}, {("b2bua", 1): []}, 0.5))
    assert ran == [] and ended == 0
    assert asked and all(who == "b2bua" for who, _ in asked)  # the first owner answered
    assert 1 <= len(asked) <= 3  # 0.5 s at 0.2 s each: no busy loop
