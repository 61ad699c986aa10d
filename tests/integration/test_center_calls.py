"""The call center over real calls: SIPp dials the demo number, picks support with RFC 4733
digits, waits in the queue and reaches an agent (a SIPp UAS) logged in with *45; the
events in SQLite tell the story."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from softswitch.control.client import ControlClient
from tests.integration.call_tools import sipp_callee
from tests.integration.sipp import run_sipp
from tests.integration.switch_process import USERS, SwitchProcess, free_port, write_config

pytestmark = pytest.mark.timeout(120)

CENTER = """
[[queues]]
name = "support"
ring_timeout = 8
wrap_up = 1

[[agents]]
id = "bob"
extension = "1002"
[[agents.queues]]
queue = "support"

[[agents]]
id = "alice"
extension = "1001"
[[agents.queues]]
queue = "support"

[[dids]]
number = "5000"
ivr = "main"

[ivr.flows.main]
start = "language"
[ivr.flows.main.nodes.language]
type = "language"
prompts = ["language_menu"]
choices = { "1" = "en", "2" = "zh" }
default = "en"
timeout = 6
next = "menu"
[ivr.flows.main.nodes.menu]
type = "menu"
prompts = ["main_menu"]
choices = { "1" = "sales", "2" = "support" }
timeout = 6
[ivr.flows.main.nodes.sales]
type = "queue"
queue = "support"
[ivr.flows.main.nodes.support]
type = "queue"
queue = "support"
"""


@pytest.fixture
def center(tmp_path: Path) -> Iterator[SwitchProcess]:
    yield from _serve(tmp_path, CENTER)


@pytest.fixture
def center_one_miss(tmp_path: Path) -> Iterator[SwitchProcess]:
    """Bob rings for two seconds and goes on break after one unanswered call."""
    config = CENTER.replace("ring_timeout = 8", "ring_timeout = 2").replace(
        'id = "bob"\n', 'id = "bob"\nmax_no_answer = 1\n')
    assert "max_no_answer = 1" in config and "ring_timeout = 2" in config
    yield from _serve(tmp_path, config)


def _serve(tmp_path: Path, config: str) -> Iterator[SwitchProcess]:
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    write_config(data / "softswitch.toml", port, extra=config)
    low = 20000 + 2 * random.randrange(0, 4500)
    os.environ["SOFTSWITCH_RTP_PORTS"] = f"{low}-{low + 999}"
    proc = SwitchProcess(data, port)
    try:
        proc.start()
    finally:
        os.environ.pop("SOFTSWITCH_RTP_PORTS", None)
    try:
        yield proc
        assert proc.alive(), f"the switch died during the test:\n{proc.log()}"
    finally:
        proc.stop()


def _events(switch: SwitchProcess, kinds: tuple[str, ...], want: set[str],
            timeout: float = 10.0) -> list[tuple[str, str | None, str | None, str]]:
    """(kind, call_id, agent, data) of the given kinds, once every kind in `want` is there."""
    deadline = time.monotonic() + timeout
    rows: list[tuple[str, str | None, str | None, str]] = []
    while time.monotonic() < deadline:
        conn = sqlite3.connect(switch.data_dir / "softswitch.db")
        try:
            marks = ",".join("?" * len(kinds))
            rows = list(conn.execute(
                f"SELECT kind, call_id, agent, data FROM events WHERE kind IN ({marks}) "
                "ORDER BY seq", kinds))
        except sqlite3.OperationalError:
            rows = []
        finally:
            conn.close()
        if want <= {r[0] for r in rows}:
            return rows
        time.sleep(0.1)
    return rows


def _login(switch: SwitchProcess, work: Path) -> None:
    result = run_sipp("center_feature.xml", switch.port, work, service="*45", user="1002",
                      password=USERS["1002"])
    assert result.returncode == 0, result.explain()
    rows = _events(switch, ("agent.status",), {"agent.status"})
    assert rows, "the agent never logged in"


def test_caller_through_ivr_and_queue_reaches_agent_and_answers_survey(
        center: SwitchProcess, tmp_path: Path) -> None:
    _login(center, tmp_path)
    with sipp_callee(center, tmp_path, "center_agent_hangs_up.xml", extension="1002") as agent:
        result = run_sipp("center_caller_waits_bye.xml", center.port, tmp_path,
                          service="5000", user="1001", password=USERS["1001"], timeout=40)
        assert result.returncode == 0, result.explain() + center.log()
        agent.wait(timeout=10)
        assert agent.returncode == 0
    kinds = ("ivr.choice", "call.enqueued", "agent.rung", "call.answered",
             "wrapup.started", "survey.completed")
    rows = _events(center, kinds, set(kinds))
    seen = [r[0] for r in rows]
    for kind in kinds:
        assert kind in seen, (kind, seen, center.log())
    assert seen.index("call.enqueued") < seen.index("agent.rung") < seen.index(
        "call.answered") < seen.index("survey.completed")
    choices = [r[3] for r in rows if r[0] == "ivr.choice"]
    assert json.loads(choices[-1])["digit"] == "2"
    survey = next(r for r in rows if r[0] == "survey.completed")
    assert json.loads(survey[3])["score"] == 5 and survey[2] == "bob"


def test_caller_hanging_up_in_the_queue_is_an_abandon(center: SwitchProcess,
                                                      tmp_path: Path) -> None:
    # no agent logged in: the caller waits with music, then hangs up
    result = run_sipp("center_caller.xml", center.port, tmp_path, service="5000",
                      user="1001", password=USERS["1001"], extra=("-d", "2000"))
    assert result.returncode == 0, result.explain() + center.log()
    rows = _events(center, ("call.enqueued", "call.abandoned"), {"call.abandoned"})
    assert [r[0] for r in rows] == ["call.enqueued", "call.abandoned"], center.log()


def test_feature_code_from_a_phone_with_no_agent_is_refused(center: SwitchProcess,
                                                            tmp_path: Path) -> None:
    result = run_sipp("center_feature.xml", center.port, tmp_path, service="*45",
                      user="1003", password=USERS["1003"])
    assert result.returncode == 0, result.explain()
    rows = _events(center, ("feature.refused", "agent.status"), {"feature.refused"})
    assert [r[0] for r in rows] == ["feature.refused"]


def test_agent_sessions_survive_a_restart_of_the_switch(center: SwitchProcess) -> None:
    socket = center.data_dir / "control.sock"
    with ControlClient(socket) as control:
        control.request("agent.login", agent="bob")
        control.request("agent.login", agent="alice")
        paused = control.request("agent.pause", agent="alice", reason="lunch")
    assert paused["status"] == "on_break"
    center.restart()
    with ControlClient(socket) as control:
        bob = control.request("agent.status", agent="bob")
        alice = control.request("agent.status", agent="alice")
    assert (bob["status"], bob["state"]) == ("available", "idle"), center.log()
    assert (alice["status"], alice["reason"]) == ("on_break", "lunch")
    assert alice["since"] == paused["since"]


def test_an_agent_who_does_not_answer_goes_on_break_and_the_caller_keeps_waiting(
        center_one_miss: SwitchProcess, tmp_path: Path) -> None:
    switch = center_one_miss
    socket = switch.data_dir / "control.sock"
    with ControlClient(socket) as control:
        control.request("agent.login", agent="bob")
    with sipp_callee(switch, tmp_path, "call_callee_rings.xml", extension="1002") as agent, \
            ThreadPoolExecutor(1) as pool:
        # the caller picks support (about 3 s of menus), then waits 6 s before hanging up
        caller = pool.submit(run_sipp, "center_caller.xml", switch.port, tmp_path,
                             service="5000", user="1001", password=USERS["1001"],
                             extra=("-d", "6000"))
        rows = _events(switch, ("agent.no_answer",), {"agent.no_answer"}, timeout=12)
        assert rows, switch.log()
        with ControlClient(socket) as control:
            bob = control.request("agent.status", agent="bob")
            [support] = control.request("queue.status", queue="support")
        assert (bob["status"], bob["reason"]) == ("on_break", "no answer")
        # still in line, at the head, with nobody left to ring
        assert [w["phase"] for w in support["waiting"]] == ["waiting"]
        result = caller.result(timeout=30)
        assert result.returncode == 0, result.explain() + switch.log()
        agent.wait(timeout=10)
        assert agent.returncode == 0, "the agent's phone was not cancelled"
    kinds = ("call.enqueued", "agent.rung", "agent.no_answer", "agent.status",
             "call.answered", "call.refused", "call.abandoned")
    rows = _events(switch, kinds, {"call.abandoned"})
    seen = [r[0] for r in rows]
    assert seen == ["agent.status", "call.enqueued", "agent.rung", "agent.no_answer",
                    "agent.status", "call.abandoned"], seen
    missed = json.loads(rows[3][3])
    assert rows[3][2] == "bob" and missed["misses"] == 1
    status = json.loads(rows[4][3])
    assert (status["to"], status["reason"]) == ("on_break", "no answer")
    abandoned = json.loads(rows[5][3])
    assert rows[5][1] == rows[1][1] and abandoned["wait"] >= 5.0
