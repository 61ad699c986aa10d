"""Helpers for call tests against a running switch: registered SIPp callees, the
switch's counters (SIGUSR1 -> status.json) and its CDRs (read from its SQLite file)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.integration.sipp import SCENARIOS, require_sipp, run_sipp
from tests.integration.switch_process import (
    USERS,
    SwitchProcess,
    free_port,
    write_config,
)


@contextmanager
def call_switch(tmp_path: Path, ring_timeout: float = 30.0) -> Iterator[SwitchProcess]:
    """A `softswitch serve` with its own RTP port range and the given ring timeout."""
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    write_config(data / "softswitch.toml", port)
    low = 20000 + 2 * random.randrange(0, 4500)
    saved = {k: os.environ.get(k) for k in ("SOFTSWITCH_RING_TIMEOUT", "SOFTSWITCH_RTP_PORTS")}
    os.environ["SOFTSWITCH_RING_TIMEOUT"] = str(ring_timeout)
    os.environ["SOFTSWITCH_RTP_PORTS"] = f"{low}-{low + 999}"
    proc = SwitchProcess(data, port)
    try:
        proc.start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        yield proc
        assert proc.alive(), f"the switch died during the test:\n{proc.log()}"
    finally:
        proc.stop()


@contextmanager
def sipp_callee(switch: SwitchProcess, work: Path, scenario: str, *, extension: str = "1002",
                calls: int = 1, extra: tuple[str, ...] = ()) -> Iterator[subprocess.Popen[str]]:
    """Register `extension` from a port, then run a SIPp UAS scenario on that port."""
    port = free_port()
    result = run_sipp("register.xml", switch.port, work, service=extension, user=extension,
                      password=USERS[extension], local_port=port)
    assert result.returncode == 0, result.explain()
    cmd = [require_sipp(), "-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1",
           "-p", str(port), "-m", str(calls), "-nostdin", "-cp", str(free_port()),
           "-mp", str(free_port()), "-timeout", "60s", "-trace_err",
           "-error_file", str(work / f"callee-{port}.log"), *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=work)
    time.sleep(0.2)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def counters(switch: SwitchProcess, timeout: float = 5.0) -> dict[str, int]:
    """Ask the running switch for its counters (SIGUSR1) and read what it wrote."""
    path = switch.data_dir / "status.json"
    before = json.loads(path.read_text())["seq"] if path.exists() else 0
    assert switch.process is not None
    os.kill(switch.process.pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            status = json.loads(path.read_text())
            if status["seq"] > before:
                return dict(status["counters"])
        time.sleep(0.02)
    raise AssertionError("the switch wrote no status")


def wait_for_idle(switch: SwitchProcess, timeout: float = 15.0,
                  keys: tuple[str, ...] = ("calls", "legs", "dialogs", "rtp_ports_in_use",
                                           "media_legs")) -> dict[str, int]:
    """Poll until nothing of a call is left (transactions may linger for timer K/J)."""
    deadline = time.monotonic() + timeout
    while True:
        now = counters(switch)
        if all(now[key] == 0 for key in keys) or time.monotonic() > deadline:
            return now
        time.sleep(0.1)


def cdrs(switch: SwitchProcess, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The call records, once at least `count` of them are committed."""
    path = switch.data_dir / "softswitch.db"
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        conn = sqlite3.connect(path)
        conn.row_factory = sqlite3.Row
        try:
            rows = [dict(r) for r in conn.execute("SELECT * FROM cdrs ORDER BY id")]
        except sqlite3.OperationalError:
            rows = []
        finally:
            conn.close()
        if len(rows) >= count:
            for row in rows:
                row["legs"] = json.loads(row["legs"])
            return rows
        time.sleep(0.05)
    raise AssertionError(f"{len(rows)} call records, expected {count}")


def events(switch: SwitchProcess, call_id: str) -> list[str]:
    conn = sqlite3.connect(switch.data_dir / "softswitch.db")
    try:
        return [r[0] for r in conn.execute(
            "SELECT kind FROM events WHERE call_id = ? ORDER BY seq", (call_id,))]
    finally:
        conn.close()
