"""The one injected clock.

Cores never read time themselves: they take `now` as an argument. The edge reads it from
a `Clock`: the event loop's monotonic time in production, a `ManualClock` in tests that
advances instantly.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds: for timers and durations."""
        ...

    def wall(self) -> float:
        """Seconds since the epoch: for timestamps that people read."""
        ...


class ManualClock:
    """A clock that moves only when told to, so timer tests never sleep."""

    def __init__(self, start: float = 0.0, wall_start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._wall_offset = wall_start - start

    def now(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._now + self._wall_offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._now += seconds
        return self._now

    def set(self, now: float) -> None:
        if now < self._now:
            raise ValueError("a clock does not go backwards")
        self._now = now


class LoopClock:
    """The asyncio loop's monotonic time, plus the system's wall clock."""

    def __init__(self, loop: object | None = None) -> None:
        self._loop = loop

    def now(self) -> float:
        if self._loop is not None:
            return self._loop.time()  # type: ignore[attr-defined, no-any-return]
        return time.monotonic()

    def wall(self) -> float:
        return time.time()
