"""The one matcher across all queues: which caller for a free agent, which agent for a caller.

Indexes keep both questions cheap with 1,000 agents and thousands of waiting callers:
each queue has its own ordered line (best rank first), each agent knows its tiers, and the
set of free agents is kept up to date by the engine, so neither question scans everything.

Eligibility of an agent for a caller, all required:
- the agent is free (available, idle, past any delay);
- tier rule: an agent at level L takes a caller who has waited (L-1) * tier_wait seconds;
- skills: for each required skill, agent level >= the required level, which relaxes as the
  caller waits (`relaxed_level`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from softswitch.acd.agent import Agent
from softswitch.acd.queue import Caller, QueueConfig, Tier, WaitingLine, relaxed_level
from softswitch.acd.strategies import STRATEGIES, QueueMemory


class Matcher:
    def __init__(self, agents: Mapping[str, Agent], callers: Mapping[str, Caller],
                 rng: random.Random) -> None:
        self._agents = agents
        self._callers = callers
        self._rng = rng
        self.queues: dict[str, QueueConfig] = {}
        self.lines: dict[str, WaitingLine] = {}
        self.tiers: dict[str, dict[str, Tier]] = {}
        self.agent_tiers: dict[str, dict[str, Tier]] = {}
        self.memory: dict[str, QueueMemory] = {}
        self.free: set[str] = set()
        #: caller number -> (agent id, when they last talked), for sticky routing
        self.history: dict[str, tuple[str, float]] = {}

    def add_queue(self, queue: QueueConfig) -> None:
        if queue.strategy not in STRATEGIES:
            raise ValueError(f"queue {queue.name}: unknown strategy {queue.strategy!r}; "
                             f"known: {', '.join(sorted(STRATEGIES))}")
        self.queues[queue.name] = queue
        self.lines.setdefault(queue.name, WaitingLine())
        self.memory.setdefault(queue.name, QueueMemory())
        self.tiers.setdefault(queue.name, {})
        for tier in queue.tiers:
            self.set_tier(queue.name, tier)

    def set_tier(self, queue: str, tier: Tier) -> None:
        self.tiers[queue][tier.agent_id] = tier
        self.agent_tiers.setdefault(tier.agent_id, {})[queue] = tier

    def remove_tier(self, queue: str, agent_id: str) -> None:
        self.tiers.get(queue, {}).pop(agent_id, None)
        self.agent_tiers.get(agent_id, {}).pop(queue, None)

    def required_level(self, caller: Caller, queue: QueueConfig, level: int,
                       now: float) -> int:
        return relaxed_level(level, now - caller.enqueued_at, queue.skill_relax_every,
                             min(queue.skill_floor, level))

    def eligible(self, agent: Agent, tier: Tier, caller: Caller, queue: QueueConfig,
                 now: float) -> bool:
        waited = now - caller.enqueued_at
        if tier.level > 1 and waited < (tier.level - 1) * queue.tier_wait:
            return False
        skills = agent.skills
        for skill, level in caller.skills.items():
            if skills.get(skill, 0) < self.required_level(caller, queue, level, now):
                return False
        return True

    def caller_for(self, agent: Agent, now: float) -> Caller | None:
        """The best-ranked eligible waiting caller across every queue the agent serves."""
        if agent.id not in self.free:
            return None
        best: Caller | None = None
        for queue_name, tier in self.agent_tiers.get(agent.id, {}).items():
            queue = self.queues[queue_name]
            for call_id in self.lines[queue_name]:
                caller = self._callers[call_id]
                if best is not None and (caller.rank, caller.seq) >= (best.rank, best.seq):
                    break
                if self.eligible(agent, tier, caller, queue, now):
                    best = caller
                    break
        return best

    def agents_for(self, caller: Caller, now: float) -> list[Agent]:
        """The agents to ring for `caller`: sticky agent first, else the queue's strategy."""
        queue = self.queues[caller.queue]
        candidates = []
        best_level = None
        for agent_id, tier in self.tiers[caller.queue].items():
            if agent_id not in self.free:
                continue
            agent = self._agents[agent_id]
            if not self.eligible(agent, tier, caller, queue, now):
                continue
            if best_level is None or tier.level < best_level:
                best_level = tier.level
            candidates.append((agent, tier))
        if not candidates:
            return []
        if queue.sticky_seconds > 0 and caller.number:
            previous = self.history.get(caller.number)
            if previous is not None and now - previous[1] <= queue.sticky_seconds:
                for agent, _ in candidates:
                    if agent.id == previous[0]:
                        return [agent]
        candidates = [c for c in candidates if c[1].level == best_level]
        return STRATEGIES[queue.strategy](candidates, self.memory[caller.queue], self._rng)

    def next_change(self, caller: Caller, now: float) -> float | None:
        """When this caller next becomes eligible for more agents (tier or skill step)."""
        queue = self.queues[caller.queue]
        times = []
        if queue.tier_wait > 0:
            for level in {t.level for t in self.tiers[caller.queue].values()}:
                when = caller.enqueued_at + (level - 1) * queue.tier_wait
                if when > now:
                    times.append(when)
        if queue.skill_relax_every > 0:
            for level in caller.skills.values():
                if self.required_level(caller, queue, level, now) > min(queue.skill_floor, level):
                    steps = int((now - caller.enqueued_at) // queue.skill_relax_every) + 1
                    times.append(caller.enqueued_at + steps * queue.skill_relax_every)
                    break
        return min(times) if times else None
