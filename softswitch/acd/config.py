"""The ACD as the configuration describes it, and back.

The configuration is the truth for structure (queues, agents, skills, tiers); the store
is the truth for sessions (who is logged in, paused and why). `build_acd` makes the
structure; `sessions_for` picks from a stored snapshot what still fits it, so an agent
removed from the file does not come back from the database, and a skill changed in the
file is not undone by it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from softswitch.acd.agent import Agent
from softswitch.acd.engine import Acd
from softswitch.acd.queue import OverflowTarget, QueueConfig, Tier

#: config overflow kind -> ACD overflow kind ("hangup": the call layer ends the call)
OVERFLOW_KIND = {"queue": "queue", "voicemail": "voicemail", "callback": "callback",
                 "hangup": "none"}
ACD_OVERFLOW_KIND = {acd: config for config, acd in OVERFLOW_KIND.items()}


class OverflowLike(Protocol):
    kind: str
    target: str


class QueueLike(Protocol):
    """The fields of `softswitch.config.callcenter.QueueSettings` read here."""

    name: str
    strategy: str
    ring_timeout: float
    wrap_up: float
    max_wait: float
    max_length: int
    overflow: Any
    join_empty: bool
    leave_when_empty: bool
    announce_position_every: float
    handle_time: float
    required_skills: dict[str, int]
    vip: dict[str, int]
    prefix_skills: dict[str, dict[str, int]]
    priority_weight: float
    tier_wait: float
    skill_relax_every: float
    skill_floor: int
    sticky_seconds: float


class TierLike(Protocol):
    queue: str
    level: int
    position: int
    weight: float


class AgentLike(Protocol):
    """The fields of `softswitch.config.callcenter.AgentSettings` read here."""

    id: str
    name: str
    extension: str
    skills: dict[str, int]
    wrap_up: float | None
    ring_timeout: float | None
    max_no_answer: int
    no_answer_delay: float
    reject_delay: float
    busy_delay: float
    queues: tuple[Any, ...]


class CallCenterLike(Protocol):
    queues: tuple[Any, ...]
    agents: tuple[Any, ...]


def tiers_by_queue(agents: Iterable[AgentLike]) -> dict[str, tuple[Tier, ...]]:
    """Each queue's tiers, gathered from the agents' `queues` lists, in file order."""
    out: dict[str, list[Tier]] = {}
    for agent in agents:
        for tier in agent.queues:
            out.setdefault(tier.queue, []).append(
                Tier(agent.id, level=tier.level, position=tier.position, weight=tier.weight))
    return {queue: tuple(tiers) for queue, tiers in out.items()}


def queue_config(settings: QueueLike, tiers: tuple[Tier, ...] = ()) -> QueueConfig:
    overflow = settings.overflow
    return QueueConfig(
        name=settings.name, strategy=settings.strategy, tiers=tiers,
        ring_timeout=settings.ring_timeout, wrap_up=settings.wrap_up,
        max_wait=settings.max_wait, max_length=settings.max_length,
        overflow=OverflowTarget(OVERFLOW_KIND[overflow.kind], overflow.target),
        join_empty=settings.join_empty, leave_when_empty=settings.leave_when_empty,
        required_skills=dict(settings.required_skills), vip=dict(settings.vip),
        prefix_skills={p: dict(s) for p, s in settings.prefix_skills.items()},
        priority_weight=settings.priority_weight, tier_wait=settings.tier_wait,
        skill_relax_every=settings.skill_relax_every, skill_floor=settings.skill_floor,
        sticky_seconds=settings.sticky_seconds,
        announce_every=settings.announce_position_every,
        handle_time=settings.handle_time)


def agent_from(settings: AgentLike) -> Agent:
    """A logged-out agent as configured."""
    return Agent(id=settings.id, name=settings.name, extension=settings.extension,
                 skills=dict(settings.skills), wrap_up=settings.wrap_up,
                 ring_timeout=settings.ring_timeout, max_no_answer=settings.max_no_answer,
                 no_answer_delay=settings.no_answer_delay,
                 reject_delay=settings.reject_delay, busy_delay=settings.busy_delay)


def build_acd(config: CallCenterLike, rng: random.Random,
              default_aht: float | None = None) -> Acd:
    """The ACD of `config` (a `softswitch.config.Config`): its queues, agents and tiers,
    every agent logged out."""
    tiers = tiers_by_queue(config.agents)
    return Acd(queues=[queue_config(q, tiers.get(q.name, ())) for q in config.queues],
               agents=[agent_from(a) for a in config.agents], rng=rng,
               default_aht=default_aht)


def sessions_for(acd: Acd, stored: Mapping[str, Any]) -> dict[str, Any]:
    """From a stored `Acd.snapshot()`, what `acd.restore()` should bring back into `acd`
    (built from the configuration): the sessions of the agents it still has, with their
    configured name, skills and timings, and the tiers it has now."""
    current = acd.snapshot()
    configured = {session["id"]: session for session in current["agents"]}
    sessions = []
    for old in stored.get("agents", []):
        base = configured.get(str(old.get("id")))
        if base is None:
            continue
        session = dict(base)
        for key in ("status", "break_reason", "calls_answered", "talk_time",
                    "missed_in_a_row"):
            if key in old:
                session[key] = old[key]
        # the agent may have logged in at another phone than their own
        if old.get("extension"):
            session["extension"] = old["extension"]
        sessions.append(session)
    return {"agents": sessions, "tiers": current["tiers"]}


def restore_sessions(acd: Acd, stored: Mapping[str, Any], now: float) -> list[Any]:
    """Bring stored sessions back into an ACD built by `build_acd`; the effects to run."""
    return acd.restore(sessions_for(acd, stored), now)


def queue_settings_data(queue: QueueConfig) -> dict[str, Any]:
    """A queue as the TOML `[[queues]]` table that would build it (for `config show` and
    for writing back a queue changed at run time)."""
    return {
        "name": queue.name, "strategy": queue.strategy, "ring_timeout": queue.ring_timeout,
        "wrap_up": queue.wrap_up, "max_wait": queue.max_wait,
        "max_length": queue.max_length,
        "overflow": {"kind": ACD_OVERFLOW_KIND[queue.overflow.kind],
                     "target": queue.overflow.target},
        "join_empty": queue.join_empty, "leave_when_empty": queue.leave_when_empty,
        "announce_position_every": queue.announce_every,
        "required_skills": dict(queue.required_skills), "vip": dict(queue.vip),
        "prefix_skills": {p: dict(s) for p, s in queue.prefix_skills.items()},
        "priority_weight": queue.priority_weight, "tier_wait": queue.tier_wait,
        "skill_relax_every": queue.skill_relax_every, "skill_floor": queue.skill_floor,
        "sticky_seconds": queue.sticky_seconds,
    }


def agent_settings_data(acd: Acd, agent_id: str) -> dict[str, Any]:
    """An agent of `acd` as the TOML `[[agents]]` table that would build it, tiers
    included."""
    agent = acd.agents[agent_id]
    queues = []
    for queue, tiers in acd.matcher.tiers.items():
        tier = tiers.get(agent_id)
        if tier is not None:
            queues.append({"queue": queue, "level": tier.level, "position": tier.position,
                           "weight": tier.weight})
    data: dict[str, Any] = {
        "id": agent.id, "name": agent.name, "extension": agent.extension,
        "skills": dict(agent.skills), "max_no_answer": agent.max_no_answer,
        "no_answer_delay": agent.no_answer_delay, "reject_delay": agent.reject_delay,
        "busy_delay": agent.busy_delay, "queues": queues,
    }
    if agent.wrap_up is not None:
        data["wrap_up"] = agent.wrap_up
    if agent.ring_timeout is not None:
        data["ring_timeout"] = agent.ring_timeout
    return data


__all__ = ["agent_from", "agent_settings_data", "build_acd", "queue_config",
           "queue_settings_data", "restore_sessions", "sessions_for", "tiers_by_queue"]
