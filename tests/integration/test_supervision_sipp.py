"""Supervisors and recordings over real calls: a user who supervises no queue of the
agent is refused like an unknown number and the attempt is logged; a queue recording
"all" leaves a WAV as long as the talk, indexed in SQLite, and a recording.saved event."""

from __future__ import annotations

import json
import sqlite3
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from softswitch.control.client import ControlClient
from tests.integration.call_tools import sipp_callee
from tests.integration.sipp import run_sipp
from tests.integration.switch_process import USERS, SwitchProcess
from tests.integration.test_center_calls import CENTER, _events, _serve

pytestmark = pytest.mark.timeout(120)

SUPERVISED = CENTER.replace('name = "support"\n', 'name = "support"\nrecording = "all"\n'
                            'supervisors = ["1003"]\n')


@pytest.fixture
def center(tmp_path: Path) -> Iterator[SwitchProcess]:
    assert 'recording = "all"' in SUPERVISED
    yield from _serve(tmp_path, SUPERVISED)


def test_a_user_supervising_no_queue_of_the_agent_is_refused_like_an_unknown_number(
        center: SwitchProcess, tmp_path: Path) -> None:
    with ControlClient(center.data_dir / "control.sock") as control:
        control.request("agent.login", agent="bob")
    result = run_sipp("supervisor_refused.xml", center.port, tmp_path, service="*221002",
                      user="1001", password=USERS["1001"])
    assert result.returncode == 0, result.explain() + center.log()
    rows = _events(center, ("supervisor.refused",), {"supervisor.refused"})
    assert rows, center.log()
    data = json.loads(rows[0][3])
    assert data == {"feature": "listen", "supervisor": "1001", "target": "1002"}


def test_a_recorded_queue_leaves_a_wav_as_long_as_the_talk(center: SwitchProcess,
                                                           tmp_path: Path) -> None:
    with ControlClient(center.data_dir / "control.sock") as control:
        control.request("agent.login", agent="bob")
    # the agent answers and hangs up 3 s later; the caller then scores the survey
    with sipp_callee(center, tmp_path, "center_agent_hangs_up.xml", extension="1002") as agent:
        result = run_sipp("center_caller_waits_bye.xml", center.port, tmp_path,
                          service="5000", user="1001", password=USERS["1001"], timeout=40)
        assert result.returncode == 0, result.explain() + center.log()
        agent.wait(timeout=10)
        assert agent.returncode == 0
    rows = _events(center, ("call.answered", "recording.saved"), {"recording.saved"})
    saved = [r for r in rows if r[0] == "recording.saved"]
    assert saved, center.log()
    _kind, call_id, agent_id, raw = saved[0]
    data = json.loads(raw)
    assert agent_id == "bob"  # queue and agent are columns of the event log
    path = center.data_dir / data["path"]
    with wave.open(str(path)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert seconds == pytest.approx(data["seconds"], abs=0.05)
    assert 2.5 <= seconds <= 4.5, seconds  # the agent talked for 3 s
    conn = sqlite3.connect(center.data_dir / "softswitch.db")
    try:
        indexed = conn.execute("SELECT call_id, queue, agent, path FROM recordings").fetchall()
    finally:
        conn.close()
    assert indexed == [(call_id, "support", "bob", data["path"])]
