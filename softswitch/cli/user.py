"""`softswitch user add|change|list|remove`: edit the running switch's users."""

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


def _done(result: dict[str, Any], as_json: bool, what: str) -> None:
    if as_json:
        print_json(result)
    else:
        click.echo(f"{what}; {result['users']} users in {result['file']}")


@click.group()
def user() -> None:
    """Phone users (extensions). Changes are written to the configuration file and
    applied at once, without dropping calls."""


@user.command("list")
@data_dir_option
@json_option
def list_users(data_dir: Path, as_json: bool) -> None:
    """Configured users (passwords are not shown)."""
    result = run(data_dir, "user.list")
    if as_json:
        print_json(result)
        return
    table = Table("extension", "name")
    for entry in result:
        table.add_row(entry["extension"], entry.get("name") or "")
    console().print(table)


@user.command()
@click.argument("extension")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default=None)
@data_dir_option
@json_option
def add(extension: str, password: str, name: str | None, data_dir: Path,
        as_json: bool) -> None:
    """Add EXTENSION."""
    _done(run(data_dir, "user.add", extension=extension, password=password, name=name),
          as_json, f"added {extension}")


@user.command()
@click.argument("extension")
@click.option("--password", default=None)
@click.option("--name", default=None)
@data_dir_option
@json_option
def change(extension: str, password: str | None, name: str | None, data_dir: Path,
           as_json: bool) -> None:
    """Change EXTENSION's password or name."""
    _done(run(data_dir, "user.change", extension=extension, password=password, name=name),
          as_json, f"changed {extension}")


@user.command()
@click.argument("extension")
@data_dir_option
@json_option
def remove(extension: str, data_dir: Path, as_json: bool) -> None:
    """Remove EXTENSION."""
    _done(run(data_dir, "user.remove", extension=extension), as_json, f"removed {extension}")
