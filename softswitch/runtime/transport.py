"""UDP and TCP sockets for SIP: the only place where SIP bytes meet the network.

The transports know nothing of SIP beyond framing: a datagram is one message; a TCP
stream is framed by the core's `StreamParser`. They hand bytes (or parsed messages, for
TCP) to callbacks and send what they are given.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass

from softswitch.errors import ProtocolError
from softswitch.sip.message import Request, Response
from softswitch.sip.parser import StreamParser

log = logging.getLogger(__name__)

#: SIP over UDP fits in one datagram of at most 65,535 bytes; asyncio's default read
#: size of 256 KiB costs an mmap/munmap per packet, 64 KiB stays on the heap.
UDP_READ_SIZE = 65536
#: Ask the kernel for a large receive buffer so bursts of SIP are not dropped.
RECEIVE_BUFFER = 4 * 1024 * 1024
#: A TCP peer that sends nothing for this long is closed (phones keep theirs alive).
TCP_IDLE_SECONDS = 900.0

Address = tuple[str, int]


@dataclass(frozen=True)
class BoundAddress:
    transport: str
    host: str
    port: int


def _enlarge_receive_buffer(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    except OSError:  # pragma: no cover - the kernel may cap it; that is fine
        pass


class UdpEndpoint(asyncio.DatagramProtocol):
    """One bound UDP socket; datagrams go to `on_datagram(data, addr, endpoint)`."""

    def __init__(self, on_datagram: Callable[[bytes, Address, UdpEndpoint], None]) -> None:
        self._on_datagram = on_datagram
        self.transport: asyncio.DatagramTransport | None = None
        self.bound: BoundAddress | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        # the selector transport reads this attribute for each recvfrom
        transport.max_size = UDP_READ_SIZE  # type: ignore[attr-defined]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            _enlarge_receive_buffer(sock)
        host, port = transport.get_extra_info("sockname")[:2]
        self.bound = BoundAddress("udp", host, port)

    def datagram_received(self, data: bytes, addr: tuple) -> None:  # type: ignore[override]
        try:
            self._on_datagram(data, (addr[0], addr[1]), self)
        except Exception:  # a bug must not kill the socket; the message is lost, not the switch
            log.exception("error handling a datagram from %s:%s", addr[0], addr[1])

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and friends: UDP peers vanish; timers deal with it
        log.debug("udp error: %s", exc)

    def send(self, data: bytes, addr: Address) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class TcpConnection(asyncio.Protocol):
    """One TCP connection, framed by Content-Length; garbage closes it cleanly."""

    def __init__(self, server: TcpListener, conn_id: int) -> None:
        self._server = server
        self.conn_id = conn_id
        self._parser = StreamParser()
        self.transport: asyncio.Transport | None = None
        self.peer: Address = ("", 0)
        self._idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = (peer[0], peer[1])
        self._server.connections[self.conn_id] = self
        self._touch()

    def data_received(self, data: bytes) -> None:
        self._touch()
        chunk = data
        while True:
            try:
                messages = self._parser.feed(chunk)
            except ProtocolError as error:
                self._server.on_garbage(error, self)
                if self._parser.broken:  # framing lost: nothing after it can be trusted
                    self.close()
                    return
                chunk = b""  # one bad message framed by its Content-Length: go on
                continue
            for message in messages:
                try:
                    self._server.on_message(message, self)
                except Exception:
                    log.exception("error handling a message from tcp %s:%s", *self.peer)
            if not messages or not self._parser.buffered:
                return
            chunk = b""  # a bad message may wait behind the good ones handed over

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.pop(self.conn_id, None)
        if self._idle is not None:
            self._idle.cancel()
        if self._server.on_closed is not None:
            self._server.on_closed(self)

    def _touch(self) -> None:
        loop = asyncio.get_running_loop()
        if self._idle is not None:
            self._idle.cancel()
        self._idle = loop.call_later(TCP_IDLE_SECONDS, self.close)

    def send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class TcpListener:
    """A listening TCP socket and the connections it accepted, by id."""

    def __init__(self, ids: itertools.count[int],
                 on_message: Callable[[Request | Response, TcpConnection], None],
                 on_garbage: Callable[[ProtocolError, TcpConnection], None],
                 on_closed: Callable[[TcpConnection], None] | None = None) -> None:
        self._ids = ids
        self.on_message = on_message
        self.on_garbage = on_garbage
        self.on_closed = on_closed
        self.connections: dict[int, TcpConnection] = {}
        self.server: asyncio.base_events.Server | None = None
        self.bound: BoundAddress | None = None

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: TcpConnection(self, next(self._ids)), host, port, reuse_address=True)
        sockname = self.server.sockets[0].getsockname()
        self.bound = BoundAddress("tcp", sockname[0], sockname[1])

    async def close(self) -> None:
        for conn in list(self.connections.values()):
            conn.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def open_udp(host: str, port: int,
                   on_datagram: Callable[[bytes, Address, UdpEndpoint], None]) -> UdpEndpoint:
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    _, protocol = await loop.create_datagram_endpoint(
        lambda: UdpEndpoint(on_datagram), local_addr=(host, port), family=family)
    return protocol
