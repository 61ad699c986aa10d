"""`softswitch wallboard`: the queues at a glance, updated from the live event stream.

The board starts from one `queue.status` and `agent.status` snapshot and then applies
each event the switch streams (it never polls); the screen is redrawn once a second so
waiting times keep counting. `--once` prints one frame as text, for scripts and tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

from softswitch.cli.control_client import (
    connected,
    data_dir_option,
    fail,
    json_option,
    print_json,
)
from softswitch.cli.queue import percent
from softswitch.control.today import QueueDay

#: agent columns, in the order shown
LABELS = ("idle", "reserved", "ringing", "on_call", "wrap_up", "paused", "logged_out")
#: events after which a caller no longer waits in the queue
_LEAVES = frozenset({"call.answered", "call.abandoned", "call.ended", "queue.overflow",
                     "callback.failed"})


@dataclass
class AgentView:
    status: str
    state: str

    @property
    def label(self) -> str:
        if self.status == "logged_out":
            return "logged_out"
        if self.status == "on_break":
            return "paused"
        return self.state


@dataclass
class QueueView:
    name: str
    members: set[str] = field(default_factory=set)
    #: call id -> wall time the caller joined
    waiting: dict[str, float] = field(default_factory=dict)
    day: QueueDay = field(default_factory=QueueDay)


class Board:
    """The wallboard's model: a snapshot plus the events after it."""

    def __init__(self, queues: list[dict[str, Any]], agents: list[dict[str, Any]],
                 threshold: float) -> None:
        self.threshold = threshold
        self.as_of = min((q.get("as_of_seq", 0) for q in queues), default=0)
        self.agents = {a["agent"]: AgentView(a["status"], a["state"]) for a in agents}
        self.queues: dict[str, QueueView] = {}
        for q in queues:
            view = QueueView(q["queue"])
            view.members = {agent for ids in q["agents"].values() for agent in ids}
            view.waiting = {w["call_id"]: w["since"] for w in q["waiting"]}
            day = q["today"]
            view.day = QueueDay(day["answered"], day["answered_in_time"], day["abandoned"])
            self.queues[view.name] = view

    def apply(self, event: dict[str, Any]) -> None:
        if event["seq"] <= self.as_of:
            return  # already in the snapshot
        kind, data = event["kind"], event.get("data") or {}
        queue = self.queues.get(event.get("queue") or "")
        agent = self.agents.get(event.get("agent") or "")
        if kind == "agent.status" and agent is not None:
            agent.status = data.get("to", agent.status)
        elif kind == "agent.state" and agent is not None:
            agent.state = data.get("to", agent.state)
        elif kind == "call.enqueued" and queue is not None:
            queue.waiting[event["call_id"]] = event["ts"]
        if kind in _LEAVES and queue is not None:
            queue.waiting.pop(event.get("call_id") or "", None)
        if queue is not None:
            queue.day.add(kind, data, self.threshold)

    def rows(self, now: float) -> list[dict[str, Any]]:
        out = []
        for view in self.queues.values():
            counts = dict.fromkeys(LABELS, 0)
            for member in view.members:
                if member in self.agents:
                    counts[self.agents[member].label] += 1
            out.append({"queue": view.name, "waiting": len(view.waiting),
                        "longest_wait": max((now - t for t in view.waiting.values()),
                                            default=0.0),
                        "agents": counts, "answered": view.day.answered,
                        "abandoned": view.day.abandoned,
                        "service_level": view.day.service_level(),
                        "abandonment": view.day.abandonment()})
        return out

    def render(self, now: float) -> Table:
        clock = time.strftime("%H:%M:%S", time.localtime(now))
        table = Table(title=f"softswitch wallboard  {clock}")
        for column in ("queue", "waiting", "longest wait", "available", "ringing", "on call",
                       "wrap-up", "paused", "logged out", f"SL {self.threshold:g}s",
                       "abandoned", "answered"):
            table.add_column(column, justify="left" if column == "queue" else "right")
        for row in self.rows(now):
            a = row["agents"]
            table.add_row(
                row["queue"],
                _coloured(str(row["waiting"]), waiting_colour(row["waiting"], a["idle"])),
                _coloured(f"{row['longest_wait']:.0f}s",
                          wait_colour(row["longest_wait"], self.threshold)),
                str(a["idle"]), str(a["ringing"] + a["reserved"]), str(a["on_call"]),
                str(a["wrap_up"]), str(a["paused"]), str(a["logged_out"]),
                _coloured(percent(row["service_level"]),
                          service_level_colour(row["service_level"])),
                _coloured(f"{row['abandoned']} ({percent(row['abandonment'])})",
                          abandonment_colour(row["abandonment"])),
                str(row["answered"]))
        return table


def _coloured(text: str, colour: str) -> str:
    return f"[{colour}]{text}[/{colour}]"


def service_level_colour(level: float | None) -> str:
    """Green from 80 %, yellow from 60 %, red below (the common 80/20 target)."""
    if level is None or level >= 0.8:
        return "green"
    return "yellow" if level >= 0.6 else "red"


def abandonment_colour(rate: float | None) -> str:
    if rate is None or rate <= 0.05:
        return "green"
    return "yellow" if rate <= 0.10 else "red"


def wait_colour(seconds: float, threshold: float) -> str:
    if seconds <= threshold:
        return "green"
    return "yellow" if seconds <= 3 * threshold else "red"


def waiting_colour(waiting: int, available: int) -> str:
    if waiting == 0:
        return "green"
    return "yellow" if available > 0 else "red"


@click.command()
@click.option("--once", is_flag=True, help="Print one frame as text and exit.")
@click.option("--sl-seconds", type=click.IntRange(min=0), default=20, show_default=True,
              help="Service level threshold: answered within this many seconds.")
@click.option("--width", type=click.IntRange(min=40), default=None,
              help="Columns for --once (default: the terminal's).")
@data_dir_option
@json_option
def wallboard(once: bool, sl_seconds: int, width: int | None, data_dir: Path,
              as_json: bool) -> None:
    """Per queue: waiting, longest wait, agents by state, service level and abandonment
    today, live."""
    with connected(data_dir) as stream, connected(data_dir) as client:
        # subscribed before the snapshot is taken: no event falls in between
        events = None if once or as_json else stream.subscribe(idle=1.0)
        board = Board(client.request("queue.status", service_level_seconds=sl_seconds),
                      client.request("agent.status"), sl_seconds)
        if as_json:
            print_json(board.rows(time.time()))
            return
        if events is None:
            Console(width=width, highlight=False).print(board.render(time.time()))
            return
        with Live(board.render(time.time()), auto_refresh=False) as live:
            try:
                for event in events:
                    if event is not None:
                        board.apply(event)
                    live.update(board.render(time.time()), refresh=True)
            except KeyboardInterrupt:
                return
    fail("the switch stopped")
