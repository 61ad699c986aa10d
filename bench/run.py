"""Run the whole benchmark suite: one command, one table, one JSON file.

    python bench/run.py [--quick] [--only NAME ...] [--json bench/results/latest.json]

Every benchmark starts what it measures itself (the switch on loopback where it needs
one), bounds its load in count and time, and stays on loopback. Where a peer runs on this
machine it is measured in the same run and the figure is given as a ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench.machine import describe

Row = tuple[str, str, str, str]  # figure, value, peer value, ratio


@dataclass(frozen=True)
class Benchmark:
    name: str
    run: Callable[[bool], dict[str, Any]]
    rows: Callable[[dict[str, Any]], list[Row]]


def _sip_parse(quick: bool) -> dict[str, Any]:
    from bench import sip_parse
    return sip_parse.run(0.5 if quick else 2.0)


def _sip_parse_rows(report: dict[str, Any]) -> list[Row]:
    rows = []
    for r in report["results"]:
        peer = r.get("sippy_per_second")
        ratio = f"{r['per_second'] / peer:.2f}x sippy" if peer else ""
        rows.append((f"parse {r['message']} (msgs/s)", f"{r['per_second']:,}",
                     f"{peer:,}" if peer else "", ratio))
    return rows


def _register(quick: bool) -> dict[str, Any]:
    from bench import register_rate
    return register_rate.run(users=200 if quick else 500, step_seconds=2.0 if quick else 5.0)


def _register_rows(report: dict[str, Any]) -> list[Row]:
    return [("REGISTER with digest auth, no failure (registrations/s)",
             f"{report['achieved_per_second']:,}", "", "")]


def _media(quick: bool) -> dict[str, Any]:
    from bench import media_engine
    return media_engine.run(1.0 if quick else 2.0)


def _media_rows(report: dict[str, Any]) -> list[Row]:
    rows = []
    for name, r in report["workloads"].items():
        cmp_ = r["versus_per_channel_loop"]
        rows.append((f"media {name}: channels on one core, 99.9% ticks on time",
                     f"{r['max_channels']:,}", "", ""))
        rows.append((f"media {name}: ms per tick at {cmp_['channels']} channels",
                     f"{cmp_['engine_ms_per_tick']:.2f}",
                     f"{cmp_['loop_ms_per_tick']:.2f}",
                     f"{cmp_['speedup']:.1f}x per-channel audioop loop"))
    return rows


def _acd(quick: bool) -> dict[str, Any]:
    from bench import acd_routing
    return acd_routing.run(1.0 if quick else 5.0)


def _acd_rows(report: dict[str, Any]) -> list[Row]:
    size = f"{report['agents']} agents, {report['queues']} queues, " \
           f"{report['waiting_callers']} waiting"
    return [(f"routing: agent frees, caller picked ({size}) per s",
             f"{report['agent_free_per_second']:,.0f}", "", ""),
            ("routing: agent-free decision p99 (ms)", f"{report['agent_free_p99_ms']:.3f}",
             "", ""),
            ("routing: caller arrives, agent search per s",
             f"{report['arrival_per_second']:,.0f}", "", ""),
            ("routing: arrival decision p99 (ms)", f"{report['arrival_p99_ms']:.3f}", "", "")]


def _call_rate(quick: bool) -> dict[str, Any]:
    from bench import call_rate
    return call_rate.run(quick)


def _call_rate_rows(report: dict[str, Any]) -> list[Row]:
    ours, peer = report["summary"]["softswitch"], report["summary"]["sippy"]
    ratio = f"{report['ratio']:.2f}x sippy (it: no auth, no media)" if report["ratio"] else ""
    return [("calls set up/s, auth + 2 s RTP + BYE, no failure", f"{ours['rate']:,}",
             f"{peer['rate']:,}", ratio),
            ("CPU ms per call at that rate", f"{ours['cpu_ms_per_call'] or 0:.2f}",
             f"{peer['cpu_ms_per_call'] or 0:.2f}", "")]


def _concurrent(quick: bool) -> dict[str, Any]:
    from bench import concurrent_calls
    return concurrent_calls.run(quick)


def _concurrent_rows(report: dict[str, Any]) -> list[Row]:
    ratio = f"{report['ratio']:.2f}x sippy (it relays signalling only)" if report["ratio"] \
        else ""
    return [("concurrent calls, RTP both ways, <1% loss", f"{report['softswitch']:,}",
             f"{report['sippy']:,}", ratio)]


def _center_rate(quick: bool) -> dict[str, Any]:
    from bench import center_rate
    return center_rate.run(quick)


def _center_rate_rows(report: dict[str, Any]) -> list[Row]:
    def spread(key: str) -> str:
        figures = report[key]
        return f"{figures['p50']:.1f} / {figures['p99']:.1f}" if figures else "-"
    return [(f"calls/s through IVR, queue and agent, no failure ({report['agents']} agents)",
             f"{report['rate']:,}", "", ""),
            ("  CPU ms per call at that rate", f"{report['cpu_ms_per_call'] or 0:.2f}", "", ""),
            ("  routing: enqueued to agent rung p50 / p99 (ms)", spread("routing_ms"), "", ""),
            ("  menu key to bridged p50 / p99 (ms)", spread("key_to_bridge_ms"), "", ""),
            ("  INVITE to bridged p50 / p99 (ms, 440 ms scripted)",
             spread("invite_to_bridge_ms"), "", "")]


def _center_concurrent(quick: bool) -> dict[str, Any]:
    from bench import center_rate
    return center_rate.run_concurrent(quick)


def _center_concurrent_rows(report: dict[str, Any]) -> list[Row]:
    return [("callers talking to agents at once via IVR + queue, RTP, <1% short",
             f"{report['concurrent']:,}", "", "")]


BENCHMARKS = [
    Benchmark("sip_parse", _sip_parse, _sip_parse_rows),
    Benchmark("register_rate", _register, _register_rows),
    Benchmark("media_engine", _media, _media_rows),
    Benchmark("acd_routing", _acd, _acd_rows),
    Benchmark("call_rate", _call_rate, _call_rate_rows),
    Benchmark("concurrent_calls", _concurrent, _concurrent_rows),
    Benchmark("center_rate", _center_rate, _center_rate_rows),
    Benchmark("center_concurrent", _center_concurrent, _center_concurrent_rows),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, noisier figures")
    parser.add_argument("--only", nargs="*", choices=[b.name for b in BENCHMARKS])
    parser.add_argument("--json", type=Path, default=Path("bench/results/latest.json"))
    args = parser.parse_args()
    # a file or a pipe gets the full table too, not one squeezed to 80 columns
    console = Console() if sys.stdout.isatty() else Console(width=150)
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    reports: dict[str, Any] = {}
    table = Table(title="softswitch benchmarks")
    for column in ("benchmark", "figure", "softswitch", "peer", "ratio"):
        table.add_column(column, justify="right" if column in ("softswitch", "peer") else "left")
    started = time.time()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("benchmarks", total=len(chosen))
        for bench in chosen:
            progress.update(task, description=f"running {bench.name}")
            try:
                report = bench.run(args.quick)
            except Exception as error:  # one broken benchmark must not hide the others
                reports[bench.name] = {"error": repr(error)}
                table.add_row(bench.name, "failed", repr(error)[:60], "", "")
            else:
                reports[bench.name] = report
                for figure, value, peer, ratio in bench.rows(report):
                    table.add_row(bench.name, figure, value, peer, ratio)
            progress.advance(task)
    console.print(table)
    machine = describe()
    console.print(f"{machine['cpu']} x{machine['cores']}, {machine['platform']}, "
                  f"Python {machine['python']}; command: {' '.join(sys.argv)}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine, "command": " ".join(sys.argv),
                                     "started": started, "quick": args.quick,
                                     "benchmarks": reports}, indent=2, default=str))
    console.print(f"written to {args.json}")


if __name__ == "__main__":
    main()
