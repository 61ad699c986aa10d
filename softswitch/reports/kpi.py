"""Call-center figures computed from stored events: pure functions over a list of events.

Nothing here reads a database or a clock: `compute(events, options)` takes the events (any
objects with `seq, ts, kind, call_id, queue, agent, data`, e.g. `storage.events.Event`)
and returns the figures, so a test can build a known day by hand. `read.py` fetches the
events from SQLite.

Which events each figure reads (a field is looked up in the event's column first, then in
its JSON data; times are the event's `ts`, wall-clock seconds):

- ``call.enqueued`` (call_id, queue, callback): a caller joins a queue -> one *visit*;
  its `ts` is the arrival time that places the visit in an interval. A visit with
  `callback: true` is a callback taking its place, not a new offered call.
- ``call.answered`` (call_id, queue, agent, wait, callback): answered after `wait`
  seconds; with `callback: true` it counts as a callback answered, not as an answered call.
- ``call.abandoned`` (call_id, queue, wait): the caller hung up while waiting.
- ``queue.overflow`` (call_id, queue, wait): the caller left the queue for another target.
- ``call.ended`` (call_id, queue, agent, talk): end of the conversation; `talk` is answer
  to hang-up, so it contains any hold time.
- ``call.held`` (call_id, agent, seconds): one hold period of an answered call, emitted
  when it ends (reported as hold; already inside talk).
- ``wrapup.started`` (agent, call_id) and ``wrapup.ended`` (agent): wrap-up is the time
  between them.
- ``call.transferred`` (call_id, agent): the agent transferred the answered call.
- ``callback.requested`` / ``callback.dialed`` / ``callback.failed`` (call_id, queue).
- ``agent.status`` (agent, from, to, reason): logged_out / available / on_break[reason].
- ``agent.state`` (agent, from, to): idle / reserved / ringing / on_call / wrap_up.
- ``agent.no_answer`` and ``agent.rejected`` (agent): offers the agent did not take.
- ``survey.completed`` (call_id, agent, queue, score): satisfaction score (1..5).
- ``call.quality`` (call_id, agent, mos): the call's mean opinion score (1..5).

Definitions (also printed with every report, see `DEFINITIONS`):

- A call belongs to the interval of its arrival in the queue; agent time is split across
  intervals at the exact boundaries.
- short abandons: abandoned with wait < short-abandon seconds; counted apart and left
  out of the service level and the abandon rate.
- service level = answered within T / (answered + abandoned - short abandons).
- abandon rate = (abandoned - short abandons) / (offered - short abandons).
- ASA = total wait of answered calls / answered.
- AHT = (talk + wrap-up) / calls handled (talk includes hold).
- occupancy = handle time / (handle time + available time), where handle time is time in
  the states on_call and wrap_up and available time is time with status available in the
  states idle, reserved or ringing.
- utilisation = handle time / logged-in time (any status but logged_out).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

ALL = "*"

DEFINITIONS: dict[str, str] = {
    "interval": "a call belongs to the interval of its arrival in the queue",
    "short_abandoned": "abandoned with wait < short-abandon seconds; left out of service "
                       "level and abandon rate",
    "service_level": "answered within T / (answered + abandoned - short abandons)",
    "abandon_rate": "(abandoned - short abandons) / (offered - short abandons)",
    "asa": "total wait of answered calls / answered",
    "aht": "(talk + wrap-up) / calls handled; talk runs from answer to hang-up, hold included",
    "occupancy": "handle time / (handle time + available time); handle = on_call + wrap_up, "
                 "available = status available in state idle, reserved or ringing",
    "utilisation": "handle time / logged-in time",
    "transfer_rate": "transferred / answered",
}

#: the event kinds `compute` reads
CALL_KINDS = frozenset({
    "call.enqueued", "call.answered", "call.abandoned", "queue.overflow", "call.ended",
    "call.held", "wrapup.started", "wrapup.ended", "call.transferred",
    "callback.requested", "callback.dialed", "callback.failed", "agent.no_answer",
    "agent.rejected", "survey.completed", "call.quality"})
AGENT_KINDS = frozenset({"agent.status", "agent.state"})
KINDS = CALL_KINDS | AGENT_KINDS

HANDLE_STATES = frozenset({"on_call", "wrap_up"})
WAITING_STATES = frozenset({"idle", "reserved", "ringing"})


class EventLike(Protocol):
    seq: int
    ts: float
    kind: str
    call_id: str | None
    queue: str | None
    agent: str | None
    data: Mapping[str, Any]


@dataclass(frozen=True)
class ReportOptions:
    start: float
    end: float
    sl_seconds: float = 20.0
    short_abandon: float = 5.0
    #: interval length in seconds, None for one row for the whole period
    interval: float | None = None
    queue: str | None = None
    agent: str | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.end)):
            raise ValueError("the period needs a finite start and end")
        if self.end <= self.start:
            raise ValueError("the period must end after it starts")
        if self.sl_seconds < 0 or self.short_abandon < 0:
            raise ValueError("service-level and short-abandon seconds must be >= 0")
        if self.interval is not None and self.interval <= 0:
            raise ValueError("the interval must be > 0 seconds")

    def bucket(self, ts: float) -> float | None:
        """The start of the interval holding `ts`, or None when outside the period."""
        if not self.start <= ts < self.end:
            return None
        if self.interval is None:
            return self.start
        return self.start + math.floor((ts - self.start) / self.interval) * self.interval

    def spans(self, a: float, b: float) -> Iterator[tuple[float, float]]:
        """[a, b) clipped to the period and cut at interval boundaries: (bucket, seconds)."""
        a, b = max(a, self.start), min(b, self.end)
        while a < b:
            key = self.bucket(a)
            assert key is not None
            stop = self.end if self.interval is None else min(b, key + self.interval)
            stop = min(stop, b)
            yield key, stop - a
            a = stop


def _field(event: EventLike, name: str) -> Any:
    value = getattr(event, name, None) if name in ("call_id", "queue", "agent") else None
    if value is None:
        value = event.data.get(name)
    return value


def _number(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value) if math.isfinite(value) else default


@dataclass
class Visit:
    """One caller's stay in one queue."""

    call_id: str
    queue: str
    arrival: float
    outcome: str = ""         # answered | abandoned | overflow | "" (still waiting)
    wait: float = 0.0
    agent: str | None = None
    talk: float = 0.0
    hold: float = 0.0
    wrap: float = 0.0
    ended: bool = False
    transferred: bool = False
    score: int | None = None
    mos: float | None = None


@dataclass
class QueueFigures:
    queue: str
    interval: float | None
    offered: int = 0
    answered: int = 0
    answered_in_sl: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    overflowed: int = 0
    wait_answered: float = 0.0
    #: waiting time of every caller who left the line (answered, abandoned, overflowed)
    wait_total: float = 0.0
    longest_wait: float = 0.0
    handled: int = 0
    talk: float = 0.0
    hold: float = 0.0
    wrap: float = 0.0
    transferred: int = 0
    callbacks_requested: int = 0
    callbacks_dialed: int = 0
    callbacks_answered: int = 0
    callbacks_failed: int = 0
    scores: Counter[int] = field(default_factory=Counter)

    @property
    def service_level(self) -> float | None:
        return _ratio(self.answered_in_sl,
                      self.answered + self.abandoned - self.short_abandoned)

    @property
    def abandon_rate(self) -> float | None:
        return _ratio(self.abandoned - self.short_abandoned,
                      self.offered - self.short_abandoned)

    @property
    def asa(self) -> float | None:
        return _ratio(self.wait_answered, self.answered)

    @property
    def patience(self) -> float | None:
        """Mean time to abandon: total waiting time of all callers / abandons.

        The maximum-likelihood estimate of an exponential patience when the waits of the
        callers who were answered (or moved on) are censored observations.
        """
        return _ratio(self.wait_total, self.abandoned)

    @property
    def aht(self) -> float | None:
        return _ratio(self.talk + self.wrap, self.handled)

    @property
    def transfer_rate(self) -> float | None:
        return _ratio(self.transferred, self.answered)

    @property
    def satisfaction(self) -> float | None:
        return _mean_score(self.scores)


@dataclass
class AgentFigures:
    agent: str
    interval: float | None
    answered: int = 0
    handled: int = 0
    talk: float = 0.0
    hold: float = 0.0
    wrap: float = 0.0
    transferred: int = 0
    no_answers: int = 0
    rejected: int = 0
    #: seconds by status ("available", "on_break:lunch", ...), logged_out not kept
    status_time: Counter[str] = field(default_factory=Counter)
    #: seconds by state while logged in
    state_time: Counter[str] = field(default_factory=Counter)
    handle_time: float = 0.0
    available_time: float = 0.0
    scores: Counter[int] = field(default_factory=Counter)
    mos_total: float = 0.0
    mos_count: int = 0

    @property
    def logged_in(self) -> float:
        return sum(self.status_time.values())

    @property
    def aht(self) -> float | None:
        return _ratio(self.talk + self.wrap, self.handled)

    @property
    def occupancy(self) -> float | None:
        return _ratio(self.handle_time, self.handle_time + self.available_time)

    @property
    def utilisation(self) -> float | None:
        return _ratio(self.handle_time, self.logged_in)

    @property
    def satisfaction(self) -> float | None:
        return _mean_score(self.scores)

    @property
    def mos(self) -> float | None:
        return _ratio(self.mos_total, self.mos_count)


def _ratio(top: float, bottom: float) -> float | None:
    return top / bottom if bottom > 0 else None


def _mean_score(scores: Counter[int]) -> float | None:
    return _ratio(sum(s * n for s, n in scores.items()), sum(scores.values()))


@dataclass
class Report:
    options: ReportOptions
    #: per (queue, interval); queue ALL is the sum over queues
    queues: list[QueueFigures]
    #: per (agent, interval); agent ALL is the sum over agents
    agents: list[AgentFigures]


class _Calls:
    """Follows visits through the call events."""

    def __init__(self) -> None:
        self.visits: list[Visit] = []
        self.open: dict[tuple[str, str], Visit] = {}
        self.answered: dict[str, Visit] = {}
        self.wrapping: dict[str, Visit] = {}
        self.wrap_started: dict[str, float] = {}
        #: (kind, queue, agent, ts) of counted one-off facts
        self.facts: list[tuple[str, str | None, str | None, float]] = []

    def visit(self, call_id: str, queue: str, arrival: float) -> Visit:
        found = self.open.get((call_id, queue))
        if found is None:
            found = Visit(call_id, queue, arrival)
            self.visits.append(found)
            self.open[(call_id, queue)] = found
        return found

    def feed(self, event: EventLike) -> None:
        kind, ts = event.kind, event.ts
        call_id = _field(event, "call_id")
        queue = _field(event, "queue")
        agent = _field(event, "agent")
        if kind == "call.enqueued" and call_id and queue:
            if not _field(event, "callback"):
                self.visit(call_id, queue, ts)
        elif kind in ("call.answered", "call.abandoned", "queue.overflow") and call_id \
                and queue:
            wait = _number(_field(event, "wait"))
            if kind == "call.answered" and _field(event, "callback"):
                self.facts.append(("callback.answered", queue, agent, ts))
                self.answered[call_id] = Visit(call_id, queue, ts - wait, "callback",
                                               agent=agent)
                return
            visit = self.visit(call_id, queue, ts - wait)
            self.open.pop((call_id, queue), None)
            visit.outcome = {"call.answered": "answered", "call.abandoned": "abandoned",
                             "queue.overflow": "overflow"}[kind]
            visit.wait = wait
            if kind == "call.answered":
                visit.agent = agent
                self.answered[call_id] = visit
        elif kind == "call.ended" and call_id in self.answered:
            visit = self.answered[call_id]
            visit.talk = _number(_field(event, "talk"))
            visit.ended = True
            if visit.outcome == "callback":
                self.visits.append(visit)
        elif kind == "call.held" and call_id in self.answered:
            self.answered[call_id].hold += _number(_field(event, "seconds"))
        elif kind == "wrapup.started" and agent:
            self.wrap_started[agent] = ts
            if call_id in self.answered:
                self.wrapping[agent] = self.answered[call_id]
        elif kind == "wrapup.ended" and agent in self.wrap_started:
            started = self.wrap_started.pop(agent)
            visit = self.wrapping.pop(agent, None)
            if visit is not None:
                visit.wrap += ts - started
        elif kind == "call.transferred" and call_id in self.answered:
            self.answered[call_id].transferred = True
        elif kind == "survey.completed":
            score = _field(event, "score")
            if isinstance(score, int) and not isinstance(score, bool):
                target = self.answered.get(call_id or "")
                if target is not None:
                    target.score = score
                else:
                    self.facts.append((f"score:{score}", queue, agent, ts))
        elif kind == "call.quality" and call_id in self.answered:
            mos = _field(event, "mos")
            if isinstance(mos, (int, float)) and not isinstance(mos, bool):
                self.answered[call_id].mos = float(mos)
        elif kind in ("callback.requested", "callback.dialed", "callback.failed",
                      "agent.no_answer", "agent.rejected"):
            if kind == "callback.dialed" or kind.startswith("agent."):
                queue = queue or (self.answered[call_id].queue
                                  if call_id in self.answered else None)
            self.facts.append((kind, queue, agent, ts))


class _AgentClock:
    """Splits each agent's status and state time into intervals."""

    def __init__(self, options: ReportOptions) -> None:
        self.options = options
        self.current: dict[str, tuple[float, str, str, str]] = {}  # since, status, reason, state
        #: (agent, bucket) -> figures-to-be: status_time, state_time, handle, available
        self.status: dict[tuple[str, float], Counter[str]] = defaultdict(Counter)
        self.state: dict[tuple[str, float], Counter[str]] = defaultdict(Counter)
        self.handle: Counter[tuple[str, float]] = Counter()
        self.available: Counter[tuple[str, float]] = Counter()

    def feed(self, event: EventLike) -> None:
        agent = _field(event, "agent")
        if not agent:
            return
        old = self.current.get(agent)
        if old is None:
            status, reason, state = "logged_out", "", "idle"
            if event.kind == "agent.status":
                status = str(event.data.get("from", status))
            else:
                state = str(event.data.get("from", state))
                status = "available"  # a state change means the agent was logged in
        else:
            since, status, reason, state = old
            self._add(agent, since, event.ts, status, reason, state)
        if event.kind == "agent.status":
            status = str(event.data.get("to", status))
            reason = str(event.data.get("reason") or "") if status == "on_break" else ""
        else:
            state = str(event.data.get("to", state))
        self.current[agent] = (event.ts, status, reason, state)

    def finish(self) -> None:
        for agent, (since, status, reason, state) in self.current.items():
            self._add(agent, since, self.options.end, status, reason, state)

    def _add(self, agent: str, a: float, b: float, status: str, reason: str,
             state: str) -> None:
        for key, seconds in self.options.spans(a, b):
            k = (agent, key)
            if state in HANDLE_STATES:
                self.handle[k] += seconds
            if status == "logged_out":
                continue
            self.status[k][f"on_break:{reason}" if status == "on_break" else status] += seconds
            self.state[k][state] += seconds
            if status == "available" and state in WAITING_STATES:
                self.available[k] += seconds


def compute(events: Iterable[EventLike], options: ReportOptions) -> Report:
    """All figures for the period; events may be in any order (sorted by ts, then seq)."""
    calls = _Calls()
    clock = _AgentClock(options)
    for event in sorted(events, key=lambda e: (e.ts, e.seq)):
        if event.kind in AGENT_KINDS:
            if event.ts < options.end:
                clock.feed(event)
        elif event.kind in CALL_KINDS:
            calls.feed(event)
    clock.finish()

    queues: dict[tuple[str, float], QueueFigures] = {}
    agents: dict[tuple[str, float], AgentFigures] = {}

    def queue_rows(name: str, key: float) -> list[QueueFigures]:
        if options.queue is not None and name != options.queue:
            return []
        rows = []
        for q in (name, ALL):
            if (q, key) not in queues:
                queues[(q, key)] = QueueFigures(q, key if options.interval else None)
            rows.append(queues[(q, key)])
        return rows

    def agent_rows(name: str | None, key: float) -> list[AgentFigures]:
        if not name or (options.agent is not None and name != options.agent):
            return []
        rows = []
        for a in (name, ALL):
            if (a, key) not in agents:
                agents[(a, key)] = AgentFigures(a, key if options.interval else None)
            rows.append(agents[(a, key)])
        return rows

    for visit in calls.visits:
        key = options.bucket(visit.arrival)
        if key is None:
            continue
        for q in queue_rows(visit.queue, key):
            _count_visit(q, visit, options)
        queue_ok = options.queue is None or visit.queue == options.queue
        if visit.agent and queue_ok:
            for a in agent_rows(visit.agent, key):
                a.answered += visit.outcome == "answered"
                if visit.ended:
                    a.handled += 1
                    a.talk += visit.talk
                    a.hold += visit.hold
                    a.wrap += visit.wrap
                a.transferred += visit.transferred
                if visit.score is not None:
                    a.scores[visit.score] += 1
                if visit.mos is not None:
                    a.mos_total += visit.mos
                    a.mos_count += 1
    for kind, queue, agent, ts in calls.facts:
        key = options.bucket(ts)
        if key is None:
            continue
        if queue:
            for q in queue_rows(queue, key):
                _count_fact(q, kind)
        if options.queue is None or queue == options.queue:
            for a in agent_rows(agent, key):
                a.no_answers += kind == "agent.no_answer"
                a.rejected += kind == "agent.rejected"
                if kind.startswith("score:"):
                    a.scores[int(kind[6:])] += 1
    for (agent, key), seconds in clock.status.items():
        for a in agent_rows(agent, key):
            a.status_time.update(seconds)
            a.state_time.update(clock.state[(agent, key)])
            a.handle_time += clock.handle[(agent, key)]
            a.available_time += clock.available[(agent, key)]
    return Report(options,
                  sorted(queues.values(), key=lambda r: (r.queue == ALL, r.queue,
                                                         r.interval or 0.0)),
                  sorted(agents.values(), key=lambda r: (r.agent == ALL, r.agent,
                                                         r.interval or 0.0)))


def _count_visit(row: QueueFigures, visit: Visit, options: ReportOptions) -> None:
    if visit.ended:
        row.handled += 1
        row.talk += visit.talk
        row.hold += visit.hold
        row.wrap += visit.wrap
    if visit.score is not None:
        row.scores[visit.score] += 1
    if visit.outcome == "callback":
        return
    row.offered += 1
    row.wait_total += visit.wait
    row.longest_wait = max(row.longest_wait, visit.wait)
    if visit.outcome == "answered":
        row.answered += 1
        row.wait_answered += visit.wait
        row.answered_in_sl += visit.wait <= options.sl_seconds
        row.transferred += visit.transferred
    elif visit.outcome == "abandoned":
        row.abandoned += 1
        row.short_abandoned += visit.wait < options.short_abandon
    elif visit.outcome == "overflow":
        row.overflowed += 1


def _count_fact(row: QueueFigures, kind: str) -> None:
    if kind == "callback.requested":
        row.callbacks_requested += 1
    elif kind == "callback.dialed":
        row.callbacks_dialed += 1
    elif kind == "callback.answered":
        row.callbacks_answered += 1
    elif kind == "callback.failed":
        row.callbacks_failed += 1
    elif kind.startswith("score:"):
        row.scores[int(kind[6:])] += 1
