"""An ACD agent: status (may they take calls) separate from state (what they are doing).

As in FreeSWITCH mod_callcenter, *status* is the agent's own choice (logged out, available,
on break with a reason) and *state* is what the ACD has them doing (idle, reserved for a
call, ringing, on a call, wrapping up). Each has one transition table; anything not in the
table is refused with `TransitionRefused`, never silently applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    ON_BREAK = "on_break"


class State(StrEnum):
    IDLE = "idle"
    RESERVED = "reserved"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


S, T = Status, State

#: (status, event) -> next status
STATUS_TABLE: dict[tuple[Status, str], Status] = {
    (S.LOGGED_OUT, "login"): S.AVAILABLE,
    (S.AVAILABLE, "break"): S.ON_BREAK,
    (S.ON_BREAK, "break"): S.ON_BREAK,  # a new reason
    (S.ON_BREAK, "available"): S.AVAILABLE,
    (S.AVAILABLE, "logout"): S.LOGGED_OUT,
    (S.ON_BREAK, "logout"): S.LOGGED_OUT,
}

#: (state, event) -> next state. "lost"/"found" come from the watchdog (`reconcile`).
STATE_TABLE: dict[tuple[State, str], State] = {
    (T.IDLE, "reserve"): T.RESERVED,
    (T.RESERVED, "ring"): T.RINGING,
    (T.RESERVED, "release"): T.IDLE,
    (T.RINGING, "answer"): T.ON_CALL,
    (T.RINGING, "no_answer"): T.IDLE,
    (T.RINGING, "reject"): T.IDLE,
    (T.RINGING, "release"): T.IDLE,
    (T.ON_CALL, "hangup"): T.WRAP_UP,
    (T.WRAP_UP, "wrapup_end"): T.IDLE,
    (T.RESERVED, "lost"): T.IDLE,
    (T.RINGING, "lost"): T.IDLE,
    (T.ON_CALL, "lost"): T.WRAP_UP,
    (T.IDLE, "found"): T.ON_CALL,
    (T.WRAP_UP, "found"): T.ON_CALL,
}

STATUS_EVENTS = frozenset(event for _, event in STATUS_TABLE)
STATE_EVENTS = frozenset(event for _, event in STATE_TABLE)


class TransitionRefused(Exception):
    """A status or state change that the tables do not allow."""

    def __init__(self, agent_id: str, machine: str, current: str, event: str) -> None:
        super().__init__(f"agent {agent_id}: {machine} {current!r} does not allow {event!r}")
        self.agent_id = agent_id
        self.machine = machine
        self.current = current
        self.event = event


@dataclass
class Agent:
    """One agent and the counters the strategies and reports read."""

    id: str
    name: str = ""
    extension: str = ""
    skills: dict[str, int] = field(default_factory=dict)
    #: None means "use the queue's value"
    wrap_up: float | None = None
    ring_timeout: float | None = None
    max_no_answer: int = 3
    no_answer_delay: float = 0.0
    reject_delay: float = 10.0
    busy_delay: float = 30.0

    status: Status = Status.LOGGED_OUT
    break_reason: str = ""
    state: State = State.IDLE
    call_id: str | None = None
    delay_until: float = 0.0
    missed_in_a_row: int = 0
    calls_answered: int = 0
    talk_time: float = 0.0
    last_call_end: float = float("-inf")
    last_offered: float = float("-inf")
    logged_in_at: float = float("-inf")
    talk_started: float = 0.0

    def __post_init__(self) -> None:
        for skill, level in self.skills.items():
            if not isinstance(level, int) or not 1 <= level <= 10:
                raise ValueError(f"agent {self.id}: skill {skill!r} level must be 1..10, "
                                 f"not {level!r}")

    @property
    def idle_since(self) -> float:
        """When the agent last became free: the end of their last call, or their login."""
        return max(self.last_call_end, self.logged_in_at)

    def can_take_calls(self, now: float) -> bool:
        return (self.status is Status.AVAILABLE and self.state is State.IDLE
                and now >= self.delay_until)

    def apply_status(self, event: str) -> tuple[Status, Status]:
        nxt = STATUS_TABLE.get((self.status, event))
        if nxt is None:
            raise TransitionRefused(self.id, "status", self.status.value, event)
        old, self.status = self.status, nxt
        return old, nxt

    def apply_state(self, event: str) -> tuple[State, State]:
        nxt = STATE_TABLE.get((self.state, event))
        if nxt is None:
            raise TransitionRefused(self.id, "state", self.state.value, event)
        old, self.state = self.state, nxt
        return old, nxt

    def session(self) -> dict[str, Any]:
        """The part of the agent that survives a restart (calls do not)."""
        return {
            "id": self.id, "name": self.name, "extension": self.extension,
            "skills": dict(self.skills), "wrap_up": self.wrap_up,
            "ring_timeout": self.ring_timeout, "max_no_answer": self.max_no_answer,
            "no_answer_delay": self.no_answer_delay, "reject_delay": self.reject_delay,
            "busy_delay": self.busy_delay, "status": self.status.value,
            "break_reason": self.break_reason, "calls_answered": self.calls_answered,
            "talk_time": self.talk_time, "missed_in_a_row": self.missed_in_a_row,
        }

    @classmethod
    def from_session(cls, data: dict[str, Any]) -> Agent:
        agent = cls(id=str(data["id"]), name=str(data.get("name", "")),
                    extension=str(data.get("extension", "")),
                    skills={str(k): int(v) for k, v in dict(data.get("skills", {})).items()},
                    wrap_up=data.get("wrap_up"), ring_timeout=data.get("ring_timeout"),
                    max_no_answer=int(data.get("max_no_answer", 3)),
                    no_answer_delay=float(data.get("no_answer_delay", 0.0)),
                    reject_delay=float(data.get("reject_delay", 10.0)),
                    busy_delay=float(data.get("busy_delay", 30.0)))
        agent.status = Status(data.get("status", "logged_out"))
        agent.break_reason = str(data.get("break_reason", ""))
        agent.calls_answered = int(data.get("calls_answered", 0))
        agent.talk_time = float(data.get("talk_time", 0.0))
        agent.missed_in_a_row = int(data.get("missed_in_a_row", 0))
        return agent
