"""`softswitch agent login|logout|pause|resume|status`."""

from __future__ import annotations

import datetime
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


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def show_agents(agents: list[dict[str, Any]]) -> None:
    table = Table("agent", "name", "status", "state", "since", "answered", "queues")
    for a in agents:
        status = a["status"] + (f" ({a['reason']})" if a.get("reason") else "")
        table.add_row(a["agent"], a.get("name") or "", status, a["state"], _when(a["since"]),
                      str(a["calls_answered"]), ", ".join(a["queues"]))
    console().print(table)


def _report(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(result)
    else:
        reason = f" ({result['reason']})" if result.get("reason") else ""
        click.echo(f"agent {result['agent']}: {result['status']}{reason}, {result['state']}")


@click.group()
def agent() -> None:
    """Log agents in and out, pause and resume them, see their status."""


@agent.command()
@click.argument("agent_id")
@click.option("--queue", "queues", multiple=True, help="Also join this queue (repeatable).")
@data_dir_option
@json_option
def login(agent_id: str, queues: tuple[str, ...], data_dir: Path, as_json: bool) -> None:
    """Log AGENT_ID in: they become available for calls."""
    _report(run(data_dir, "agent.login", agent=agent_id, queues=list(queues) or None),
            as_json)


@agent.command()
@click.argument("agent_id")
@data_dir_option
@json_option
def logout(agent_id: str, data_dir: Path, as_json: bool) -> None:
    """Log AGENT_ID out."""
    _report(run(data_dir, "agent.logout", agent=agent_id), as_json)


@agent.command()
@click.argument("agent_id")
@click.option("--reason", default="break", show_default=True, help="Why (lunch, training...).")
@data_dir_option
@json_option
def pause(agent_id: str, reason: str, data_dir: Path, as_json: bool) -> None:
    """Put AGENT_ID on a break: no calls until they resume."""
    _report(run(data_dir, "agent.pause", agent=agent_id, reason=reason), as_json)


@agent.command()
@click.argument("agent_id")
@data_dir_option
@json_option
def resume(agent_id: str, data_dir: Path, as_json: bool) -> None:
    """End AGENT_ID's break."""
    _report(run(data_dir, "agent.resume", agent=agent_id), as_json)


@agent.command()
@click.argument("agent_id", required=False)
@data_dir_option
@json_option
def status(agent_id: str | None, data_dir: Path, as_json: bool) -> None:
    """One agent's status, or everyone's."""
    result = run(data_dir, "agent.status", agent=agent_id)
    if as_json:
        print_json(result)
    else:
        show_agents([result] if agent_id else result)
