"""Callback keeping the caller's place, end to end: a SIPp caller in the queue presses 1,
hears a confirmation and is released; when an agent logs in, the switch rings the agent
first, then dials the caller's extension and bridges them. No abandon is counted."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from softswitch.control.client import ControlClient
from tests.integration.call_tools import sipp_callee
from tests.integration.sipp import run_sipp
from tests.integration.switch_process import USERS, SwitchProcess
from tests.integration.test_center_calls import CENTER, _events, _serve

pytestmark = pytest.mark.timeout(120)

KINDS = ("call.enqueued", "callback.requested", "callback.dialed", "agent.rung",
         "call.answered", "callback.answered", "callback.failed", "call.abandoned",
         "call.ended")


@pytest.fixture
def center(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from _serve(tmp_path, CENTER)


def _waiting(switch: SwitchProcess) -> list[dict[str, object]]:
    with ControlClient(switch.data_dir / "control.sock") as control:
        [support] = control.request("queue.status", queue="support")
    return list(support["waiting"])


def test_callback_keeps_the_place_and_bridges_agent_and_caller(center: SwitchProcess,
                                                               tmp_path: Path) -> None:
    # 1001's phone answers the callback and hangs up 3 s later
    with sipp_callee(center, tmp_path, "center_agent_hangs_up.xml",
                     extension="1001") as customer:
        result = run_sipp("center_callback_caller.xml", center.port, tmp_path,
                          service="5000", user="1001", password=USERS["1001"], timeout=30)
        assert result.returncode == 0, result.explain() + center.log()
        released = time.monotonic()
        # the caller is gone from the line, but their place is kept
        waiting = _waiting(center)
        assert len(waiting) == 1 and waiting[0]["number"] == "1001", waiting
        time.sleep(1.0)
        with sipp_callee(center, tmp_path, "call_callee.xml", extension="1002") as agent:
            with ControlClient(center.data_dir / "control.sock") as control:
                control.request("agent.login", agent="bob")
            customer.wait(timeout=20)
            assert customer.returncode == 0, "the caller was not called back"
            agent.wait(timeout=10)
            assert agent.returncode == 0, "the agent's leg was not hung up"
    rows = _events(center, KINDS, {"call.ended", "callback.answered"})
    seen = [r[0] for r in rows]
    assert "call.abandoned" not in seen and "callback.failed" not in seen, seen
    assert seen.index("call.enqueued") < seen.index("callback.requested") < seen.index(
        "callback.dialed") < seen.index("call.answered") < seen.index(
        "callback.answered") < seen.index("call.ended"), seen
    call_ids = {r[1] for r in rows}
    assert len(call_ids) == 1, "the callback is the same call as the request"
    answered = json.loads(next(r[3] for r in rows if r[0] == "call.answered"))
    assert answered["callback"] is True
    # the place kept its enqueue time: the wait counts from the first call
    assert answered["wait"] >= time.monotonic() - released - 20 and answered["wait"] > 5.0
    assert _waiting(center) == []
