"""`softswitch report`: call-center figures from the stored events, read-only."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from softswitch.reports.kpi import DEFINITIONS, ReportOptions, compute
from softswitch.reports.rows import SECTIONS, cell, sections, to_csv, to_json
from softswitch.reports.source import NoDatabase, database_path, read_events

INTERVALS = {"15m": 900.0, "30m": 1800.0, "1h": 3600.0, "none": None}


def _default_data_dir() -> Path:
    from softswitch.cli.main import default_data_dir

    return default_data_dir()


def parse_when(text: str) -> datetime:
    """A local date (2024-03-04) or date and time (2024-03-04T09:30 or '2024-03-04 09:30')."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM)") from None


def period(start_text: str | None, end_text: str | None,
           today: datetime | None = None) -> tuple[float, float]:
    """[from, to) as epoch seconds; defaults: today, and one day after `from`."""
    if start_text is None:
        base = today or datetime.now()
        start = base.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start = parse_when(start_text)
    end = parse_when(end_text) if end_text is not None else start + timedelta(days=1)
    if end <= start:
        raise click.BadParameter(f"--to ({end}) must be after --from ({start})")
    return start.timestamp(), end.timestamp()


def data_options(func: Any) -> Any:
    """--data-dir and --db, shared by report, erlang --from-history and simulate --replay."""
    func = click.option("--db", "db_file", type=click.Path(dir_okay=False, path_type=Path),
                        help="The SQLite file (default: DATA_DIR/softswitch.db).")(func)
    return click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                        default=_default_data_dir, show_default="~/.local/share/softswitch",
                        help="The switch's data directory.")(func)


def period_options(func: Any) -> Any:
    func = click.option("--to", "end_text", metavar="DATE",
                        help="End of the period, exclusive (default: a day after --from).")(
        func)
    return click.option("--from", "start_text", metavar="DATE",
                        help="Start of the period: YYYY-MM-DD or YYYY-MM-DDTHH:MM, local "
                             "time (default: today).")(func)


def db_path(data_dir: Path, db_file: Path | None) -> Path:
    return db_file if db_file is not None else database_path(data_dir)


PERCENT = {"service_level", "abandon_rate", "transfer_rate", "occupancy", "utilisation"}
TABLE_COLUMNS = {
    "queues": ["queue", "interval", "offered", "answered", "abandoned", "short_abandoned",
               "overflowed", "service_level", "abandon_rate", "asa", "aht", "longest_wait",
               "transfer_rate", "callbacks_requested", "callbacks_answered", "satisfaction"],
    "agents": ["agent", "interval", "answered", "handled", "aht", "avg_wrap", "transferred",
               "no_answers", "logged_in", "occupancy", "utilisation", "satisfaction",
               "mos"],
    "status": ["agent", "interval", "status", "reason", "seconds"],
}


def _show(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column in PERCENT:
        return f"{100 * value:.1f}%"
    return cell(value)


def print_tables(console: Console, report_sections: dict[str, list[dict[str, Any]]],
                 only: tuple[str, ...], title: str) -> None:
    for name in only:
        rows = report_sections[name]
        table = Table(title=f"{title}: {name}")
        columns = TABLE_COLUMNS[name]
        if not any(row["interval"] for row in rows):
            columns = [c for c in columns if c != "interval"]
        for column in columns:
            table.add_column(column.replace("_", " "),
                             justify="left" if column in ("queue", "agent", "interval",
                                                          "status", "reason") else "right")
        for row in rows:
            table.add_row(*(_show(c, row[c]) for c in columns))
        console.print(table)
    console.print("[dim]" + "\n".join(f"{k}: {v}" for k, v in DEFINITIONS.items()
                                      if k in ("service_level", "abandon_rate", "aht",
                                               "occupancy", "utilisation", "interval"))
                  + "[/dim]")


@click.command("report")
@data_options
@period_options
@click.option("--queue", help="Only this queue.")
@click.option("--agent", help="Only this agent.")
@click.option("--interval", type=click.Choice(list(INTERVALS)), default="none",
              show_default=True, help="One row per interval of this length.")
@click.option("--sl-seconds", type=click.FloatRange(min=0), default=20.0, show_default=True,
              help="Service level: answered within this many seconds.")
@click.option("--short-abandon", type=click.FloatRange(min=0), default=5.0,
              show_default=True, help="Abandons before this many seconds are counted apart.")
@click.option("--section", "section_names", multiple=True, type=click.Choice(SECTIONS),
              help="Only these sections (repeatable; default: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True)
def report(data_dir: Path, db_file: Path | None, start_text: str | None,
           end_text: str | None, queue: str | None, agent: str | None, interval: str,
           sl_seconds: float, short_abandon: float, section_names: tuple[str, ...],
           fmt: str) -> None:
    """Service level, waits, handle times, abandons and agent figures for a period."""
    start, end = period(start_text, end_text)
    options = ReportOptions(start=start, end=end, sl_seconds=sl_seconds,
                            short_abandon=short_abandon, interval=INTERVALS[interval],
                            queue=queue, agent=agent)
    try:
        events = read_events(db_path(data_dir, db_file), start, end)
    except NoDatabase as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    result = compute(events, options)
    only = section_names or SECTIONS
    if fmt == "json":
        click.echo(to_json(result, only))
    elif fmt == "csv":
        click.echo(to_csv(result, only), nl=False)
    else:
        title = f"{datetime.fromtimestamp(start):%Y-%m-%d %H:%M} to " \
                f"{datetime.fromtimestamp(end):%Y-%m-%d %H:%M}"
        print_tables(Console(width=200), sections(result), only, title)
