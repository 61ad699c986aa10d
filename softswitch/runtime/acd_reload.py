"""A reloaded configuration applied to the live ACD, without dropping a call.

The new file is built into a fresh ACD (`build_call_center_acd`, so the same rules as at
start, the default queue included) and the running one is brought to its shape:

- queues: new ones are added; a changed one (strategy, timeouts, wrap-up, overflow,
  skills ...) takes its new settings at once, its waiting callers keep their place; a
  removed one goes when no caller is in it, else it stays until the next reload after
  it empties (reported in `queues_kept`);
- agents: new ones are added (logged out); a changed one takes its new name, extension,
  skills and timings but keeps its session (status, break reason, the call it is on);
  a removed one loses its queues at once (no new calls), and is dropped when it has no
  call (logged out first); one on a call keeps it and is dropped at a later reload
  (`agents_kept`);
- tiers: set, changed or removed to match the file; a free agent given a new tier may be
  offered a waiting caller at once (the effects returned).

Nothing here needs a restart; the SIP listeners, the domain and the storage do (see the
control socket's `restart_needed_for`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from softswitch.acd import Acd, Agent, Status
from softswitch.acd.effects import Effect
from softswitch.config.model import Config
from softswitch.runtime.call_center import build_call_center_acd

#: the agent fields a configuration sets; the rest is the agent's session
AGENT_SETTINGS = ("name", "extension", "skills", "wrap_up", "ring_timeout", "max_no_answer",
                  "no_answer_delay", "reject_delay", "busy_delay")


@dataclass
class AcdChanges:
    queues_added: list[str] = field(default_factory=list)
    queues_changed: list[str] = field(default_factory=list)
    queues_removed: list[str] = field(default_factory=list)
    queues_kept: list[str] = field(default_factory=list)
    agents_added: list[str] = field(default_factory=list)
    agents_changed: list[str] = field(default_factory=list)
    agents_removed: list[str] = field(default_factory=list)
    agents_kept: list[str] = field(default_factory=list)
    tiers_changed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {name: sorted(value) if isinstance(value, list) else value
                for name, value in self.__dict__.items()}


def _settings(agent: Agent) -> dict[str, Any]:
    return {name: getattr(agent, name) for name in AGENT_SETTINGS}


def _has_call(acd: Acd, agent: Agent) -> bool:
    return agent.call_id is not None or agent.state.value in ("reserved", "ringing",
                                                             "on_call")


def reload_acd(acd: Acd, config: Config, now: float) -> tuple[list[Effect], AcdChanges]:
    """Bring `acd` to the shape `config` gives; the effects to carry out and a summary.
    ValueError (before anything changes) when the configuration cannot build an ACD."""
    wanted = build_call_center_acd(config, random.Random(0))
    changes = AcdChanges()
    effects: list[Effect] = []
    matcher = acd.matcher
    # agents first, so the tiers of new queues find them
    for agent_id, fresh in wanted.agents.items():
        current = acd.agents.get(agent_id)
        if current is None:
            acd.add_agent(replace(fresh))
            changes.agents_added.append(agent_id)
        elif _settings(current) != _settings(fresh):
            for name, value in _settings(fresh).items():
                setattr(current, name, value)
            changes.agents_changed.append(agent_id)
    for name, queue in wanted.matcher.queues.items():
        if name not in matcher.queues:
            acd.add_queue(replace(queue, tiers=()))
            changes.queues_added.append(name)
        elif replace(matcher.queues[name], tiers=()) != replace(queue, tiers=()):
            matcher.queues[name] = queue
            changes.queues_changed.append(name)
    # tiers, queue by queue, as the file has them
    for name in wanted.matcher.queues:
        want = wanted.matcher.tiers.get(name, {})
        have = matcher.tiers.get(name, {})
        for agent_id in sorted(set(have) - set(want)):
            acd.remove_tier(name, agent_id)
            changes.tiers_changed += 1
        for agent_id, tier in want.items():
            if have.get(agent_id) != tier:
                effects += acd.set_tier(name, tier, now)
                changes.tiers_changed += 1
    # what the file no longer has
    for agent_id in sorted(set(acd.agents) - set(wanted.agents)):
        agent = acd.agents[agent_id]
        for queue in list(matcher.agent_tiers.get(agent_id, {})):
            acd.remove_tier(queue, agent_id)
        if _has_call(acd, agent):
            changes.agents_kept.append(agent_id)
            continue
        if agent.status is not Status.LOGGED_OUT:
            effects += acd.logout(agent_id, now)
        del acd.agents[agent_id]
        matcher.free.discard(agent_id)
        matcher.agent_tiers.pop(agent_id, None)
        acd.timers.cancel(("wrapup", agent_id))
        acd.timers.cancel(("delay", agent_id))
        changes.agents_removed.append(agent_id)
    for name in sorted(set(matcher.queues) - set(wanted.matcher.queues)):
        if any(caller.queue == name for caller in acd.callers.values()):
            changes.queues_kept.append(name)
            continue
        for agent_id in list(matcher.tiers.get(name, {})):
            acd.remove_tier(name, agent_id)
        for table in (matcher.queues, matcher.lines, matcher.tiers, matcher.memory,
                      acd.handle_times):
            table.pop(name, None)  # type: ignore[attr-defined]
        changes.queues_removed.append(name)
    return effects, changes


__all__ = ["AGENT_SETTINGS", "AcdChanges", "reload_acd"]
