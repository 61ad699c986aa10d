"""Routing strategies: which free agent(s) of a queue to ring, as a {name: function} table.

Each strategy gets the eligible candidates (agent with their tier; already limited to the
best tier level present), the queue's memory (for round-robin) and an injected
`random.Random`, and returns the agents to ring: one, or all of them for ring-all.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from softswitch.acd.agent import Agent
from softswitch.acd.queue import Tier

Candidate = tuple[Agent, Tier]


@dataclass
class QueueMemory:
    """What a strategy remembers between calls of one queue."""

    last: tuple[int, int, str] | None = None


Strategy = Callable[[Sequence[Candidate], QueueMemory, random.Random], list[Agent]]


def _order(candidate: Candidate) -> tuple[int, int, str]:
    agent, tier = candidate
    return (tier.level, tier.position, agent.id)


def ring_all(cands: Sequence[Candidate], memory: QueueMemory,
             rng: random.Random) -> list[Agent]:
    return [agent for agent, _ in sorted(cands, key=_order)]


def longest_idle(cands: Sequence[Candidate], memory: QueueMemory,
                 rng: random.Random) -> list[Agent]:
    agent, _ = min(cands, key=lambda c: (c[0].idle_since, _order(c)))
    return [agent]


def round_robin(cands: Sequence[Candidate], memory: QueueMemory,
                rng: random.Random) -> list[Agent]:
    """The next agent after the one rung last time, in tier order, wrapping around."""
    ordered = sorted(cands, key=_order)
    chosen = ordered[0]
    if memory.last is not None:
        for candidate in ordered:
            if _order(candidate) > memory.last:
                chosen = candidate
                break
    memory.last = _order(chosen)
    return [chosen[0]]


def fewest_calls(cands: Sequence[Candidate], memory: QueueMemory,
                 rng: random.Random) -> list[Agent]:
    agent, _ = min(cands, key=lambda c: (c[0].calls_answered, c[0].idle_since, _order(c)))
    return [agent]


def least_talk_time(cands: Sequence[Candidate], memory: QueueMemory,
                    rng: random.Random) -> list[Agent]:
    agent, _ = min(cands, key=lambda c: (c[0].talk_time, c[0].idle_since, _order(c)))
    return [agent]


def top_down(cands: Sequence[Candidate], memory: QueueMemory,
             rng: random.Random) -> list[Agent]:
    """Always the first agent in tier order (level, then position)."""
    agent, _ = min(cands, key=_order)
    return [agent]


def random_agent(cands: Sequence[Candidate], memory: QueueMemory,
                 rng: random.Random) -> list[Agent]:
    ordered = sorted(cands, key=_order)  # a stable order, so a seed replays exactly
    return [rng.choice(ordered)[0]]


def weighted_random(cands: Sequence[Candidate], memory: QueueMemory,
                    rng: random.Random) -> list[Agent]:
    ordered = sorted(cands, key=_order)
    weights = [tier.weight for _, tier in ordered]
    if sum(weights) <= 0:
        return [rng.choice(ordered)[0]]
    return [rng.choices(ordered, weights=weights)[0][0]]


STRATEGIES: dict[str, Strategy] = {
    "ring-all": ring_all,
    "longest-idle": longest_idle,
    "round-robin": round_robin,
    "fewest-calls": fewest_calls,
    "least-talk-time": least_talk_time,
    "top-down": top_down,
    "random": random_agent,
    "weighted-random": weighted_random,
}
