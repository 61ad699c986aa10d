"""A hand-built day of call-center events with every time written out.

Two hours from 09:00 local (T0), two agents (a1, a2), two queues (sales, support). Times
below are seconds after T0.

  a1, a2 log in at 0. a2 is on break "lunch" from 3000 to 4800. Both log out at 7200.
  c1 sales: arrives 100, a1 rung 100, answers 110 (wait 10), 30 s hold, ends 310
     (talk 200), wrap-up 310-340, survey 5, MOS 4.2
  c2 sales: arrives 200, a2 rung 200, answers 230 (wait 30), transferred, ends 530
     (talk 300), wrap-up 530-560, survey 3, MOS 3.8
  c3 sales: arrives 600, abandons 603 (wait 3: a short abandon)
  c4 sales: arrives 1000, abandons 1060 (wait 60); a1 did not answer an offer at 1030
  c5 support: arrives 3500, a1 rung 3610, answers 3620 (wait 120), ends 3920 (talk 300),
     wrap-up 3920-3950, survey 4
  c6 support: arrives 4000, overflows to a callback at 4100 (wait 100), dialed by a1 at
     4200, answered 4210 (wait 210), ends 4310 (talk 100), wrap-up 4310-4340
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from softswitch.storage.events import Event

T0 = datetime(2024, 3, 4, 9, 0).timestamp()


def _raw() -> list[tuple[float, str, dict[str, Any]]]:
    e: list[tuple[float, str, dict[str, Any]]] = []

    def status(t: float, agent: str, old: str, new: str, reason: str = "") -> None:
        e.append((t, "agent.status", {"agent": agent, "from": old, "to": new,
                                      "reason": reason}))

    def state(t: float, agent: str, old: str, new: str) -> None:
        e.append((t, "agent.state", {"agent": agent, "from": old, "to": new}))

    def answered_call(call: str, queue: str, agent: str, arrive: float, rung: float,
                      answer: float, end: float, wrap_end: float) -> None:
        e.append((arrive, "call.enqueued", {"call_id": call, "queue": queue,
                                            "callback": False}))
        state(rung, agent, "idle", "ringing")
        e.append((rung, "agent.rung", {"call_id": call, "agent": agent, "queue": queue}))
        state(answer, agent, "ringing", "on_call")
        e.append((answer, "call.answered", {"call_id": call, "agent": agent, "queue": queue,
                                            "wait": answer - arrive, "callback": False}))
        e.append((end, "call.ended", {"call_id": call, "agent": agent, "queue": queue,
                                      "talk": end - answer}))
        state(end, agent, "on_call", "wrap_up")
        e.append((end, "wrapup.started", {"agent": agent, "call_id": call, "seconds": 30}))
        state(wrap_end, agent, "wrap_up", "idle")
        e.append((wrap_end, "wrapup.ended", {"agent": agent}))

    status(0, "a1", "logged_out", "available")
    status(0, "a2", "logged_out", "available")
    answered_call("c1", "sales", "a1", 100, 100, 110, 310, 340)
    e.append((200, "call.held", {"call_id": "c1", "agent": "a1", "seconds": 30}))
    e.append((311, "call.quality", {"call_id": "c1", "agent": "a1", "mos": 4.2}))
    e.append((320, "survey.completed", {"call_id": "c1", "agent": "a1", "queue": "sales",
                                        "score": 5}))
    answered_call("c2", "sales", "a2", 200, 200, 230, 530, 560)
    e.append((400, "call.transferred", {"call_id": "c2", "agent": "a2"}))
    e.append((531, "call.quality", {"call_id": "c2", "agent": "a2", "mos": 3.8}))
    e.append((540, "survey.completed", {"call_id": "c2", "agent": "a2", "queue": "sales",
                                        "score": 3}))
    e.append((600, "call.enqueued", {"call_id": "c3", "queue": "sales"}))
    e.append((603, "call.abandoned", {"call_id": "c3", "queue": "sales", "wait": 3}))
    e.append((1000, "call.enqueued", {"call_id": "c4", "queue": "sales"}))
    state(1020, "a1", "idle", "ringing")
    state(1030, "a1", "ringing", "idle")
    e.append((1030, "agent.no_answer", {"call_id": "c4", "agent": "a1", "queue": "sales"}))
    e.append((1060, "call.abandoned", {"call_id": "c4", "queue": "sales", "wait": 60}))
    status(3000, "a2", "available", "on_break", "lunch")
    answered_call("c5", "support", "a1", 3500, 3610, 3620, 3920, 3950)
    e.append((3930, "survey.completed", {"call_id": "c5", "agent": "a1",
                                         "queue": "support", "score": 4}))
    e.append((4000, "call.enqueued", {"call_id": "c6", "queue": "support"}))
    e.append((4100, "queue.overflow", {"call_id": "c6", "queue": "support",
                                       "reason": "max_wait", "target": "",
                                       "wait": 100}))
    e.append((4100, "callback.requested", {"call_id": "c6", "queue": "support"}))
    e.append((4100, "call.enqueued", {"call_id": "c6", "queue": "support",
                                      "callback": True}))
    e.append((4200, "callback.dialed", {"call_id": "c6", "queue": "support",
                                        "agent": "a1"}))
    state(4200, "a1", "idle", "ringing")
    state(4210, "a1", "ringing", "on_call")
    e.append((4210, "call.answered", {"call_id": "c6", "agent": "a1", "queue": "support",
                                      "wait": 210, "callback": True}))
    e.append((4310, "call.ended", {"call_id": "c6", "agent": "a1", "queue": "support",
                                   "talk": 100}))
    state(4310, "a1", "on_call", "wrap_up")
    e.append((4310, "wrapup.started", {"agent": "a1", "call_id": "c6", "seconds": 30}))
    state(4340, "a1", "wrap_up", "idle")
    e.append((4340, "wrapup.ended", {"agent": "a1"}))
    status(4800, "a2", "on_break", "available")
    status(7200, "a1", "available", "logged_out")
    status(7200, "a2", "available", "logged_out")
    return e


COLUMNS = ("call_id", "queue", "agent")


def day_events() -> list[Event]:
    """The day as stored events: call_id/queue/agent in their columns, the rest as data."""
    events = []
    # a stable sort by time keeps the order in which the facts were written above
    for seq, (t, kind, fields) in enumerate(sorted(_raw(), key=lambda r: r[0]), 1):
        data = {k: v for k, v in fields.items() if k not in COLUMNS}
        events.append(Event(seq, T0 + t, kind, fields.get("call_id"), fields.get("queue"),
                            fields.get("agent"), data))
    return events


def append_fields(event: Event) -> dict[str, Any]:
    """Keyword arguments for `db.events.append` that store `event` again."""
    return {"ts": event.ts, "call_id": event.call_id, "queue": event.queue,
            "agent": event.agent, **event.data}
