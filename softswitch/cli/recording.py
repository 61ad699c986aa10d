"""`softswitch recording pause|resume CALL_ID`: keep card numbers off a call's recording.

While paused the file gets silence, so its timeline stays true to the call.
"""

from __future__ import annotations

from pathlib import Path

import click

from softswitch.cli.control_client import data_dir_option, json_option, print_json, run


@click.group()
def recording() -> None:
    """Pause and resume the recording of a call in progress."""


@recording.command()
@click.argument("call_id")
@data_dir_option
@json_option
def pause(call_id: str, data_dir: Path, as_json: bool) -> None:
    """Write silence instead of CALL_ID's audio until resumed."""
    result = run(data_dir, "recording.pause", call_id=call_id)
    print_json(result) if as_json else click.echo(f"recording of {call_id} paused")


@recording.command()
@click.argument("call_id")
@data_dir_option
@json_option
def resume(call_id: str, data_dir: Path, as_json: bool) -> None:
    """Record CALL_ID's audio again."""
    result = run(data_dir, "recording.resume", call_id=call_id)
    print_json(result) if as_json else click.echo(f"recording of {call_id} resumed")
