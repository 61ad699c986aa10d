"""The operators' "done when", end to end: a fresh data directory, `softswitch serve` with
the first-start configuration, an agent logged in from the command line while a SIPp UAS
holds their phone, the wallboard showing them available, a SIPp caller through the demo
DID 5000 (RFC 4733 digits: English, support) reaching them, their state going ringing,
on a call, wrap-up, and `softswitch report` for the day agreeing with the events."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

from tests.integration.call_tools import sipp_callee
from tests.integration.sipp import run_sipp
from tests.integration.switch_process import USERS, SwitchProcess, free_port

pytestmark = pytest.mark.timeout(150)

AGENT, EXTENSION, QUEUE = "a1002", "1002", "support"


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "softswitch.cli.main", *args,
                           "--data-dir", str(data)], capture_output=True, text=True,
                          timeout=30, env=dict(os.environ, COLUMNS="160"))


def serve_fresh(data: Path, port: int) -> subprocess.Popen[str]:
    low = 20000 + 2 * random.randrange(0, 4500)
    env = dict(os.environ, PYTHONUNBUFFERED="1", SOFTSWITCH_RTP_PORTS=f"{low}-{low + 999}")
    log = open(data.parent / "switch.log", "w")  # noqa: SIM115 - the child keeps it
    process = subprocess.Popen(
        [sys.executable, "-m", "softswitch.cli.main", "serve", "--data-dir", str(data),
         "--listen", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=log, text=True,
        env=env)
    assert process.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError((data.parent / "switch.log").read_text())
        if line.strip() == "softswitch ready":
            return process
    raise RuntimeError("the switch did not start")


def wallboard_row(data: Path) -> dict[str, int]:
    """The support queue's counts on one `softswitch wallboard --once` frame."""
    board = cli(data, "wallboard", "--once", "--width", "160")
    assert board.returncode == 0, board.stderr
    lines = board.stdout.splitlines()
    header = next(x for x in lines if "queue" in x and "waiting" in x)
    row = next(x for x in lines if x.strip("│ ").startswith(QUEUE))
    names = [c.strip() for c in header.strip("┃").split("┃")]
    cells = [c.strip() for c in row.strip("│").split("│")]
    return {name: int(cell) for name, cell in zip(names, cells, strict=True)
            if cell.isdigit()}


def watch_board(data: Path, seen: set[str], stop: threading.Event) -> None:
    while not stop.is_set():
        row = wallboard_row(data)
        seen.update(name for name in ("ringing", "on call", "wrap-up") if row.get(name))


def agent_states(data: Path) -> list[str]:
    conn = sqlite3.connect(data / "softswitch.db")
    try:
        rows = conn.execute("SELECT data FROM events WHERE kind = 'agent.state' AND agent = ? "
                            "ORDER BY seq", (AGENT,)).fetchall()
    finally:
        conn.close()
    return [json.loads(row[0])["to"] for row in rows]


def events(data: Path) -> list[tuple[str, str | None, str | None, dict]]:
    conn = sqlite3.connect(data / "softswitch.db")
    try:
        rows = conn.execute("SELECT kind, call_id, queue, data FROM events ORDER BY seq")
        return [(k, c, q, json.loads(d)) for k, c, q, d in rows]
    finally:
        conn.close()


def wait_for(check, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


def test_fresh_install_agent_goes_available_ringing_on_call_wrap_up_and_report_agrees(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    port = free_port()
    process = serve_fresh(data, port)
    switch = SwitchProcess(data, port)
    try:
        users = {u["extension"]: u["password"]
                 for u in tomllib.loads((data / "softswitch.toml").read_text())["users"]}
        for extension in ("1001", EXTENSION):
            monkeypatch.setitem(USERS, extension, users[extension])
        with sipp_callee(switch, tmp_path, "center_agent_hangs_up.xml",
                         extension=EXTENSION) as phone:
            login = cli(data, "agent", "login", AGENT)
            assert login.returncode == 0, login.stdout + login.stderr
            assert wallboard_row(data)["available"] == 1
            seen: set[str] = set()
            stop = threading.Event()
            watcher = threading.Thread(target=watch_board, args=(data, seen, stop))
            watcher.start()
            try:
                caller = run_sipp("center_caller_waits_bye.xml", port, tmp_path,
                                  service="5000", user="1001", password=users["1001"],
                                  timeout=60)
                assert caller.returncode == 0, caller.explain()
                phone.wait(timeout=15)
                assert phone.returncode == 0
                wait_for(lambda: "wrap-up" in seen, timeout=8)
            finally:
                stop.set()
                watcher.join()
            # the agent talked 3 s and wraps up for 10 s: the board saw both
            assert {"on call", "wrap-up"} <= seen, seen
        states = wait_for(lambda: "wrap_up" in agent_states(data) and agent_states(data))
        assert states[:3] == ["reserved", "ringing", "on_call"] or \
            states[:2] == ["ringing", "on_call"], states
        assert "wrap_up" in states and states.index("on_call") < states.index("wrap_up")
        status = json.loads(cli(data, "agent", "status", AGENT, "--json").stdout)
        assert status["state"] in ("wrap_up", "idle"), status
        # the report for today, against the events counted here by hand
        log = events(data)
        offered = [c for k, c, q, _ in log if k == "call.enqueued" and q == QUEUE]
        answered = [(c, d) for k, c, q, d in log if k == "call.answered" and q == QUEUE]
        assert len(offered) == 1 and len(answered) == 1, log
        report = cli(data, "report", "--queue", QUEUE, "--format", "json")
        assert report.returncode == 0, report.stdout + report.stderr
        figures = json.loads(report.stdout)
        text = json.dumps(figures)
        assert '"offered": 1' in text and '"answered": 1' in text, text
        assert '"abandoned": 0' in text, text
    finally:
        process.terminate()
        process.wait(10)
