"""Busy-lamp fields over loopback: a SIPp watcher subscribed to an extension's dialog
state sees a real call between two SIPp phones ring, answer and end."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

from tests.integration.call_tools import call_switch, sipp_callee
from tests.integration.sipp import SCENARIOS, require_sipp, run_sipp
from tests.integration.switch_process import USERS, SwitchProcess, free_port


def subscriptions_started(switch: SwitchProcess) -> int:
    conn = sqlite3.connect(switch.data_dir / "softswitch.db")
    try:
        return conn.execute("SELECT count(*) FROM events WHERE kind = "
                            "'subscription.started'").fetchone()[0]
    finally:
        conn.close()


def test_watcher_sees_the_line_ring_answer_and_end(tmp_path: Path) -> None:
    with call_switch(tmp_path) as switch:
        errors = tmp_path / "watcher-errors.log"
        watcher = subprocess.Popen(
            [require_sipp(), "-sf", str(SCENARIOS / "blf_watcher.xml"),
             f"127.0.0.1:{switch.port}", "-i", "127.0.0.1", "-p", str(free_port()),
             "-s", "1002", "-au", "1003", "-ap", USERS["1003"], "-m", "1", "-nostdin",
             "-cp", str(free_port()), "-timeout", "30s", "-timeout_error", "-trace_err",
             "-error_file", str(errors)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        try:
            deadline = time.monotonic() + 10
            while not subscriptions_started(switch) and \
                    time.monotonic() < deadline and watcher.poll() is None:
                time.sleep(0.1)
            with sipp_callee(switch, tmp_path, "call_callee.xml", extra=("-rtp_echo",)):
                result = run_sipp("call_caller.xml", switch.port, tmp_path, service="1002",
                                  user="1001", password=USERS["1001"], timeout=30,
                                  extra=("-mp", str(free_port()), "-d", "500"))
                assert result.returncode == 0, result.explain()
            out, err = watcher.communicate(timeout=20)
        finally:
            if watcher.poll() is None:
                watcher.kill()
                watcher.communicate()
        log = errors.read_text(errors="replace") if errors.exists() else ""
        assert watcher.returncode == 0, f"{out[-2000:]}\n{err[-2000:]}\n{log[-3000:]}"
