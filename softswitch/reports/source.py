"""Where report events come from: the SQLite file read-only, or an open `Database`.

The report functions are pure; these are the thin readers in front of them. Agent events
are read from the beginning of the log (an agent's status at the start of the period is
the result of everything before it); call events from `start - lookback` (a caller who
arrived just before the period) to `end + lookback` (a call that arrived inside the
period and ended after it).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from pathlib import Path
from typing import Any

from softswitch.reports.kpi import AGENT_KINDS, CALL_KINDS
from softswitch.storage.events import Event

LOOKBACK = 6 * 3600.0


class NoDatabase(Exception):
    """The SQLite file is missing or is not a softswitch database."""


def database_path(data_dir: Path) -> Path:
    """The event database of a data directory (the storage default, `softswitch.db`)."""
    return data_dir / "softswitch.db"


def _rows_to_events(rows: list[tuple[Any, ...]]) -> list[Event]:
    events = []
    for seq, ts, kind, call_id, queue, agent, data in rows:
        try:
            fields = json.loads(data) if data else {}
        except ValueError:
            fields = {}
        events.append(Event(seq, ts, kind, call_id, queue, agent,
                            fields if isinstance(fields, dict) else {}))
    return events


def read_events(path: Path, start: float, end: float,
                call_kinds: Collection[str] = CALL_KINDS,
                agent_kinds: Collection[str] = AGENT_KINDS,
                lookback: float = LOOKBACK) -> list[Event]:
    """Events a report of [start, end) needs, from the file opened read-only."""
    if not path.is_file():
        raise NoDatabase(f"no database at {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise NoDatabase(f"cannot open {path}: {error}") from None
    try:
        columns = "seq, ts, kind, call_id, queue, agent, data"
        call_k, agent_k = list(call_kinds), list(agent_kinds)
        rows = conn.execute(
            f"SELECT {columns} FROM events WHERE kind IN ({','.join('?' * len(call_k))}) "
            "AND ts >= ? AND ts < ? ORDER BY seq",
            (*call_k, start - lookback, end + lookback)).fetchall()
        if agent_k:
            rows += conn.execute(
                f"SELECT {columns} FROM events WHERE kind IN "
                f"({','.join('?' * len(agent_k))}) AND ts < ? ORDER BY seq",
                (*agent_k, end)).fetchall()
    except sqlite3.Error as error:
        raise NoDatabase(f"{path} is not a softswitch database: {error}") from None
    finally:
        conn.close()
    return _rows_to_events(rows)


async def collect_events(db: Any, start: float, end: float,
                         lookback: float = LOOKBACK) -> list[Event]:
    """The same events from an open `storage.Database` (for the running switch)."""
    events = [e async for e in db.events.read(kinds=CALL_KINDS, start_ts=start - lookback,
                                              end_ts=end + lookback)]
    events += [e async for e in db.events.read(kinds=AGENT_KINDS, end_ts=end)]
    return events
