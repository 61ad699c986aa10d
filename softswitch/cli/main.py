"""The `softswitch` command: click commands with rich output."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from softswitch import __version__
from softswitch.cli.control_client import data_dir_option, json_option, print_json, run
from softswitch.config.model import Config
from softswitch.errors import ConfigError


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "softswitch"


@click.group()
@click.version_option(__version__, prog_name="softswitch")
def main() -> None:
    """A SIP/RTP softswitch with a built-in call-center ACD."""


@main.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: DATA_DIR/softswitch.toml, "
                   "written on first start).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              default=default_data_dir, show_default="~/.local/share/softswitch",
              help="Where the database, recordings and default configuration live.")
@click.option("--listen", "listen", multiple=True, metavar="SPEC",
              help="udp:HOST:PORT, tcp:HOST:PORT or HOST:PORT for both; repeatable; "
                   "overrides the file.")
@click.option("--log-level", default="info",
              type=click.Choice(["debug", "info", "warning", "error"]), show_default=True)
def serve(config_path: Path | None, data_dir: Path, listen: tuple[str, ...],
          log_level: str) -> None:
    """Run the switch until interrupted."""
    from softswitch.config import ensure_config, load_config, parse_listen_spec
    from softswitch.runtime.app import Switch

    logging.basicConfig(level=log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    console = Console(stderr=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    created = False
    if config_path is None:
        config_path, created = ensure_config(data_dir, secrets.SystemRandom())
    try:
        config = load_config(config_path)
    except ConfigError as error:
        console.print(f"[red]configuration error[/red]\n{error}")
        sys.exit(2)
    if listen:
        try:
            specs = [spec for text in listen for spec in parse_listen_spec(text)]
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--listen") from error
        config = config.with_listen(specs)
    if created:
        _print_new_users(console, config_path, config)
    try:
        asyncio.run(_serve(Switch(config, data_dir), console))
    except KeyboardInterrupt:
        pass
    except OSError as error:
        console.print(f"[red]cannot start[/red]: {error.strerror or error}"
                      f" (listening on {', '.join(str(s) for s in config.sip.listen)})")
        sys.exit(1)


def _print_new_users(console: Console, path: Path, config: Config) -> None:
    table = Table(title=f"Demo extensions written to {path} (shown once)")
    table.add_column("extension")
    table.add_column("password")
    table.add_column("voicemail PIN")
    table.add_column("name")
    for user in config.users:
        table.add_row(user.extension, user.password, user.voicemail_pin or "", user.name or "")
    console.print(table)
    for did in config.dids:
        console.print(f"Call {did.number}: {did.name or did.ivr or 'demo'}.")
    if config.agents:
        pairs = ", ".join(f"{a.id} at {a.extension}" for a in config.agents)
        console.print(f"Agents: {pairs}. From their phone: *45 log in, *47 pause, "
                      "*48 resume, *46 log out; or `softswitch agent login ID`.")


async def _serve(switch: object, console: Console) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await switch.start()  # type: ignore[attr-defined]
    for bound in switch.bound:  # type: ignore[attr-defined]
        console.print(f"listening on {bound.transport}:{bound.host}:{bound.port}")
    # a line that scripts and tests wait for
    print("softswitch ready", flush=True)
    try:
        await stop.wait()
    finally:
        await switch.stop()  # type: ignore[attr-defined]


@main.group()
def config() -> None:
    """Configuration files."""


@config.command("reload")
@data_dir_option
@json_option
def config_reload(data_dir: Path, as_json: bool) -> None:
    """Make the running switch re-read its configuration file; calls carry on.

    A file with errors is refused, with each error, and the running configuration kept.
    """
    result = run(data_dir, "config.reload")
    if as_json:
        print_json(result)
    else:
        click.echo("\n".join(["reloaded", *_changes(result)]))


def _changes(result: dict[str, object], prefix: str = "") -> list[str]:
    """What a reload reports, one line per non-empty item."""
    lines: list[str] = []
    for key, value in sorted(result.items()):
        if isinstance(value, dict):
            lines += _changes(value, f"{prefix}{key}.")
        elif value not in ([], None, 0, ""):
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            lines.append(f"  {prefix}{key}: {shown}")
    return lines


@config.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def config_check(path: Path) -> None:
    """Validate a configuration file without starting anything."""
    from softswitch.config import load_config

    try:
        cfg = load_config(path)
    except ConfigError as error:
        click.echo(str(error), err=True)
        sys.exit(2)
    except OSError as error:
        click.echo(f"{path}: {error.strerror}", err=True)
        sys.exit(2)
    click.echo(f"{path}: ok ({len(cfg.users)} users)")


main.add_command(__import__("softswitch.cli.report", fromlist=["report"]).report)
main.add_command(__import__("softswitch.cli.erlang", fromlist=["erlang"]).erlang)
main.add_command(__import__("softswitch.cli.simulate", fromlist=["x"]).simulate_command)
main.add_command(__import__("softswitch.cli.agent", fromlist=["agent"]).agent)
main.add_command(__import__("softswitch.cli.queue", fromlist=["queue"]).queue)
main.add_command(__import__("softswitch.cli.calls", fromlist=["calls"]).calls)
main.add_command(__import__("softswitch.cli.user", fromlist=["user"]).user)
main.add_command(__import__("softswitch.cli.wallboard", fromlist=["x"]).wallboard)
main.add_command(__import__("softswitch.cli.recording", fromlist=["x"]).recording)

if __name__ == "__main__":
    main()
