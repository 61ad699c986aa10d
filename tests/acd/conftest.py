"""Small builders shared by the ACD tests."""

from __future__ import annotations

import random
from collections.abc import Iterable

from softswitch.acd.agent import Agent
from softswitch.acd.effects import Effect, Emit, RingAgent
from softswitch.acd.engine import Acd
from softswitch.acd.queue import QueueConfig, Tier


def make_acd(n_agents: int = 3, strategy: str = "longest-idle", login: bool = True,
             seed: int = 1, **queue_options: object) -> Acd:
    """One queue "q" with agents a1..aN at tier level 1, positions 1..N, all logged in."""
    agents = [Agent(id=f"a{i}", extension=f"10{i}") for i in range(1, n_agents + 1)]
    tiers = tuple(Tier(a.id, 1, i) for i, a in enumerate(agents, 1))
    queue = QueueConfig(name="q", strategy=strategy, tiers=tiers, **queue_options)  # type: ignore[arg-type]
    acd = Acd([queue], agents, rng=random.Random(seed))
    if login:
        for agent in agents:
            acd.login(agent.id, 0.0)
    return acd


def rung(effects: Iterable[Effect]) -> list[str]:
    """Agent ids rung by these effects, in order."""
    return [e.agent_id for e in effects if isinstance(e, RingAgent)]


def kinds(effects: Iterable[Effect]) -> list[str]:
    return [e.kind for e in effects if isinstance(e, Emit)]


def emitted(effects: Iterable[Effect], kind: str) -> list[dict[str, object]]:
    return [dict(e.fields) for e in effects if isinstance(e, Emit) and e.kind == kind]
