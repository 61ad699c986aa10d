"""`softswitch simulate`: what the service level would have been with other settings."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from softswitch.acd.strategies import STRATEGIES
from softswitch.cli.report import data_options, db_path, period, period_options
from softswitch.reports.erlang import asa, erlang_a, service_level
from softswitch.reports.kpi import ALL, QueueFigures, ReportOptions, compute
from softswitch.reports.simulate import Scenario, arrivals_from_events, simulate, synthetic
from softswitch.reports.source import NoDatabase, read_events


def _figures(q: QueueFigures, occupancy: float | None) -> dict[str, Any]:
    def r(value: float | None) -> float | None:
        return None if value is None else round(value, 4)
    return {"offered": q.offered, "answered": q.answered, "abandoned": q.abandoned,
            "short_abandoned": q.short_abandoned, "service_level": r(q.service_level),
            "asa": r(q.asa), "abandon_rate": r(q.abandon_rate),
            "longest_wait": round(q.longest_wait, 2), "aht": r(q.aht),
            "occupancy": r(occupancy)}


@click.command("simulate")
@click.option("--replay", is_flag=True, help="Replay the stored period's callers.")
@data_options
@period_options
@click.option("--rate", type=click.FloatRange(min=0, min_open=True),
              help="Synthetic load: calls per hour.")
@click.option("--aht", type=click.FloatRange(min=0, min_open=True),
              help="Synthetic load: mean talk time, seconds.")
@click.option("--patience", type=click.FloatRange(min=0, min_open=True),
              help="Synthetic load: mean caller patience, seconds (default: never hang up).")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True), default=8.0,
              show_default=True, help="Synthetic load: hours of arrivals.")
@click.option("--agents", type=click.IntRange(min=0),
              help="Agents logged in (replay default: those who logged in in the period).")
@click.option("--strategy", type=click.Choice(sorted(STRATEGIES)), default="longest-idle",
              show_default=True)
@click.option("--wrap-up", type=click.FloatRange(min=0),
              help="Wrap-up seconds after each call (replay default: as measured).")
@click.option("--answer-delay", type=click.FloatRange(min=0), default=0.0,
              show_default=True, help="Seconds from ring to answer.")
@click.option("--sl-seconds", type=click.FloatRange(min=0), default=20.0, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def simulate_command(replay: bool, data_dir: Path, db_file: Path | None,
                     start_text: str | None, end_text: str | None, rate: float | None,
                     aht: float | None, patience: float | None, hours: float,
                     agents: int | None, strategy: str, wrap_up: float | None,
                     answer_delay: float, sl_seconds: float, seed: int,
                     as_json: bool) -> None:
    """Run callers through the real ACD with other staffing, strategy or wrap-up."""
    before: dict[str, Any] | None = None
    theory: dict[str, Any] | None = None
    if replay:
        start, end = period(start_text, end_text)
        try:
            events = read_events(db_path(data_dir, db_file), start, end)
        except NoDatabase as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)
        history = compute(events, ReportOptions(start, end, sl_seconds=sl_seconds))
        total = next((q for q in history.queues if q.queue == ALL), QueueFigures(ALL, None))
        seen = [a for a in history.agents if a.agent != ALL and a.logged_in > 0]
        everyone = next((a for a in history.agents if a.agent == ALL), None)
        before = _figures(total, everyone.occupancy if everyone else None)
        arrivals = arrivals_from_events(events, start, end, seed)
        if agents is None:
            agents = len(seen)
        if wrap_up is None:
            wrap_up = total.wrap / total.handled if total.handled else 0.0
        duration, origin = end - start, start
    else:
        if rate is None or aht is None:
            raise click.UsageError("give --rate and --aht for a synthetic load, or --replay")
        if agents is None:
            raise click.UsageError("give --agents for a synthetic load")
        duration, origin = hours * 3600, 0.0
        arrivals = synthetic(rate / 3600, aht, duration, patience, seed=seed)
        wrap_up = wrap_up or 0.0
        per_second, handle = rate / 3600, aht + wrap_up
        if patience is None:
            theory = {"model": "Erlang C",
                      "service_level": round(service_level(per_second, handle, agents,
                                                           sl_seconds), 4),
                      "asa": round(min(asa(per_second, handle, agents), 1e12), 4)}
        else:
            a = erlang_a(per_second, handle, agents, patience, sl_seconds)
            theory = {"model": "Erlang A", "service_level": round(a.service_level, 4),
                      "asa": round(a.asa, 4), "abandon_rate": round(a.p_abandon, 4)}
    try:
        scenario = Scenario(agents=agents, strategy=strategy, wrap_up=wrap_up,
                            answer_delay=answer_delay, seed=seed)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    started = time.perf_counter()
    run = simulate(arrivals, scenario, duration, origin, sl_seconds=sl_seconds)
    elapsed = time.perf_counter() - started
    after = _figures(run.total, run.agents.occupancy)
    body = {"mode": "replay" if replay else "synthetic",
            "scenario": {"agents": agents, "strategy": strategy, "wrap_up": wrap_up,
                         "answer_delay": answer_delay, "seed": seed,
                         "sl_seconds": sl_seconds},
            "callers": len(arrivals), "simulated": after, "recorded": before,
            "theory": theory, "seconds": round(elapsed, 3)}
    if as_json:
        click.echo(json.dumps(body, indent=2))
        return
    table = Table(title=f"What-if: {agents} agents, {strategy}, wrap-up {wrap_up:g} s "
                        f"({len(arrivals)} callers, simulated in {elapsed:.2f} s)")
    table.add_column("figure")
    table.add_column("simulated", justify="right")
    if before is not None:
        table.add_column("recorded", justify="right")
    if theory is not None:
        table.add_column(theory["model"], justify="right")
    for key in ("offered", "answered", "abandoned", "service_level", "asa",
                "abandon_rate", "longest_wait", "occupancy"):
        cells = [key.replace("_", " "), _show(key, after[key])]
        if before is not None:
            cells.append(_show(key, before[key]))
        if theory is not None:
            cells.append(_show(key, theory.get(key)))
        table.add_row(*cells)
    Console(width=120).print(table)


def _show(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("service_level", "abandon_rate", "occupancy"):
        return f"{100 * value:.1f}%"
    return f"{value:g}" if isinstance(value, float) else str(value)
