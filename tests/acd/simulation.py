"""A discrete-event simulation of a call center driven through the real ACD.

Poisson arrivals, exponential handle times, optional exponential patience, agents who
sometimes fail to answer; time is a ManualClock that jumps from one event (or ACD
deadline) to the next, so hours of traffic take a second. Tests reuse it to compare the
ACD with queueing theory and to check invariants on long random runs.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass, field

from softswitch.acd.agent import Agent
from softswitch.acd.effects import Bridge, Effect, Emit, RingAgent
from softswitch.acd.engine import Acd
from softswitch.acd.queue import QueueConfig, Tier
from softswitch.clock import ManualClock


@dataclass
class SimConfig:
    agents: int = 10
    rate: float = 8 / 180          # calls per second
    aht: float = 180.0             # mean talk time, seconds
    duration: float = 3600.0       # arrivals stop after this
    warmup: float = 0.0            # arrivals before this are not measured
    seed: int = 1
    strategy: str = "longest-idle"
    patience: float | None = None  # mean patience; None = callers never hang up
    answer_prob: float = 1.0       # chance an agent answers a ring
    answer_delay: float = 0.0
    ring_timeout: float = 15.0
    priority_share: float = 0.0    # share of callers with priority 1
    priority_weight: float = 60.0


@dataclass
class SimResult:
    waits: list[float] = field(default_factory=list)          # answered, measured callers
    arrival_of_wait: list[float] = field(default_factory=list)
    priority_waits: list[float] = field(default_factory=list)
    normal_waits: list[float] = field(default_factory=list)
    answered: int = 0
    abandoned: int = 0
    offered: int = 0
    calls_per_agent: Counter[str] = field(default_factory=Counter)
    rank_violations: int = 0

    def mean_wait(self) -> float:
        return sum(self.waits) / len(self.waits)

    def service_level(self, t: float) -> float:
        return sum(w <= t for w in self.waits) / len(self.waits)

    def batch_means(self, values: list[float], batches: int = 20) -> tuple[float, float]:
        """Mean and its standard error from `batches` consecutive batches."""
        size = len(values) // batches
        means = [sum(values[i * size:(i + 1) * size]) / size for i in range(batches)]
        mean = sum(means) / batches
        var = sum((m - mean) ** 2 for m in means) / (batches - 1)
        return mean, math.sqrt(var / batches)


class Simulation:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.clock = ManualClock()
        agents = [Agent(id=f"a{i:03d}", extension=f"{1000 + i}", no_answer_delay=5.0,
                        max_no_answer=10**9) for i in range(config.agents)]
        queue = QueueConfig(name="q", strategy=config.strategy, ring_timeout=config.ring_timeout,
                            tiers=tuple(Tier(a.id, 1, i + 1) for i, a in enumerate(agents)),
                            priority_weight=config.priority_weight)
        self.acd = Acd([queue], agents, rng=random.Random(config.seed + 1))
        self.events: list[tuple[float, int, str, tuple[str, ...]]] = []
        self.seq = itertools.count()
        self.arrived: dict[str, float] = {}
        self.priority: dict[str, int] = {}
        self.result = SimResult()

    def push(self, when: float, kind: str, *args: str) -> None:
        heapq.heappush(self.events, (when, next(self.seq), kind, args))

    def run(self) -> SimResult:
        config = self.config
        for agent in self.acd.agents:
            self.apply(self.acd.login(agent, 0.0))
        self.push(self.rng.expovariate(config.rate), "arrive", "c0")
        while True:
            t_event = self.events[0][0] if self.events else math.inf
            t_timer = self.acd.next_deadline()
            t_timer = math.inf if t_timer is None else t_timer
            now = min(t_event, t_timer)
            if now == math.inf:
                break
            self.clock.set(max(now, self.clock.now()))
            now = self.clock.now()
            if t_timer <= t_event:
                self.apply(self.acd.handle_timers(now))
                continue
            _, _, kind, args = heapq.heappop(self.events)
            getattr(self, f"on_{kind}")(now, *args)
        return self.result

    def on_arrive(self, now: float, call_id: str) -> None:
        config = self.config
        number = int(call_id[1:])
        prio = 1 if self.rng.random() < config.priority_share else 0
        self.arrived[call_id] = now
        self.priority[call_id] = prio
        if now >= config.warmup:
            self.result.offered += 1
        if config.patience is not None:
            self.push(now + self.rng.expovariate(1 / config.patience), "abandon", call_id)
        self.apply(self.acd.enqueue(call_id, "q", now, number=call_id, priority=prio))
        nxt = now + self.rng.expovariate(config.rate)
        if nxt < config.duration:
            self.push(nxt, "arrive", f"c{number + 1}")

    def on_answer(self, now: float, call_id: str, agent_id: str) -> None:
        self.apply(self.acd.agent_answered(call_id, agent_id, now))

    def on_end(self, now: float, call_id: str) -> None:
        self.apply(self.acd.hangup(call_id, now))

    def on_abandon(self, now: float, call_id: str) -> None:
        caller = self.acd.callers.get(call_id)
        if caller is not None and caller.phase != "bridged":
            self.apply(self.acd.hangup(call_id, now))

    def apply(self, effects: list[Effect]) -> None:
        now = self.clock.now()
        for effect in effects:
            if isinstance(effect, RingAgent):
                if self.rng.random() < self.config.answer_prob:
                    self.push(now + self.config.answer_delay, "answer", effect.call_id,
                              effect.agent_id)
            elif isinstance(effect, Bridge):
                self.push(now + self.rng.expovariate(1 / self.config.aht), "end",
                          effect.call_id)
            elif isinstance(effect, Emit):
                self.record(effect)

    def record(self, event: Emit) -> None:
        fields = event.fields
        if event.kind == "agent.rung":
            caller = self.acd.callers[fields["call_id"]]
            line = self.acd.matcher.lines[caller.queue]
            for other in line:
                if self.acd.callers[other].rank < caller.rank:
                    self.result.rank_violations += 1
                    break
        elif event.kind == "call.answered":
            call_id = fields["call_id"]
            self.result.calls_per_agent[fields["agent"]] += 1
            if self.arrived[call_id] >= self.config.warmup:
                self.result.answered += 1
                self.result.waits.append(fields["wait"])
                self.result.arrival_of_wait.append(self.arrived[call_id])
                if self.priority[call_id]:
                    self.result.priority_waits.append(fields["wait"])
                else:
                    self.result.normal_waits.append(fields["wait"])
        elif event.kind == "call.abandoned" and \
                self.arrived[fields["call_id"]] >= self.config.warmup:
            self.result.abandoned += 1
