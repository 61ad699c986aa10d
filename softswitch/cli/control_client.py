"""What every operator command shares: finding the control socket, sending one command,
printing JSON or a table, and saying plainly when the switch is not running."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from softswitch.control.client import CommandFailed, ControlClient, NotRunning

SOCKET_NAME = "control.sock"
F = TypeVar("F", bound=Callable[..., Any])


def _default_data_dir() -> Path:
    from softswitch.cli.main import default_data_dir  # main imports this module

    return default_data_dir()


def data_dir_option(function: F) -> F:
    return click.option(
        "--data-dir", type=click.Path(file_okay=False, path_type=Path),
        default=_default_data_dir, show_default="~/.local/share/softswitch",
        help="The running switch's data directory (its control socket is there).",
    )(function)


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print the result as JSON, for scripts.")(function)


def fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


@contextmanager
def connected(data_dir: Path) -> Iterator[ControlClient]:
    """A client on the switch's socket; plain messages and exit code 1 on any failure."""
    try:
        with ControlClient(data_dir / SOCKET_NAME) as client:
            yield client
    except NotRunning as error:
        fail(str(error))
    except CommandFailed as error:
        lines = [f"error ({error.code}): {error.message}"]
        lines += [f"  {detail}" for detail in error.details or ()]
        fail("\n".join(lines))
    except (ConnectionError, TimeoutError, OSError) as error:
        fail(f"lost the connection to softswitch: {error}")


def run(data_dir: Path, cmd: str, **args: Any) -> Any:
    with connected(data_dir) as client:
        return client.request(cmd, **args)


def print_json(result: Any) -> None:
    click.echo(json.dumps(result, indent=2, sort_keys=True))


def console() -> Console:
    return Console(highlight=False)
