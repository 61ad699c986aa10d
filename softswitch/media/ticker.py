"""When the 20 ms media tick is due: drift-free, with bounded catch-up and lateness statistics.

Sans-IO: the edge asks `due(now)` when it wakes, runs the ticks it is given, and arms its
timer for `next_deadline()` with loop.call_at. Tick n is due at `start + n * period`, an
absolute time, so lateness never accumulates the way chained sleeps do. When the process
was stalled, at most `max_catch_up` overdue ticks are run back to back; older ones are
skipped (and counted), because audio that late is worthless.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TICK = 0.020
_EPSILON = 1e-9  # float slack so a tick asked for exactly at its deadline is due


@dataclass(frozen=True, slots=True)
class Due:
    """Ticks to run now (in order) and how many overdue ticks were given up before them."""

    ticks: range
    skipped: int


@dataclass(frozen=True, slots=True)
class LatenessStats:
    ticks: int
    skipped: int
    p50: float
    p99: float
    max: float
    #: fraction of run ticks that started within `on_time_within` of their deadline
    on_time: float


class Ticker:
    def __init__(self, start: float, period: float = TICK, max_catch_up: int = 5,
                 on_time_within: float = 0.005, history: int = 3000) -> None:
        if period <= 0 or max_catch_up < 1 or history < 1:
            raise ValueError("period must be positive; max_catch_up and history at least 1")
        self.start = start
        self.period = period
        self.max_catch_up = max_catch_up
        self.on_time_within = on_time_within
        self._next = 0
        self._run = 0
        self._skipped = 0
        self._on_time = 0
        self._max = 0.0
        self._lateness = np.zeros(history)

    @property
    def next_tick(self) -> int:
        return self._next

    def deadline(self, tick: int) -> float:
        return self.start + tick * self.period

    def next_deadline(self) -> float:
        """When to wake next (for loop.call_at)."""
        return self.deadline(self._next)

    def due(self, now: float) -> Due:
        last = math.floor((now - self.start) / self.period + _EPSILON)
        if last < self._next:
            return Due(range(self._next, self._next), 0)
        first = max(self._next, last - self.max_catch_up + 1)
        skipped = first - self._next
        self._skipped += skipped
        ticks = range(first, last + 1)
        for tick in ticks:
            self._record(now - self.deadline(tick))
        self._next = last + 1
        return Due(ticks, skipped)

    def _record(self, lateness: float) -> None:
        lateness = max(lateness, 0.0)
        self._lateness[self._run % len(self._lateness)] = lateness
        self._run += 1
        self._max = max(self._max, lateness)
        if lateness <= self.on_time_within:
            self._on_time += 1

    def stats(self) -> LatenessStats:
        """Percentiles over the recent history; counts and max over the whole run."""
        recent = self._lateness[: min(self._run, len(self._lateness))]
        p50, p99 = (np.percentile(recent, [50, 99]) if len(recent) else (0.0, 0.0))
        return LatenessStats(
            ticks=self._run, skipped=self._skipped, p50=float(p50), p99=float(p99),
            max=self._max, on_time=self._on_time / self._run if self._run else 1.0)
