"""What-if: callers replayed (or generated) through the real ACD on a manual clock.

The simulation feeds the real `acd.engine.Acd` with arrivals, answers, hang-ups and its own
deadlines, jumping a `ManualClock` from one event to the next, so a day of a 50-seat
center takes seconds. Every `Emit` of the ACD becomes a stored-style `Event`, and the
figures are computed from those events by the same code as `softswitch report`
(`kpi.compute`): the simulated service level is defined exactly as the reported one.

A caller is an `Arrival`: when, which queue, priority, how long the conversation lasts once
answered, and how long they are willing to wait. From history (`arrivals_from_events`):
callers who abandoned had a patience equal to their wait; callers who were answered (or
moved on) were willing to wait at least as long as they did, so they get their wait plus
an exponential draw with the measured mean patience (memoryless), or no limit when no
caller abandoned. Handle time is the stored talk time; wrap-up comes from the scenario.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from softswitch.acd.agent import Agent
from softswitch.acd.effects import Bridge, Effect, Emit, RingAgent
from softswitch.acd.engine import Acd
from softswitch.acd.queue import QueueConfig, Tier
from softswitch.acd.strategies import STRATEGIES
from softswitch.clock import ManualClock
from softswitch.reports.kpi import (
    ALL,
    AgentFigures,
    EventLike,
    QueueFigures,
    Report,
    ReportOptions,
    compute,
)
from softswitch.storage.events import Event

COLUMNS = ("call_id", "queue", "agent")


@dataclass(frozen=True)
class Arrival:
    #: seconds from the start of the simulated period
    at: float
    queue: str
    #: talk seconds once answered
    handle: float
    #: seconds the caller waits before hanging up (inf: never)
    patience: float = math.inf
    priority: int = 0
    call_id: str = ""


@dataclass(frozen=True)
class Scenario:
    """The staffing and settings to try."""

    agents: int
    strategy: str = "longest-idle"
    wrap_up: float = 0.0
    ring_timeout: float = 20.0
    #: seconds from ring to answer
    answer_delay: float = 0.0
    priority_weight: float = 60.0
    seed: int = 1

    def __post_init__(self) -> None:
        if self.agents < 0:
            raise ValueError("agents must be >= 0")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}; "
                             f"one of {', '.join(sorted(STRATEGIES))}")
        if self.wrap_up < 0 or self.answer_delay < 0 or self.ring_timeout <= 0:
            raise ValueError("wrap-up and answer delay must be >= 0, ring timeout > 0")
        if self.answer_delay >= self.ring_timeout:
            raise ValueError("agents must answer within the ring timeout")


def synthetic(rate: float, aht: float, duration: float, patience: float | None = None,
              queue: str = "q", seed: int = 1) -> list[Arrival]:
    """Poisson arrivals (`rate` per second) with exponential talk and patience."""
    if rate <= 0 or aht <= 0 or duration <= 0:
        raise ValueError("rate, handle time and duration must be > 0")
    if patience is not None and patience <= 0:
        raise ValueError("patience must be > 0 seconds")
    rng = random.Random(seed)
    arrivals = []
    t = rng.expovariate(rate)
    for i in itertools.count():
        if t >= duration:
            break
        arrivals.append(Arrival(
            at=t, queue=queue, handle=rng.expovariate(1 / aht),
            patience=math.inf if patience is None else rng.expovariate(1 / patience),
            call_id=f"c{i}"))
        t += rng.expovariate(rate)
    return arrivals


def arrivals_from_events(events: Iterable[EventLike], start: float, end: float,
                         seed: int = 1) -> list[Arrival]:
    """The callers who arrived in [start, end), as recorded (see the module docstring)."""
    events = sorted(events, key=lambda e: (e.ts, e.seq))
    enqueued: dict[str, tuple[float, str, int]] = {}
    outcome: dict[str, tuple[str, float]] = {}
    talk: dict[str, float] = {}
    for e in events:
        call_id = e.call_id or e.data.get("call_id")
        if not isinstance(call_id, str):
            continue
        if e.kind == "call.enqueued" and not e.data.get("callback") and \
                start <= e.ts < end and call_id not in enqueued:
            queue = e.queue or e.data.get("queue")
            priority = e.data.get("priority", 0)
            if isinstance(queue, str):
                enqueued[call_id] = (e.ts - start, queue,
                                     priority if isinstance(priority, int) else 0)
        elif e.kind in ("call.answered", "call.abandoned", "queue.overflow") and \
                call_id in enqueued and call_id not in outcome:
            wait = e.data.get("wait")
            outcome[call_id] = (e.kind, float(wait) if isinstance(wait, (int, float))
                                else e.ts - start - enqueued[call_id][0])
        elif e.kind == "call.ended" and isinstance(e.data.get("talk"), (int, float)):
            talk[call_id] = float(e.data["talk"])
    waits = [w for _, w in outcome.values()] + [end - start - at for at, _, _ in
                                               (enqueued[c] for c in enqueued
                                                if c not in outcome)]
    abandons = sum(kind == "call.abandoned" for kind, _ in outcome.values())
    mean_patience = sum(waits) / abandons if abandons else math.inf
    mean_talk = sum(talk.values()) / len(talk) if talk else 0.0
    rng = random.Random(seed)
    arrivals = []
    for call_id, (at, queue, priority) in enqueued.items():
        kind, wait = outcome.get(call_id, ("", end - start - at))
        if kind == "call.abandoned":
            patience = wait
        elif math.isfinite(mean_patience):
            patience = wait + rng.expovariate(1 / mean_patience)
        else:
            patience = math.inf
        arrivals.append(Arrival(at, queue, talk.get(call_id, mean_talk), patience,
                                priority, call_id))
    return sorted(arrivals, key=lambda a: a.at)


@dataclass
class SimulationRun:
    events: list[Event]
    report: Report
    duration: float
    #: wall-clock seconds of the first arrival's period start
    origin: float
    decisions: int = 0

    @property
    def total(self) -> QueueFigures:
        for q in self.report.queues:
            if q.queue == ALL:
                return q
        return QueueFigures(ALL, None)

    @property
    def agents(self) -> AgentFigures:
        for a in self.report.agents:
            if a.agent == ALL:
                return a
        return AgentFigures(ALL, None)


@dataclass
class _Run:
    scenario: Scenario
    origin: float
    acd: Acd
    clock: ManualClock = field(default_factory=ManualClock)
    heap: list[tuple[float, int, str, tuple[Any, ...]]] = field(default_factory=list)
    order: itertools.count[int] = field(default_factory=itertools.count)
    events: list[Event] = field(default_factory=list)
    handle: dict[str, float] = field(default_factory=dict)

    def push(self, when: float, kind: str, *args: Any) -> None:
        heapq.heappush(self.heap, (when, next(self.order), kind, args))

    def apply(self, effects: list[Effect]) -> None:
        now = self.clock.now()
        for effect in effects:
            if isinstance(effect, RingAgent):
                self.push(now + self.scenario.answer_delay, "answer", effect.call_id,
                          effect.agent_id)
            elif isinstance(effect, Bridge):
                self.push(now + self.handle[effect.call_id], "end", effect.call_id)
            elif isinstance(effect, Emit):
                fields = dict(effect.fields)
                fields.pop("at", None)
                self.events.append(Event(
                    len(self.events) + 1, self.origin + now, effect.kind,
                    *(fields.pop(c, None) for c in COLUMNS), fields))


def simulate(arrivals: Iterable[Arrival], scenario: Scenario, duration: float,
             origin: float = 0.0, sl_seconds: float = 20.0,
             short_abandon: float = 5.0) -> SimulationRun:
    """Run the callers through the ACD; figures for arrivals in [0, duration)."""
    arrivals = list(arrivals)
    queues = sorted({a.queue for a in arrivals}) or ["q"]
    agents = [Agent(id=f"a{i:03d}", extension=f"{1000 + i}", max_no_answer=10**9)
              for i in range(scenario.agents)]
    tiers = tuple(Tier(a.id, 1, i + 1) for i, a in enumerate(agents))
    acd = Acd([QueueConfig(name=q, strategy=scenario.strategy, tiers=tiers,
                           ring_timeout=scenario.ring_timeout, wrap_up=scenario.wrap_up,
                           priority_weight=scenario.priority_weight) for q in queues],
              agents, rng=random.Random(scenario.seed))
    run = _Run(scenario, origin, acd)
    for agent in agents:
        run.apply(acd.login(agent.id, 0.0))
    for i, arrival in enumerate(arrivals):
        call_id = arrival.call_id or f"c{i}"
        run.handle[call_id] = arrival.handle
        run.push(arrival.at, "arrive", call_id, arrival)
    decisions = 0
    while True:
        t_event = run.heap[0][0] if run.heap else math.inf
        t_timer = acd.next_deadline()
        t_timer = math.inf if t_timer is None else t_timer
        now = min(t_event, t_timer)
        if now == math.inf:
            break
        run.clock.set(max(now, run.clock.now()))
        now = run.clock.now()
        decisions += 1
        if t_timer <= t_event:
            run.apply(acd.handle_timers(now))
            continue
        _, _, kind, args = heapq.heappop(run.heap)
        if kind == "arrive":
            call_id, arrival = args
            if math.isfinite(arrival.patience):
                run.push(now + arrival.patience, "abandon", call_id)
            run.apply(acd.enqueue(call_id, arrival.queue, now, number=call_id,
                                  priority=arrival.priority))
        elif kind == "answer":
            run.apply(acd.agent_answered(args[0], args[1], now))
        elif kind == "end":
            run.apply(acd.hangup(args[0], now))
        elif kind == "abandon":
            caller = acd.callers.get(args[0])
            if caller is not None and caller.phase != "bridged":
                run.apply(acd.hangup(args[0], now))
    end = max(duration, run.clock.now())
    for agent in agents:
        run.apply(acd.logout(agent.id, end))
    report = compute(run.events, ReportOptions(origin, origin + duration,
                                               sl_seconds=sl_seconds,
                                               short_abandon=short_abandon))
    return SimulationRun(run.events, report, duration, origin, decisions)
