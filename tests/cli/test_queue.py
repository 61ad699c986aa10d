"""`softswitch queue status` against a running switch with callers in its queue."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.control.harness import LoopSwitch, invoke


@pytest.fixture(scope="module")
def running() -> Iterator[LoopSwitch]:
    switch = LoopSwitch()
    yield switch
    switch.stop()


def test_queue_status_as_json_and_table(running: LoopSwitch) -> None:
    center = running.switch.call_center
    assert center is not None
    assert invoke(running, "agent", "login", "1001").exit_code == 0
    running.call(center.enqueue, "call-1", "default", "5551234")  # rings 1001
    running.call(center.agent_answered, "call-1", "1001")
    running.call(center.enqueue, "call-2", "default", "5559999")  # nobody free: waits
    result = invoke(running, "queue", "status", "--json")
    assert result.exit_code == 0, result.output
    [queue] = json.loads(result.output)
    assert queue["queue"] == "default"
    assert [w["call_id"] for w in queue["waiting"]] == ["call-2"]
    assert queue["agents"] == {"logged_out": ["1002", "1003"], "on_call": ["1001"]}
    assert queue["today"]["answered"] == 1 and queue["today"]["service_level"] == 1.0
    result = invoke(running, "queue", "status", "default")
    assert result.exit_code == 0
    text = " ".join(result.output.split())  # rich wraps at the terminal's width
    assert "default: 1 waiting" in text
    assert "1 answered, 0 abandoned, service level 100% (within 20 s)" in text
    assert "5559999" in result.output
    result = invoke(running, "queue", "status", "sales")
    assert result.exit_code == 1
    assert result.output == "error (not_found): no queue 'sales'\n"
