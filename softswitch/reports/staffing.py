"""Staffing: how many agents a load needs, from given figures or from the event history.

Erlang C assumes callers wait for ever; Erlang A adds an exponential patience, which the
event log measures (mean time to abandon = total waiting time of all callers / abandons).
With patience the service level is P(answered within T) over all arrivals: a caller who
hangs up counts as not served.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from softswitch.reports.erlang import agents_needed, asa, erlang_a, occupancy, service_level
from softswitch.reports.kpi import ALL, EventLike, ReportOptions, compute


@dataclass(frozen=True)
class Target:
    """A service-level target such as 80% answered within 20 s."""

    level: float
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Target:
        """'80/20' (percent / seconds)."""
        left, sep, right = text.partition("/")
        try:
            level, seconds = float(left) / 100, float(right)
        except ValueError:
            level = seconds = math.nan
        if not sep or not 0 < level < 1 or not seconds >= 0:
            raise ValueError(f"target must look like 80/20 (percent/seconds), not {text!r}")
        return cls(level, seconds)


@dataclass(frozen=True)
class StaffingRow:
    agents: int
    service_level: float
    asa: float
    occupancy: float
    #: Erlang A only
    abandon_rate: float | None = None


def figures(rate: float, aht: float, agents: int, target: Target,
            patience: float | None = None) -> StaffingRow:
    """SL, ASA and occupancy of `agents` (Erlang A when a patience is given)."""
    if patience is None:
        return StaffingRow(agents, service_level(rate, aht, agents, target.seconds),
                           asa(rate, aht, agents), occupancy(rate, aht, agents))
    a = erlang_a(rate, aht, agents, patience, target.seconds)
    return StaffingRow(agents, a.service_level, a.asa, a.occupancy, a.p_abandon)


def needed(rate: float, aht: float, target: Target, patience: float | None = None,
           max_occupancy: float = 1.0, limit: int = 10_000) -> int:
    """Fewest agents meeting the target and the occupancy cap."""
    if patience is None:
        return agents_needed(rate, aht, target.level, target.seconds, max_occupancy, limit)
    if not 0 < max_occupancy <= 1:
        raise ValueError(f"max occupancy must be in (0, 1], not {max_occupancy!r}")
    if rate * aht == 0:
        return 0
    # with abandonment fewer agents than the load can meet a target: climb from one
    n = 1
    while n <= limit:
        row = figures(rate, aht, n, target, patience)
        if row.service_level >= target.level and row.occupancy <= max_occupancy:
            return n
        n += 1
    raise ValueError(f"more than {limit} agents needed")


def table(rate: float, aht: float, target: Target, patience: float | None = None,
          max_occupancy: float = 1.0) -> tuple[int, list[StaffingRow]]:
    """The agents needed, and the figures for one fewer up to two more."""
    n = needed(rate, aht, target, patience, max_occupancy)
    return n, [figures(rate, aht, k, target, patience)
               for k in range(max(0, n - 1), n + 3)]


@dataclass(frozen=True)
class IntervalLoad:
    """The traffic of one interval as measured from the events."""

    start: float
    seconds: float
    offered: int
    handled: int
    abandoned: int
    handle_total: float
    wait_total: float

    @property
    def rate(self) -> float:
        """Calls per second."""
        return self.offered / self.seconds

    @property
    def aht(self) -> float | None:
        return self.handle_total / self.handled if self.handled else None

    @property
    def patience(self) -> float | None:
        """Mean time to abandon: total waiting time of all callers / abandons."""
        return self.wait_total / self.abandoned if self.abandoned else None


def history(events: Iterable[EventLike], start: float, end: float, interval: float,
            queue: str | None = None) -> list[IntervalLoad]:
    """Arrival rate, handle time and patience for each interval of [start, end)."""
    report = compute(events, ReportOptions(start=start, end=end, interval=interval,
                                           queue=queue))
    rows = {q.interval: q for q in report.queues if q.queue == (queue or ALL)}
    loads = []
    t = start
    while t < end:
        length = min(interval, end - t)
        q = rows.get(t)
        if q is None:
            loads.append(IntervalLoad(t, length, 0, 0, 0, 0.0, 0.0))
        else:
            loads.append(IntervalLoad(t, length, q.offered, q.handled, q.abandoned,
                                      q.talk + q.wrap, q.wait_total))
        t += interval
    return loads


@dataclass(frozen=True)
class IntervalPlan:
    load: IntervalLoad
    #: the handle time used: measured, or the fallback when nothing was handled
    aht: float
    agents: int
    row: StaffingRow | None


def plan(loads: Iterable[IntervalLoad], target: Target, max_occupancy: float = 1.0,
         fallback_aht: float | None = None, use_patience: bool = True) -> list[IntervalPlan]:
    """Agents needed per interval; Erlang A where the interval measured a patience."""
    plans = []
    loads = list(loads)
    handled = sum(lo.handled for lo in loads)
    overall = sum(lo.handle_total for lo in loads) / handled if handled else fallback_aht
    for load in loads:
        aht = load.aht or overall
        if load.offered == 0 or aht is None:
            plans.append(IntervalPlan(load, aht or 0.0, 0, None))
            continue
        patience = load.patience if use_patience else None
        n = needed(load.rate, aht, target, patience, max_occupancy)
        plans.append(IntervalPlan(load, aht, n, figures(load.rate, aht, n, target, patience)))
    return plans
