"""RTP port pairs for call legs: what the call core needs from whoever owns the sockets.

The runtime's pool binds each pair once and keeps it bound; the core only asks for a
free even port and gives it back. `PortRange` is the bookkeeping both share.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol


class PortPool(Protocol):
    def allocate(self) -> int | None:
        """A free even RTP port (RTCP is the next one), or None when all are in use."""
        ...

    def release(self, port: int) -> None: ...

    @property
    def in_use(self) -> int: ...


class PortRange:
    """Even ports from `low` to `high` (inclusive), least recently released first, so
    a port is not reused while stray packets of its last call may still arrive."""

    def __init__(self, low: int, high: int) -> None:
        if low < 1024 or high > 65535 or low > high:
            raise ValueError(f"bad RTP port range {low}-{high}")
        first = low + (low % 2)
        self._free: deque[int] = deque(range(first, high, 2))
        self._used: set[int] = set()
        if not self._free:
            raise ValueError(f"RTP port range {low}-{high} holds no even/odd pair")

    def allocate(self) -> int | None:
        if not self._free:
            return None
        port = self._free.popleft()
        self._used.add(port)
        return port

    def release(self, port: int) -> None:
        if port in self._used:
            self._used.remove(port)
            self._free.append(port)

    def discard(self, port: int) -> None:
        """A port that cannot be used (bound by someone else): never hand it out."""
        self._used.discard(port)
        try:
            self._free.remove(port)
        except ValueError:
            pass

    @property
    def in_use(self) -> int:
        return len(self._used)

    @property
    def capacity(self) -> int:
        return len(self._used) + len(self._free)
