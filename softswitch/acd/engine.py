"""The ACD: agents, queues and callers driven by events and `now`, answering with effects.

Every public method takes the current time and returns the effects (see `effects.py`) for
the call layer, in order. Nothing here reads a clock or touches a call. Wake-ups are
named deadlines: ask `next_deadline()`, and call `handle_timers(now)` when it is due.
Given the same inputs (and a seeded `random.Random`) the ACD produces the same effects, so
its state can be rebuilt by replaying its inputs.

Call lifecycle: enqueue -> waiting -> offered (agents ringing) -> bridged -> hangup ->
agent wrap-up -> agent idle. A caller whose offer fails goes back to their old place.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from typing import Any

from softswitch.acd.agent import Agent, State, Status, TransitionRefused
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
from softswitch.acd.estimate import HandleTime, expected_wait
from softswitch.acd.matcher import Matcher
from softswitch.acd.queue import Caller, QueueConfig, Tier
from softswitch.timers import Deadlines

TimerKey = tuple[str, ...]


def _changed(effects: list[Effect]) -> bool:
    return not any(isinstance(e, Emit) and e.kind == "agent.refused" for e in effects)


class UnknownName(LookupError):
    """An agent or queue id that the ACD does not know."""

    def __str__(self) -> str:
        return str(self.args[0])


class Acd:
    def __init__(self, queues: Iterable[QueueConfig] = (), agents: Iterable[Agent] = (),
                 rng: random.Random | None = None, default_aht: float | None = None) -> None:
        self.agents: dict[str, Agent] = {}
        self.callers: dict[str, Caller] = {}
        self.rng = rng if rng is not None else random.Random(0)
        self.matcher = Matcher(self.agents, self.callers, self.rng)
        self.timers: Deadlines[TimerKey] = Deadlines()
        self.handle_times: dict[str, HandleTime] = {}
        self._default_aht = default_aht
        self._seq = itertools.count()
        for agent in agents:
            self.add_agent(agent)
        for queue in queues:
            self.add_queue(queue)

    # configuration ------------------------------------------------------------------

    def add_agent(self, agent: Agent) -> None:
        if agent.id in self.agents:
            raise ValueError(f"agent {agent.id} already exists")
        self.agents[agent.id] = agent

    def add_queue(self, queue: QueueConfig) -> None:
        if queue.name in self.matcher.queues:
            raise ValueError(f"queue {queue.name} already exists")
        self.matcher.add_queue(queue)
        self.handle_times[queue.name] = HandleTime(
            default=queue.handle_time or self._default_aht)

    def set_tier(self, queue: str, tier: Tier, now: float) -> list[Effect]:
        """Add or change an agent's tier in a queue; a free agent may get a caller at once."""
        self._queue(queue)
        agent = self._agent(tier.agent_id)
        self.matcher.set_tier(queue, tier)
        return self._match_agent(agent, now)

    def remove_tier(self, queue: str, agent_id: str) -> None:
        self._queue(queue)
        self._agent(agent_id)
        self.matcher.remove_tier(queue, agent_id)

    def _agent(self, agent_id: str) -> Agent:
        try:
            return self.agents[agent_id]
        except KeyError:
            raise UnknownName(f"no agent {agent_id!r}") from None

    def _queue(self, name: str) -> QueueConfig:
        try:
            return self.matcher.queues[name]
        except KeyError:
            raise UnknownName(f"no queue {name!r}") from None

    # timers -------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        return self.timers.next()

    def handle_timers(self, now: float) -> list[Effect]:
        effects: list[Effect] = []
        for key in self.timers.pop_due(now):
            kind = key[0]
            if kind == "ring":
                effects += self._missed(key[1], key[2], now, "no_answer")
            elif kind == "wrapup":
                effects += self._wrapup_end(self.agents[key[1]], now)
            elif kind == "delay":
                agent = self.agents[key[1]]
                self._refresh_free(agent, now)
                effects += self._match_agent(agent, now)
            elif kind == "maxwait":
                effects += self._overflow(self.callers[key[1]], "max_wait", now)
            elif kind == "recheck":
                effects += self._match_caller(self.callers[key[1]], now)
            elif kind == "announce":
                effects += self._announce(self.callers[key[1]], now)
        return effects

    # agent status -------------------------------------------------------------------

    def login(self, agent_id: str, now: float) -> list[Effect]:
        agent = self._agent(agent_id)
        effects = self._status(agent, "login", now)
        if _changed(effects):
            agent.logged_in_at = now
            agent.missed_in_a_row = 0
            self._refresh_free(agent, now)
            effects += self._match_agent(agent, now)
        return effects

    def logout(self, agent_id: str, now: float) -> list[Effect]:
        agent = self._agent(agent_id)
        effects = self._status(agent, "logout", now)
        if agent.status is Status.LOGGED_OUT:
            effects += self._leave_offer(agent, now)
            effects += self._empty_queues(agent, now)
        return effects

    def set_break(self, agent_id: str, reason: str, now: float) -> list[Effect]:
        agent = self._agent(agent_id)
        effects = self._status(agent, "break", now, reason or "break")
        if agent.status is Status.ON_BREAK:
            effects += self._leave_offer(agent, now)
        return effects

    def set_available(self, agent_id: str, now: float) -> list[Effect]:
        agent = self._agent(agent_id)
        effects = self._status(agent, "available", now)
        if _changed(effects):
            agent.missed_in_a_row = 0
            self._refresh_free(agent, now)
            effects += self._match_agent(agent, now)
        return effects

    def _status(self, agent: Agent, event: str, now: float, reason: str = "") -> list[Effect]:
        try:
            old, new = agent.apply_status(event)
        except TransitionRefused as refused:
            return [self._refusal(refused, now)]
        agent.break_reason = reason if new is Status.ON_BREAK else ""
        self._refresh_free(agent, now)
        return [Emit("agent.status", {"agent": agent.id, "from": old.value, "to": new.value,
                                      "reason": agent.break_reason, "at": now})]

    def _state(self, agent: Agent, event: str, now: float, call_id: str | None) -> Emit:
        old, new = agent.apply_state(event)
        self._refresh_free(agent, now)
        return Emit("agent.state", {"agent": agent.id, "from": old.value, "to": new.value,
                                    "event": event, "call_id": call_id, "at": now})

    @staticmethod
    def _refusal(refused: TransitionRefused, now: float) -> Emit:
        return Emit("agent.refused", {"agent": refused.agent_id, "machine": refused.machine,
                                      "from": refused.current, "event": refused.event,
                                      "at": now})

    def _refresh_free(self, agent: Agent, now: float) -> None:
        if agent.can_take_calls(now):
            self.matcher.free.add(agent.id)
        else:
            self.matcher.free.discard(agent.id)

    def _leave_offer(self, agent: Agent, now: float) -> list[Effect]:
        """An agent who stops being available while rung gives the caller back."""
        if agent.state not in (State.RINGING, State.RESERVED) or agent.call_id is None:
            return []
        caller = self.callers[agent.call_id]
        effects: list[Effect] = [StopRinging(caller.call_id, agent.id)]
        effects += self._release(agent, caller, now)
        effects += self._offer_failed(caller, now)
        return effects

    def _empty_queues(self, agent: Agent, now: float) -> list[Effect]:
        """leave_when_empty: a queue with nobody logged in sends its callers on."""
        effects: list[Effect] = []
        for queue_name in list(self.matcher.agent_tiers.get(agent.id, {})):
            queue = self.matcher.queues[queue_name]
            if queue.leave_when_empty and not self._anyone_logged_in(queue_name):
                for call_id in list(self.matcher.lines[queue_name]):
                    effects += self._overflow(self.callers[call_id], "empty", now)
        return effects

    def _anyone_logged_in(self, queue: str) -> bool:
        return any(self.agents[a].status is not Status.LOGGED_OUT
                   for a in self.matcher.tiers[queue])

    # callers ------------------------------------------------------------------------

    def enqueue(self, call_id: str, queue: str, now: float, number: str = "",
                priority: int = 0, skills: dict[str, int] | None = None,
                vars: dict[str, str] | None = None) -> list[Effect]:
        config = self._queue(queue)
        if call_id in self.callers:
            return [Emit("call.refused", {"call_id": call_id, "reason": "already queued",
                                          "at": now})]
        for skill, level in (skills or {}).items():
            if not isinstance(level, int) or not 1 <= level <= 10:
                raise ValueError(f"call {call_id}: skill {skill!r} level must be 1..10")
        prio = config.caller_priority(number, priority)
        caller = Caller(call_id=call_id, queue=queue, number=number, enqueued_at=now,
                        priority=prio, skills=config.caller_skills(number, skills),
                        rank=now - prio * config.priority_weight, seq=next(self._seq),
                        vars=dict(vars or {}))
        self.callers[call_id] = caller
        return self._join(caller, now)

    def _join(self, caller: Caller, now: float) -> list[Effect]:
        queue = self.matcher.queues[caller.queue]
        line = self.matcher.lines[caller.queue]
        if not queue.join_empty and not self._anyone_logged_in(caller.queue):
            return self._overflow(caller, "empty", now, joined=False)
        if queue.max_length and len(line) >= queue.max_length:
            return self._overflow(caller, "max_length", now, joined=False)
        caller.phase = "waiting"
        line.add(caller)
        effects: list[Effect] = [Emit("call.enqueued", {
            "call_id": caller.call_id, "queue": caller.queue, "number": caller.number,
            "priority": caller.priority, "position": line.position(caller),
            "callback": caller.callback is not None, "at": now})]
        if caller.callback is None:
            effects.append(StartMusic(caller.call_id, caller.queue))
        if queue.max_wait:
            self.timers.set(("maxwait", caller.call_id), caller.enqueued_at + queue.max_wait)
        if queue.announce_every and caller.callback is None:
            self.timers.set(("announce", caller.call_id), now + queue.announce_every)
        effects += self._match_caller(caller, now)
        return effects

    def hangup(self, call_id: str, now: float) -> list[Effect]:
        """The call is over, whatever its phase: abandoned, or the end of a conversation."""
        caller = self.callers.get(call_id)
        if caller is None:
            return []
        if caller.phase == "bridged":
            return self._end_conversation(caller, now)
        effects: list[Effect] = []
        position = 0
        if caller.phase == "waiting":
            position = self.matcher.lines[caller.queue].position(caller)
            self.matcher.lines[caller.queue].remove(caller)
        else:
            for agent_id in sorted(caller.offered):
                agent = self.agents[agent_id]
                effects.append(StopRinging(call_id, agent_id))
                effects += self._release(agent, caller, now)
        self._forget(caller)
        kind = "callback.failed" if caller.callback is not None else "call.abandoned"
        effects.append(Emit(kind, {"call_id": call_id, "queue": caller.queue,
                                   "number": caller.number, "wait": now - caller.enqueued_at,
                                   "position": position, "at": now}))
        for agent_id in sorted({e.agent_id for e in effects if isinstance(e, StopRinging)}):
            effects += self._match_agent(self.agents[agent_id], now)
        return effects

    def leave(self, call_id: str, target_kind: str, target: str,
              now: float) -> list[Effect]:
        """The caller chose to leave the line for another target (press 0: the queue's
        voicemail): reported as an overflow by the caller's choice, not an abandon."""
        caller = self.callers.get(call_id)
        if caller is None or caller.phase == "bridged" or caller.callback is not None:
            return self.hangup(call_id, now)
        overflow = Emit("queue.overflow", {
            "call_id": call_id, "queue": caller.queue, "reason": "caller",
            "target_kind": target_kind, "target": target,
            "wait": now - caller.enqueued_at, "at": now})
        return [overflow if isinstance(e, Emit) and e.kind == "call.abandoned" else e
                for e in self.hangup(call_id, now)]

    def request_callback(self, call_id: str, number: str, now: float) -> list[Effect]:
        """The caller hangs up but keeps their place; they are called back from the front."""
        caller = self.callers.get(call_id)
        if caller is None or caller.phase != "waiting" or caller.callback is not None:
            return [Emit("call.refused", {"call_id": call_id, "reason": "not waiting",
                                          "at": now})]
        if not number:
            return [Emit("call.refused", {"call_id": call_id, "reason": "no number",
                                          "at": now})]
        caller.callback = number
        self.timers.cancel(("announce", call_id))
        return [Emit("callback.requested", {
            "call_id": call_id, "queue": caller.queue, "number": number,
            "position": self.matcher.lines[caller.queue].position(caller), "at": now})]

    def _forget(self, caller: Caller) -> None:
        for kind in ("maxwait", "recheck", "announce"):
            self.timers.cancel((kind, caller.call_id))
        self.callers.pop(caller.call_id, None)

    # matching -----------------------------------------------------------------------

    def _match_caller(self, caller: Caller, now: float) -> list[Effect]:
        if caller.phase != "waiting":
            return []
        chosen = self.matcher.agents_for(caller, now)
        if not chosen:
            when = self.matcher.next_change(caller, now)
            if when is not None:
                self.timers.set(("recheck", caller.call_id), when)
            return []
        return self._offer(caller, chosen, now)

    def _match_agent(self, agent: Agent, now: float) -> list[Effect]:
        caller = self.matcher.caller_for(agent, now)
        if caller is None:
            return []
        return self._offer(caller, [agent], now)

    def _offer(self, caller: Caller, agents: list[Agent], now: float) -> list[Effect]:
        queue = self.matcher.queues[caller.queue]
        self.matcher.lines[caller.queue].remove(caller)
        self.timers.cancel(("recheck", caller.call_id))
        caller.phase = "offered"
        effects: list[Effect] = []
        for agent in agents:
            caller.offered.add(agent.id)
            agent.call_id = caller.call_id
            agent.last_offered = now
            effects.append(self._state(agent, "reserve", now, caller.call_id))
            effects.append(self._state(agent, "ring", now, caller.call_id))
            timeout = agent.ring_timeout if agent.ring_timeout is not None else \
                queue.ring_timeout
            self.timers.set(("ring", caller.call_id, agent.id), now + timeout)
            if caller.callback is not None:
                effects.append(DialCallback(caller.call_id, caller.callback, agent.id,
                                            caller.queue))
                effects.append(Emit("callback.dialed", {
                    "call_id": caller.call_id, "number": caller.callback,
                    "agent": agent.id, "queue": caller.queue, "at": now}))
            else:
                effects.append(RingAgent(caller.call_id, agent.id, agent.extension, timeout,
                                         caller.queue))
            effects.append(Emit("agent.rung", {"call_id": caller.call_id, "agent": agent.id,
                                               "queue": caller.queue,
                                               "wait": now - caller.enqueued_at, "at": now}))
        return effects

    def _release(self, agent: Agent, caller: Caller, now: float) -> list[Effect]:
        """Undo an offer without blame (someone else answered, the caller left)."""
        caller.offered.discard(agent.id)
        self.timers.cancel(("ring", caller.call_id, agent.id))
        agent.call_id = None
        return [self._state(agent, "release", now, caller.call_id)]

    def _offer_failed(self, caller: Caller, now: float) -> list[Effect]:
        """The last agent rung did not take the call: back to the caller's old place."""
        if caller.offered or caller.phase != "offered":
            return []
        caller.phase = "waiting"
        self.matcher.lines[caller.queue].add(caller)
        return self._match_caller(caller, now)

    # agent answers, misses, rejects -------------------------------------------------

    def agent_answered(self, call_id: str, agent_id: str, now: float) -> list[Effect]:
        agent = self._agent(agent_id)
        caller = self.callers.get(call_id)
        if caller is None or agent_id not in caller.offered:
            return [StopRinging(call_id, agent_id),
                    Emit("call.refused", {"call_id": call_id, "agent": agent_id,
                                          "reason": "not offered to this agent", "at": now})]
        effects: list[Effect] = []
        others = sorted(caller.offered - {agent_id})
        for other in others:
            effects.append(StopRinging(call_id, other))
            effects += self._release(self.agents[other], caller, now)
        self.timers.cancel(("ring", call_id, agent_id))
        caller.offered.clear()
        effects.append(self._state(agent, "answer", now, call_id))
        caller.phase = "bridged"
        caller.agent_id = agent_id
        agent.missed_in_a_row = 0
        agent.calls_answered += 1
        agent.talk_started = now
        for kind in ("maxwait", "recheck", "announce"):
            self.timers.cancel((kind, call_id))
        if caller.number:
            self.matcher.history[caller.number] = (agent_id, now)
        effects.append(Bridge(call_id, agent_id))
        effects.append(Emit("call.answered", {
            "call_id": call_id, "agent": agent_id, "queue": caller.queue,
            "wait": now - caller.enqueued_at, "callback": caller.callback is not None,
            "priority": caller.priority, "at": now}))
        for other in others:
            effects += self._match_agent(self.agents[other], now)
        return effects

    def agent_no_answer(self, call_id: str, agent_id: str, now: float) -> list[Effect]:
        """The call layer saw the offer fail (e.g. 480, 408): same as the ring timeout."""
        self._agent(agent_id)
        return self._missed(call_id, agent_id, now, "no_answer")

    def agent_rejected(self, call_id: str, agent_id: str, now: float,
                       busy: bool = False) -> list[Effect]:
        """The agent declined (603) or was busy (486): a delay, not a miss."""
        self._agent(agent_id)
        return self._missed(call_id, agent_id, now, "busy" if busy else "reject")

    def _missed(self, call_id: str, agent_id: str, now: float, why: str) -> list[Effect]:
        caller = self.callers.get(call_id)
        agent = self.agents[agent_id]
        if caller is None or agent_id not in caller.offered:
            return [Emit("call.refused", {"call_id": call_id, "agent": agent_id,
                                          "reason": "not offered to this agent", "at": now})]
        caller.offered.discard(agent_id)
        self.timers.cancel(("ring", call_id, agent_id))
        agent.call_id = None
        effects: list[Effect] = [StopRinging(call_id, agent_id)]
        effects.append(self._state(agent, "no_answer" if why == "no_answer" else "reject",
                                   now, call_id))
        if why == "no_answer":
            agent.missed_in_a_row += 1
            delay = agent.no_answer_delay
            effects.append(Emit("agent.no_answer", {
                "call_id": call_id, "agent": agent_id, "queue": caller.queue,
                "misses": agent.missed_in_a_row, "at": now}))
        else:
            delay = agent.busy_delay if why == "busy" else agent.reject_delay
            effects.append(Emit("agent.rejected", {"call_id": call_id, "agent": agent_id,
                                                   "busy": why == "busy", "at": now}))
        if why == "no_answer" and agent.missed_in_a_row >= agent.max_no_answer:
            effects += self._status(agent, "break", now, "no answer")
            effects.append(PauseAgent(agent_id, "no answer"))
        elif delay > 0:
            agent.delay_until = now + delay
            self.timers.set(("delay", agent_id), agent.delay_until)
        # the caller goes to someone else first, if anyone else is free
        self.matcher.free.discard(agent_id)
        effects += self._offer_failed(caller, now)
        self._refresh_free(agent, now)
        effects += self._match_agent(agent, now)
        return effects

    # end of a conversation and wrap-up ----------------------------------------------

    def _end_conversation(self, caller: Caller, now: float) -> list[Effect]:
        agent = self.agents[caller.agent_id or ""]
        talk = now - agent.talk_started
        agent.talk_time += talk
        agent.last_call_end = now
        agent.call_id = None
        queue = self.matcher.queues[caller.queue]
        wrap = agent.wrap_up if agent.wrap_up is not None else queue.wrap_up
        self.handle_times[caller.queue].add(talk + wrap)
        self._forget(caller)
        effects: list[Effect] = [
            Emit("call.ended", {"call_id": caller.call_id, "agent": agent.id,
                                "queue": caller.queue, "talk": talk,
                                "callback": caller.callback is not None, "at": now}),
            self._state(agent, "hangup", now, caller.call_id),
            Emit("wrapup.started", {"agent": agent.id, "call_id": caller.call_id,
                                    "seconds": wrap, "at": now}),
        ]
        if wrap > 0:
            self.timers.set(("wrapup", agent.id), now + wrap)
            return effects
        return effects + self._wrapup_end(agent, now)

    def _wrapup_end(self, agent: Agent, now: float) -> list[Effect]:
        self.timers.cancel(("wrapup", agent.id))
        effects: list[Effect] = [self._state(agent, "wrapup_end", now, None),
                                 Emit("wrapup.ended", {"agent": agent.id, "at": now})]
        return effects + self._match_agent(agent, now)

    # overflow and announcements -----------------------------------------------------

    def _overflow(self, caller: Caller, reason: str, now: float,
                  joined: bool = True) -> list[Effect]:
        queue = self.matcher.queues[caller.queue]
        if joined:
            self.matcher.lines[caller.queue].remove(caller)
        for kind in ("maxwait", "recheck", "announce"):
            self.timers.cancel((kind, caller.call_id))
        target = queue.overflow
        effects: list[Effect] = [Emit("queue.overflow", {
            "call_id": caller.call_id, "queue": caller.queue, "reason": reason,
            "target_kind": target.kind, "target": target.target,
            "wait": now - caller.enqueued_at, "at": now})]
        effects.append(Overflow(caller.call_id, caller.queue, target.kind, target.target,
                                reason))
        if (target.kind == "queue" and target.target in self.matcher.queues
                and target.target not in caller.visited):
            caller.visited.append(caller.queue)
            caller.queue = target.target
            return effects + self._join(caller, now)
        if target.kind == "callback" and caller.number and caller.callback is None:
            caller.callback = caller.number
            effects.append(Emit("callback.requested", {
                "call_id": caller.call_id, "queue": caller.queue, "number": caller.number,
                "position": 0, "at": now}))
            caller.phase = "waiting"
            self.matcher.lines[caller.queue].add(caller)
            return effects + self._match_caller(caller, now)
        self._forget(caller)
        return effects

    def _announce(self, caller: Caller, now: float) -> list[Effect]:
        if caller.phase != "waiting" or caller.callback is not None:
            return []
        queue = self.matcher.queues[caller.queue]
        self.timers.set(("announce", caller.call_id), now + queue.announce_every)
        position = self.matcher.lines[caller.queue].position(caller)
        prompts: tuple[str, ...] = ("queue-position", str(position))
        wait = self.expected_wait(caller.call_id, now)
        if wait is not None and wait > 0:
            prompts += ("queue-wait-minutes", str(max(1, round(wait / 60))))
        return [PlayAnnouncement(caller.call_id, prompts)]

    # questions ----------------------------------------------------------------------

    def expected_wait(self, call_id: str, now: float) -> float | None:
        """Seconds until this caller is offered (see `estimate.py`), or None."""
        caller = self.callers.get(call_id)
        if caller is None or caller.phase != "waiting":
            return None
        staffed = free = 0
        for agent_id in self.matcher.tiers[caller.queue]:
            agent = self.agents[agent_id]
            if agent.status is Status.AVAILABLE:
                staffed += 1
                free += agent_id in self.matcher.free
        position = self.matcher.lines[caller.queue].position(caller)
        return expected_wait(position, free, staffed, self.handle_times[caller.queue].value())

    def waiting(self, queue: str) -> list[str]:
        """Call ids waiting in `queue`, best first."""
        self._queue(queue)
        return list(self.matcher.lines[queue])

    # watchdog -----------------------------------------------------------------------

    def reconcile(self, agent_id: str, has_live_dialog: bool, now: float) -> list[Effect]:
        """Fix an agent whose state disagrees with the calls that really exist."""
        agent = self._agent(agent_id)
        busy = agent.state in (State.RESERVED, State.RINGING, State.ON_CALL)
        effects: list[Effect] = []
        if busy and not has_live_dialog:
            caller = self.callers.get(agent.call_id or "")
            if caller is not None and agent.state is State.ON_CALL:
                talk = now - agent.talk_started
                agent.talk_time += talk
                agent.last_call_end = now
                self._forget(caller)
                effects.append(Emit("call.ended", {
                    "call_id": caller.call_id, "agent": agent.id, "queue": caller.queue,
                    "talk": talk, "callback": caller.callback is not None,
                    "reconciled": True, "at": now}))
            elif caller is not None:
                caller.offered.discard(agent.id)
                self.timers.cancel(("ring", caller.call_id, agent.id))
            agent.call_id = None
            effects.append(self._state(agent, "lost", now, None))
            effects.append(Emit("agent.reconciled", {"agent": agent_id, "found": "no call",
                                                     "to": agent.state.value, "at": now}))
            if caller is not None and caller.phase == "offered":
                effects += self._offer_failed(caller, now)
            if agent.state is State.WRAP_UP:
                wrap = agent.wrap_up if agent.wrap_up is not None else 0.0
                if wrap > 0:
                    self.timers.set(("wrapup", agent.id), now + wrap)
                else:
                    effects += self._wrapup_end(agent, now)
            else:
                effects += self._match_agent(agent, now)
        elif has_live_dialog and agent.state in (State.IDLE, State.WRAP_UP):
            self.timers.cancel(("wrapup", agent.id))
            effects.append(self._state(agent, "found", now, None))
            agent.talk_started = now
            effects.append(Emit("agent.reconciled", {"agent": agent_id, "found": "live call",
                                                     "to": agent.state.value, "at": now}))
        return effects

    # restart ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Agent sessions and tiers as plain data; calls in progress do not survive."""
        return {
            "agents": [agent.session() for agent in self.agents.values()],
            "tiers": {queue: [{"agent_id": t.agent_id, "level": t.level,
                               "position": t.position, "weight": t.weight}
                              for t in tiers.values()]
                      for queue, tiers in self.matcher.tiers.items()},
        }

    def restore(self, data: dict[str, Any], now: float) -> list[Effect]:
        """Bring back agent sessions from `snapshot()`; available agents start idle."""
        effects: list[Effect] = []
        for session in data.get("agents", []):
            agent = Agent.from_session(session)
            agent.logged_in_at = now
            self.agents[agent.id] = agent
        for queue, tiers in data.get("tiers", {}).items():
            if queue not in self.matcher.queues:
                continue
            for tier in tiers:
                if tier["agent_id"] in self.agents:
                    self.matcher.set_tier(queue, Tier(**tier))
        for agent in self.agents.values():
            self._refresh_free(agent, now)
            effects.append(Emit("agent.restored", {"agent": agent.id,
                                                   "status": agent.status.value, "at": now}))
        for agent in list(self.agents.values()):
            effects += self._match_agent(agent, now)
        return effects
