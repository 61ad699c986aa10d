"""`softswitch erlang`: agents needed for a service-level target, now or from history."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from softswitch.cli.report import INTERVALS, data_options, db_path, period, period_options
from softswitch.reports.source import NoDatabase, read_events
from softswitch.reports.staffing import Target, history, plan, table


def _target(ctx: click.Context, param: click.Parameter, value: str) -> Target:
    try:
        return Target.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _secs(value: float | None) -> str:
    return "-" if value is None else ("inf" if value == float("inf") else f"{value:.1f}")


def _finite(value: float | None) -> float | None:
    return None if value is None or value == float("inf") else round(value, 4)


@click.command("erlang")
@click.option("--rate", type=click.FloatRange(min=0), help="Calls per hour.")
@click.option("--aht", type=click.FloatRange(min=0, min_open=True),
              help="Average handle time, seconds.")
@click.option("--target", default="80/20", show_default=True, callback=_target,
              help="Service level: percent answered / within seconds.")
@click.option("--patience", type=click.FloatRange(min=0, min_open=True),
              help="Mean caller patience, seconds: use Erlang A (callers abandon).")
@click.option("--max-occupancy", type=click.FloatRange(0, 1, min_open=True), default=1.0,
              show_default=True, help="Never plan agents busier than this.")
@click.option("--from-history", is_flag=True,
              help="Take rate, handle time and patience per interval from stored events.")
@data_options
@period_options
@click.option("--interval", type=click.Choice([k for k in INTERVALS if k != "none"]),
              default="1h", show_default=True, help="With --from-history.")
@click.option("--queue", help="With --from-history: only this queue's calls.")
@click.option("--no-patience", is_flag=True,
              help="With --from-history: Erlang C even where abandons were measured.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def erlang(rate: float | None, aht: float | None, target: Target, patience: float | None,
           max_occupancy: float, from_history: bool, data_dir: Path, db_file: Path | None,
           start_text: str | None, end_text: str | None, interval: str, queue: str | None,
           no_patience: bool, as_json: bool) -> None:
    """Agents needed for a target (Erlang C, or Erlang A with --patience)."""
    if from_history:
        _from_history(target, max_occupancy, data_dir, db_file, start_text, end_text,
                      interval, queue, no_patience, aht, as_json)
        return
    if rate is None or aht is None:
        raise click.UsageError("give --rate and --aht, or --from-history")
    per_second = rate / 3600
    try:
        n, rows = table(per_second, aht, target, patience, max_occupancy)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    model = "Erlang A" if patience is not None else "Erlang C"
    if as_json:
        click.echo(json.dumps({
            "model": model, "rate_per_hour": rate, "aht": aht,
            "load_erlangs": round(per_second * aht, 4), "patience": patience,
            "target": {"level": target.level, "seconds": target.seconds},
            "max_occupancy": max_occupancy, "agents_needed": n,
            "rows": [{"agents": r.agents, "service_level": round(r.service_level, 4),
                      "asa": _finite(r.asa), "occupancy": round(r.occupancy, 4),
                      "abandon_rate": _finite(r.abandon_rate)} for r in rows]}, indent=2))
        return
    out = Table(title=f"{model}: {rate:g} calls/h, AHT {aht:g} s "
                      f"({per_second * aht:.2f} Erlangs), target "
                      f"{100 * target.level:g}% in {target.seconds:g} s")
    for column in ("agents", "service level", "ASA s", "occupancy") + \
            (("abandoned",) if patience is not None else ()):
        out.add_column(column, justify="right")
    for r in rows:
        style = "bold green" if r.agents == n else None
        cells = [str(r.agents), _pct(r.service_level), _secs(r.asa), _pct(r.occupancy)]
        if patience is not None:
            cells.append(_pct(r.abandon_rate))
        out.add_row(*cells, style=style)
    console = Console(width=120)
    console.print(out)
    console.print(f"agents needed: {n}")


def _from_history(target: Target, max_occupancy: float, data_dir: Path,
                  db_file: Path | None, start_text: str | None, end_text: str | None,
                  interval: str, queue: str | None, no_patience: bool,
                  aht: float | None, as_json: bool) -> None:
    start, end = period(start_text, end_text)
    seconds = INTERVALS[interval]
    assert seconds is not None
    try:
        events = read_events(db_path(data_dir, db_file), start, end)
    except NoDatabase as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    plans = plan(history(events, start, end, seconds, queue), target, max_occupancy,
                 fallback_aht=aht, use_patience=not no_patience)
    rows: list[dict[str, Any]] = []
    for p in plans:
        load = p.load
        rows.append({
            "interval": datetime.fromtimestamp(load.start).isoformat(timespec="minutes"),
            "offered": load.offered, "rate_per_hour": round(load.rate * 3600, 4),
            "aht": round(p.aht, 2), "abandoned": load.abandoned,
            "patience": _finite(load.patience), "agents_needed": p.agents,
            "model": None if p.row is None else
            ("Erlang A" if p.row.abandon_rate is not None else "Erlang C"),
            "service_level": None if p.row is None else round(p.row.service_level, 4),
            "asa": None if p.row is None else _finite(p.row.asa),
            "occupancy": None if p.row is None else round(p.row.occupancy, 4)})
    if as_json:
        click.echo(json.dumps({"target": {"level": target.level, "seconds": target.seconds},
                               "queue": queue, "intervals": rows}, indent=2))
        return
    out = Table(title=f"Staffing from history, target {100 * target.level:g}% in "
                      f"{target.seconds:g} s")
    for column in ("interval", "offered", "calls/h", "AHT s", "abandoned", "patience s",
                   "model", "agents", "service level", "ASA s", "occupancy"):
        out.add_column(column, justify="left" if column in ("interval", "model")
                       else "right")
    for r in rows:
        out.add_row(r["interval"], str(r["offered"]), f"{r['rate_per_hour']:g}",
                    _secs(r["aht"] or None), str(r["abandoned"]), _secs(r["patience"]),
                    r["model"] or "-", str(r["agents_needed"]), _pct(r["service_level"]),
                    _secs(r["asa"]), _pct(r["occupancy"]))
    Console(width=160).print(out)
