"""A report as plain rows (lists of dicts) for JSON, CSV and tables.

Ratios are fractions (0.8, not 80); times are seconds; a figure with no denominator (no
calls) is None, printed as an empty cell. Intervals are given as local ISO times.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from softswitch.reports.kpi import DEFINITIONS, AgentFigures, QueueFigures, Report

SECTIONS = ("queues", "agents", "status")


def local_time(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts).isoformat(timespec="minutes")


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _avg(total: float, count: int) -> float | None:
    return total / count if count else None


def queue_row(q: QueueFigures) -> dict[str, Any]:
    return {
        "queue": q.queue, "interval": local_time(q.interval),
        "offered": q.offered, "answered": q.answered, "answered_in_sl": q.answered_in_sl,
        "abandoned": q.abandoned, "short_abandoned": q.short_abandoned,
        "overflowed": q.overflowed, "service_level": _round(q.service_level),
        "abandon_rate": _round(q.abandon_rate), "asa": _round(q.asa, 2),
        "aht": _round(q.aht, 2), "avg_talk": _round(_avg(q.talk, q.handled), 2),
        "avg_hold": _round(_avg(q.hold, q.handled), 2),
        "avg_wrap": _round(_avg(q.wrap, q.handled), 2), "handled": q.handled,
        "longest_wait": round(q.longest_wait, 2), "transferred": q.transferred,
        "transfer_rate": _round(q.transfer_rate),
        "callbacks_requested": q.callbacks_requested, "callbacks_dialed": q.callbacks_dialed,
        "callbacks_answered": q.callbacks_answered, "callbacks_failed": q.callbacks_failed,
        "satisfaction": _round(q.satisfaction, 3),
        "satisfaction_counts": {str(k): v for k, v in sorted(q.scores.items())},
    }


def agent_row(a: AgentFigures) -> dict[str, Any]:
    return {
        "agent": a.agent, "interval": local_time(a.interval),
        "answered": a.answered, "handled": a.handled, "aht": _round(a.aht, 2),
        "avg_talk": _round(_avg(a.talk, a.handled), 2),
        "avg_hold": _round(_avg(a.hold, a.handled), 2),
        "avg_wrap": _round(_avg(a.wrap, a.handled), 2),
        "transferred": a.transferred, "no_answers": a.no_answers, "rejected": a.rejected,
        "logged_in": round(a.logged_in, 2), "handle_time": round(a.handle_time, 2),
        "available_time": round(a.available_time, 2),
        "occupancy": _round(a.occupancy), "utilisation": _round(a.utilisation),
        "satisfaction": _round(a.satisfaction, 3),
        "satisfaction_counts": {str(k): v for k, v in sorted(a.scores.items())},
        "mos": _round(a.mos, 3), "mos_calls": a.mos_count,
    }


def status_rows(a: AgentFigures) -> list[dict[str, Any]]:
    rows = []
    for key, seconds in sorted(a.status_time.items()):
        status, _, reason = key.partition(":")
        rows.append({"agent": a.agent, "interval": local_time(a.interval), "status": status,
                     "reason": reason, "seconds": round(seconds, 2)})
    for state, seconds in sorted(a.state_time.items()):
        rows.append({"agent": a.agent, "interval": local_time(a.interval),
                     "status": f"state:{state}", "reason": "", "seconds": round(seconds, 2)})
    return rows


def sections(report: Report) -> dict[str, list[dict[str, Any]]]:
    return {
        "queues": [queue_row(q) for q in report.queues],
        "agents": [agent_row(a) for a in report.agents],
        "status": [row for a in report.agents for row in status_rows(a)],
    }


def to_json(report: Report, only: Iterable[str] = SECTIONS) -> str:
    o = report.options
    body: dict[str, Any] = {
        "period": {"from": local_time(o.start), "to": local_time(o.end),
                   "start_ts": o.start, "end_ts": o.end,
                   "interval_seconds": o.interval, "queue": o.queue, "agent": o.agent,
                   "sl_seconds": o.sl_seconds, "short_abandon_seconds": o.short_abandon},
        "definitions": DEFINITIONS,
    }
    all_sections = sections(report)
    for name in only:
        body[name] = all_sections[name]
    return json.dumps(body, indent=2)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return " ".join(f"{k}:{v}" for k, v in value.items())
    return str(value)


def to_csv(report: Report, only: Iterable[str] = SECTIONS) -> str:
    """One CSV table per section, separated by a blank line (one section: plain CSV)."""
    out = io.StringIO()
    all_sections = sections(report)
    for i, name in enumerate(only):
        rows = all_sections[name]
        if i:
            out.write("\n")
        columns = list(rows[0]) if rows else []
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns or [name])
        for row in rows:
            writer.writerow([cell(row[c]) for c in columns])
    return out.getvalue()
