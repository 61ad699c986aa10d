"""`softswitch queue status`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from softswitch.cli.control_client import (
    console,
    data_dir_option,
    json_option,
    print_json,
    run,
)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def show_queues(queues: list[dict[str, Any]]) -> None:
    out = console()
    for q in queues:
        day = q["today"]
        out.print(f"[bold]{q['queue']}[/bold]: {len(q['waiting'])} waiting, longest "
                  f"{q['longest_wait']:.0f} s; today {day['answered']} answered, "
                  f"{day['abandoned']} abandoned, service level "
                  f"{percent(day['service_level'])} (within {q['service_level_seconds']} s), "
                  f"abandonment {percent(day['abandonment'])}")
        agents = Table("state", "agents")
        for state, ids in sorted(q["agents"].items()):
            agents.add_row(state, ", ".join(ids))
        out.print(agents)
        if q["waiting"]:
            waiting = Table("call", "number", "phase", "wait (s)", "priority")
            for w in q["waiting"]:
                waiting.add_row(w["call_id"], w["number"], w["phase"], f"{w['wait']:.0f}",
                                str(w["priority"]))
            out.print(waiting)


@click.group()
def queue() -> None:
    """Queues: who waits, who answers."""


@queue.command()
@click.argument("name", required=False)
@click.option("--sl-seconds", type=click.IntRange(min=0), default=20, show_default=True,
              help="Service level threshold: answered within this many seconds.")
@data_dir_option
@json_option
def status(name: str | None, sl_seconds: int, data_dir: Path, as_json: bool) -> None:
    """Waiting callers, agents by state, and today's service level and abandonment."""
    result = run(data_dir, "queue.status", queue=name, service_level_seconds=sl_seconds)
    if as_json:
        print_json(result)
    else:
        show_queues(result)
