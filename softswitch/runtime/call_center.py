"""The live ACD inside the running switch: feeds it, arms one timer, applies its effects.

The ACD itself is sans-IO (`softswitch.acd`). This is its asyncio side, in the manner of
aioquic's protocol: every input goes through `_run`, which applies the effects the ACD
returns and re-arms a single `loop.call_at` for `acd.next_deadline()`.

Effects split two ways:

- `Emit` facts go to the event log (the `agent`, `queue` and `call_id` fields become the
  log's columns; everything else is the event's data).
- Everything that touches a call (ring an agent, stop ringing, bridge, play, music,
  overflow, dial a callback) goes to a `CallCenterEffects` object. Until the call layer
  connects one with `connect_calls()`, `NoCallEffects` drops them, so agents can log in,
  pause and resume on a switch that does not place calls yet.

The call layer feeds callers in with `enqueue`, `agent_answered`, `agent_no_answer`,
`agent_rejected`, `request_callback` and `hangup`.

Agent sessions outlive the process: `restore()` reads them back at start and, from then
on, every batch of effects that changes an agent's status is written behind through the
session store (`softswitch.storage.agents.AgentSessionRepository`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from softswitch.acd import Acd, Agent, QueueConfig, Tier, UnknownName
from softswitch.acd.config import restore_sessions
from softswitch.acd.effects import (
    Bridge,
    DialCallback,
    Effect,
    Emit,
    Overflow,
    PauseAgent,
    PlayAnnouncement,
    RingAgent,
    StartMusic,
    StopRinging,
)
from softswitch.clock import Clock
from softswitch.config.model import Config
from softswitch.storage.agents import StoredAgentSession
from softswitch.storage.events import EventLog

#: the fallback queue when the configuration names none: every user is an agent in it
DEFAULT_QUEUE = "default"
_COLUMNS = ("call_id", "queue", "agent")


class CallCenterEffects(Protocol):
    """What the call layer does for the ACD. Every method must return quickly: start the
    work (send an INVITE, schedule a prompt) and report the outcome later through
    `CallCenter.agent_answered` / `agent_no_answer` / `agent_rejected` / `hangup`."""

    def ring_agent(self, effect: RingAgent) -> None: ...
    def stop_ringing(self, effect: StopRinging) -> None: ...
    def bridge(self, effect: Bridge) -> None: ...
    def play(self, effect: PlayAnnouncement) -> None: ...
    def start_music(self, effect: StartMusic) -> None: ...
    def overflow(self, effect: Overflow) -> None: ...
    def dial_callback(self, effect: DialCallback) -> None: ...
    def agent_paused(self, effect: PauseAgent) -> None: ...


class SessionStore(Protocol):
    """Where agent sessions are kept between runs (`AgentSessionRepository`)."""

    async def load_sessions(self) -> list[StoredAgentSession]: ...
    def save_changes(self, effects: Iterable[Any], sessions: Any,
                     since: float) -> list[str]: ...


class NoCallEffects:
    """The call layer is not connected: call effects are dropped (their facts are still
    logged through `Emit`)."""

    def ring_agent(self, effect: RingAgent) -> None:
        pass

    def stop_ringing(self, effect: StopRinging) -> None:
        pass

    def bridge(self, effect: Bridge) -> None:
        pass

    def play(self, effect: PlayAnnouncement) -> None:
        pass

    def start_music(self, effect: StartMusic) -> None:
        pass

    def overflow(self, effect: Overflow) -> None:
        pass

    def dial_callback(self, effect: DialCallback) -> None:
        pass

    def agent_paused(self, effect: PauseAgent) -> None:
        pass


#: effect type -> the CallCenterEffects method that carries it out
_DISPATCH: dict[type, str] = {
    RingAgent: "ring_agent", StopRinging: "stop_ringing", Bridge: "bridge",
    PlayAnnouncement: "play", StartMusic: "start_music", Overflow: "overflow",
    DialCallback: "dial_callback", PauseAgent: "agent_paused",
}


def build_call_center_acd(config: Config, rng: random.Random) -> Acd:
    """The ACD from the configuration: `softswitch.acd.config.build_acd` when the
    configuration has queue and agent sections, else one queue named "default" with every
    user as an agent (agent id = extension)."""
    try:
        from softswitch.acd.config import build_acd  # type: ignore[import-not-found]
    except ImportError:
        build_acd = None
    if build_acd is not None and hasattr(config, "queues") and hasattr(config, "agents"):
        acd: Acd = build_acd(config, rng)
        if acd.agents or acd.matcher.queues:
            return acd
    agents = [Agent(id=user.extension, name=user.name or "", extension=user.extension)
              for user in config.users]
    queue = QueueConfig(name=DEFAULT_QUEUE, tiers=tuple(Tier(a.id) for a in agents))
    return Acd(queues=[queue], agents=agents, rng=rng)


class CallCenter:
    def __init__(self, acd: Acd, events: EventLog, clock: Clock,
                 loop: asyncio.AbstractEventLoop,
                 effects: CallCenterEffects | None = None) -> None:
        self.acd = acd
        self._events = events
        self._clock = clock
        self._loop = loop
        self._effects: CallCenterEffects = effects or NoCallEffects()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        #: agent id -> wall time of their last status or state change
        self.since: dict[str, float] = {}
        self.closed = False
        self._sessions: SessionStore | None = None

    def connect_calls(self, effects: CallCenterEffects) -> None:
        """The call layer plugs in here; from now on ringing and bridging reach calls."""
        self._effects = effects

    async def restore(self, store: SessionStore) -> list[Effect]:
        """Bring back the agent sessions `store` kept (agents still in the configuration,
        with the status and reason they had), then keep every later change in it."""
        stored = await store.load_sessions()
        self._sessions = store
        if not stored:  # a first start: nothing to bring back
            return []
        for session in stored:
            if session.agent_id in self.acd.agents:
                self.since[session.agent_id] = session.since
        snapshot = {"agents": [dict(s.session) for s in stored], "tiers": {}}
        return self._apply(restore_sessions(self.acd, snapshot, self._clock.now()))

    # agents -------------------------------------------------------------------------

    def login(self, agent_id: str, queues: Sequence[str] = ()) -> list[Effect]:
        """Log an agent in; `queues` adds them to those queues (level 1) first."""
        agent = self.acd._agent(agent_id)
        for name in queues:
            self.acd._queue(name)
        now = self._clock.now()
        effects: list[Effect] = []
        for name in queues:
            if agent.id not in self.acd.matcher.tiers[name]:
                effects += self.acd.set_tier(name, Tier(agent.id), now)
        return self._apply(effects + self.acd.login(agent_id, now))

    def logout(self, agent_id: str) -> list[Effect]:
        return self._run(lambda now: self.acd.logout(agent_id, now))

    def pause(self, agent_id: str, reason: str) -> list[Effect]:
        return self._run(lambda now: self.acd.set_break(agent_id, reason, now))

    def resume(self, agent_id: str) -> list[Effect]:
        return self._run(lambda now: self.acd.set_available(agent_id, now))

    def add_agents(self, agents: Iterable[Agent]) -> list[str]:
        """Agents new in a reloaded configuration; known ones keep their session."""
        added = []
        for agent in agents:
            if agent.id not in self.acd.agents:
                self.acd.add_agent(agent)
                added.append(agent.id)
                if DEFAULT_QUEUE in self.acd.matcher.queues and \
                        not any(q != DEFAULT_QUEUE for q in self.acd.matcher.queues):
                    self._apply(self.acd.set_tier(DEFAULT_QUEUE, Tier(agent.id),
                                                  self._clock.now()))
        return added

    # callers (the call layer's inputs) ----------------------------------------------

    def enqueue(self, call_id: str, queue: str, number: str = "", priority: int = 0,
                skills: dict[str, int] | None = None) -> list[Effect]:
        return self._run(lambda now: self.acd.enqueue(call_id, queue, now, number=number,
                                                      priority=priority, skills=skills))

    def agent_answered(self, call_id: str, agent_id: str) -> list[Effect]:
        return self._run(lambda now: self.acd.agent_answered(call_id, agent_id, now))

    def agent_no_answer(self, call_id: str, agent_id: str) -> list[Effect]:
        return self._run(lambda now: self.acd.agent_no_answer(call_id, agent_id, now))

    def agent_rejected(self, call_id: str, agent_id: str, busy: bool = False) -> list[Effect]:
        return self._run(lambda now: self.acd.agent_rejected(call_id, agent_id, now, busy))

    def hangup(self, call_id: str) -> list[Effect]:
        return self._run(lambda now: self.acd.hangup(call_id, now))

    def leave(self, call_id: str, target_kind: str, target: str) -> list[Effect]:
        """The caller left the line for another target of their choosing (voicemail)."""
        return self._run(lambda now: self.acd.leave(call_id, target_kind, target, now))

    def request_callback(self, call_id: str, number: str) -> list[Effect]:
        """The caller pressed for a callback: their place is kept, `number` dialled later."""
        return self._run(lambda now: self.acd.request_callback(call_id, number, now))

    def extension_of(self, agent_id: str) -> str:
        return self.acd._agent(agent_id).extension

    # questions ----------------------------------------------------------------------

    def agent_status(self, agent_id: str) -> dict[str, Any]:
        agent = self.acd._agent(agent_id)
        return {
            "agent": agent.id, "name": agent.name, "extension": agent.extension,
            "status": agent.status.value, "reason": agent.break_reason,
            "state": agent.state.value, "since": self.since.get(agent.id),
            "calls_answered": agent.calls_answered, "call_id": agent.call_id,
            "queues": sorted(q for q, tiers in self.acd.matcher.tiers.items()
                             if agent.id in tiers),
        }

    def agents_status(self) -> list[dict[str, Any]]:
        return [self.agent_status(agent_id) for agent_id in sorted(self.acd.agents)]

    def queue_live(self, name: str) -> dict[str, Any]:
        """Who is waiting (in line, or being offered to agents) and what the queue's
        agents are doing, right now."""
        self.acd._queue(name)
        now = self._clock.now()
        wall = self._clock.wall()
        waiting = []
        callers = sorted((c for c in self.acd.callers.values()
                          if c.queue == name and c.phase in ("waiting", "offered")),
                         key=lambda c: c.enqueued_at)
        for caller in callers:
            waiting.append({"call_id": caller.call_id, "number": caller.number,
                            "phase": caller.phase,
                            "wait": round(now - caller.enqueued_at, 3),
                            "since": wall - (now - caller.enqueued_at),
                            "priority": caller.priority})
        agents: dict[str, list[str]] = {}
        for agent_id in sorted(self.acd.matcher.tiers[name]):
            agents.setdefault(agent_label(self.acd.agents[agent_id]), []).append(agent_id)
        return {"queue": name, "waiting": waiting,
                "longest_wait": max((w["wait"] for w in waiting), default=0.0),
                "agents": agents}

    def queue_names(self) -> list[str]:
        return sorted(self.acd.matcher.queues)

    # the edge -----------------------------------------------------------------------

    def _run(self, step: Callable[[float], list[Effect]]) -> list[Effect]:
        return self._apply(step(self._clock.now()))

    def _apply(self, effects: list[Effect]) -> list[Effect]:
        wall = self._clock.wall()  # one instant per batch: the log and the store agree
        for effect in effects:
            if isinstance(effect, Emit):
                self._log(effect, wall)
            else:
                getattr(self._effects, _DISPATCH[type(effect)])(effect)
        if self._sessions is not None:
            self._sessions.save_changes(effects, self.acd.agents, wall)
        self._arm()
        return effects

    def reconcile(self, agent_id: str, has_live_dialog: bool) -> list[Effect]:
        """The watchdog's check: an agent the ACD thinks busy with no live call is freed."""
        return self._run(lambda now: self.acd.reconcile(agent_id, has_live_dialog, now))

    def _log(self, emit: Emit, wall: float) -> None:
        fields = dict(emit.fields)
        columns = {name: fields.pop(name) for name in _COLUMNS
                   if isinstance(fields.get(name), str)}
        for name in _COLUMNS:
            fields.pop(name, None)
        if emit.kind in ("agent.status", "agent.state") and "agent" in columns:
            self.since[columns["agent"]] = wall
        self._events.append(emit.kind, ts=wall, **columns, **fields)

    def _arm(self) -> None:
        if self.closed:
            return
        when = self.acd.next_deadline()
        if when == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = when
        if when is not None:
            self._timer = self._loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        self._apply(self.acd.handle_timers(self._clock.now()))

    def close(self) -> None:
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def agent_label(agent: Agent) -> str:
    """One word for the wallboard: logged_out, paused, or the state when available."""
    if agent.status.value == "logged_out":
        return "logged_out"
    if agent.status.value == "on_break":
        return "paused"
    return agent.state.value


__all__ = ["DEFAULT_QUEUE", "CallCenter", "CallCenterEffects", "NoCallEffects", "SessionStore",
           "UnknownName", "agent_label", "build_call_center_acd"]
