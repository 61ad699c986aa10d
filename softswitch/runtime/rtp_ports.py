"""RTP/RTCP socket pairs, bound once and kept: the pool the call core takes ports from.

A pair is bound the first time its port is handed out and stays bound until the switch
stops, so a port is never found by bind-close-rebind (which races other processes).
A port someone else holds is skipped for good.
"""

from __future__ import annotations

import logging
import socket

from softswitch.call.ports import PortRange

log = logging.getLogger(__name__)

#: enough for a burst of 20 ms frames while the loop is busy
RTP_RECEIVE_BUFFER = 256 * 1024


class BoundPorts:
    """Implements `softswitch.call.ports.PortPool` over real, non-blocking sockets."""

    def __init__(self, host: str, low: int, high: int) -> None:
        self.host = host
        self._range = PortRange(low, high)
        self._sockets: dict[int, tuple[socket.socket, socket.socket]] = {}

    def allocate(self) -> int | None:
        while True:
            port = self._range.allocate()
            if port is None:
                return None
            if port in self._sockets or self._bind(port):
                return port
            self._range.discard(port)

    def _bind(self, port: int) -> bool:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        pair: list[socket.socket] = []
        try:
            for number in (port, port + 1):
                sock = socket.socket(family, socket.SOCK_DGRAM)
                pair.append(sock)
                sock.setblocking(False)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RTP_RECEIVE_BUFFER)
                except OSError:  # pragma: no cover - capped by the kernel: fine
                    pass
                sock.bind((self.host, number))
        except OSError as error:
            log.info("RTP port %d unusable (%s); skipped", port, error)
            for sock in pair:
                sock.close()
            return False
        self._sockets[port] = (pair[0], pair[1])
        return True

    def release(self, port: int) -> None:
        self._range.release(port)

    def sockets(self, port: int) -> tuple[socket.socket, socket.socket]:
        """The (RTP, RTCP) sockets of an allocated port."""
        return self._sockets[port]

    @property
    def in_use(self) -> int:
        return self._range.in_use

    @property
    def bound(self) -> int:
        return len(self._sockets)

    def close(self) -> None:
        for rtp, rtcp in self._sockets.values():
            rtp.close()
            rtcp.close()
        self._sockets.clear()
