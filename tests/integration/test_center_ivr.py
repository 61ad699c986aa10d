"""The IVR's business-hours node end to end: a flow whose schedule is closed now sends a
SIPp caller down the "closed" branch (a message, then the switch hangs up), never to the
queue."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.sipp import run_sipp
from tests.integration.switch_process import USERS, SwitchProcess
from tests.integration.test_center_calls import _events, _serve

pytestmark = pytest.mark.timeout(90)

FLOW = """
[[queues]]
name = "support"

[[agents]]
id = "bob"
extension = "1002"
[[agents.queues]]
queue = "support"

[[dids]]
number = "5000"
ivr = "main"

[ivr.flows.main]
start = "hours"
[ivr.flows.main.nodes.hours]
type = "hours"
timezone = "UTC"
schedule = { {day} = ["{range}"] }
open = "support"
closed = "closed"
[ivr.flows.main.nodes.closed]
type = "hangup"
prompts = ["not_available"]
[ivr.flows.main.nodes.support]
type = "queue"
queue = "support"
"""


def _flow(open_now: bool) -> str:
    import datetime as dt
    now = dt.datetime.now(dt.UTC)
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[now.weekday()]
    if not open_now:  # a day the business is open, but not today
        day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(now.weekday() + 3) % 7]
    return FLOW.replace("{day}", day).replace("{range}", "00:00-24:00")


@pytest.fixture
def closed(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from _serve(tmp_path, _flow(open_now=False))


def test_a_closed_schedule_sends_the_caller_to_the_closed_branch(closed: SwitchProcess,
                                                                 tmp_path: Path) -> None:
    result = run_sipp("center_caller_hears_bye.xml", closed.port, tmp_path, service="5000",
                      user="1001", password=USERS["1001"], timeout=20)
    assert result.returncode == 0, result.explain() + closed.log()
    rows = _events(closed, ("ivr.node", "ivr.finished", "call.enqueued", "call.ended"),
                   {"call.ended"})
    nodes = [r[3] for r in rows if r[0] == "ivr.node"]
    assert any('"closed"' in n for n in nodes), nodes
    assert not any('"support"' in n for n in nodes), nodes
    assert "call.enqueued" not in [r[0] for r in rows]


@pytest.fixture
def open_now(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from _serve(tmp_path, _flow(open_now=True))


def test_an_open_schedule_sends_the_caller_to_the_queue(open_now: SwitchProcess,
                                                        tmp_path: Path) -> None:
    # the caller's key presses land in the queue (1 asks for a callback), then they leave
    result = run_sipp("center_caller.xml", open_now.port, tmp_path, service="5000",
                      user="1001", password=USERS["1001"], extra=("-d", "500"))
    assert result.returncode == 0, result.explain() + open_now.log()
    rows = _events(open_now, ("ivr.node", "call.enqueued"), {"call.enqueued"})
    assert "call.enqueued" in [r[0] for r in rows]
    nodes = [r[3] for r in rows if r[0] == "ivr.node"]
    assert any('"support"' in n for n in nodes) and not any('"closed"' in n for n in nodes)
