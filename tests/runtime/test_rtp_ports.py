from __future__ import annotations

import socket

from softswitch.runtime.rtp_ports import BoundPorts
from tests.integration.switch_process import free_port


def _base() -> int:
    while True:
        port = free_port()
        if port % 2 == 0 and port < 65000:
            return port


def test_pairs_are_bound_once_and_kept_across_calls() -> None:
    low = _base()
    ports = BoundPorts("127.0.0.1", low, low + 9)
    try:
        first = ports.allocate()
        assert first is not None
        rtp, rtcp = ports.sockets(first)
        assert rtp.getsockname()[1] == first and rtcp.getsockname()[1] == first + 1
        ports.release(first)
        for _ in range(4):  # cycle through the whole range and back to the first port
            port = ports.allocate()
            assert port is not None
            ports.release(port)
        again = ports.allocate()
        assert again is not None and ports.sockets(again)[0].fileno() != -1
        assert ports.bound <= 5
    finally:
        ports.close()


def test_a_port_held_by_someone_else_is_skipped() -> None:
    low = _base()
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        squatter.bind(("127.0.0.1", low + 1))  # the RTCP half of the first pair
    except OSError:
        squatter.close()
        return
    ports = BoundPorts("127.0.0.1", low, low + 3)
    try:
        assert ports.allocate() == low + 2
        assert ports.allocate() is None
        assert ports.in_use == 1
    finally:
        ports.close()
        squatter.close()
