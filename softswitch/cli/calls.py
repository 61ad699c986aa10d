"""`softswitch calls` (list), `softswitch calls hangup`, `softswitch calls originate`."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.table import Table

from softswitch.cli.control_client import (
    console,
    data_dir_option,
    json_option,
    print_json,
    run,
)


@click.group(invoke_without_command=True)
@data_dir_option
@json_option
@click.pass_context
def calls(ctx: click.Context, data_dir: Path, as_json: bool) -> None:
    """Calls in progress; `hangup` and `originate` act on them."""
    if ctx.invoked_subcommand is not None:
        return
    result = run(data_dir, "calls.list")
    if as_json:
        print_json(result)
        return
    if not result:
        click.echo("no calls")
        return
    keys = {key for call in result for key in call}
    columns = [k for k in FIRST_COLUMNS if k in keys] + sorted(keys - set(FIRST_COLUMNS))
    table = Table(*columns)
    for call in result:
        table.add_row(*(_cell(key, call.get(key)) for key in columns))
    console().print(table)


#: the columns an operator reads first; any others follow in name order
FIRST_COLUMNS = ("call_id", "caller", "callee", "state", "since", "queue", "agent")


def _cell(key: str, value: object) -> str:
    if value is None:
        return ""
    if key in ("since", "answered_at") and isinstance(value, int | float):
        return time.strftime("%H:%M:%S", time.localtime(value))
    return str(value)


@calls.command()
@click.argument("call_id")
@data_dir_option
@json_option
def hangup(call_id: str, data_dir: Path, as_json: bool) -> None:
    """End CALL_ID."""
    result = run(data_dir, "call.hangup", call_id=call_id)
    print_json(result) if as_json else click.echo(f"hung up {call_id}")


@calls.command()
@click.argument("from_extension")
@click.argument("to")
@data_dir_option
@json_option
def originate(from_extension: str, to: str, data_dir: Path, as_json: bool) -> None:
    """Ring FROM_EXTENSION, then call TO."""
    result = run(data_dir, "call.originate", **{"from": from_extension, "to": to})
    print_json(result) if as_json else click.echo(f"calling: {result['call_id']}")
