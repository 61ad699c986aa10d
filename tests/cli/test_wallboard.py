"""The wallboard: one frame rendered headless, and the board following the live stream."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from softswitch.cli.wallboard import (
    Board,
    abandonment_colour,
    service_level_colour,
    wait_colour,
)
from softswitch.control.client import ControlClient
from tests.control.harness import LoopSwitch, invoke


@pytest.fixture(scope="module")
def running() -> Iterator[LoopSwitch]:
    switch = LoopSwitch()
    yield switch
    switch.stop()


def _row(text: str, name: str) -> list[str]:
    line = next(line for line in text.splitlines() if f" {name} " in line)
    return [cell.strip() for cell in line.replace("┃", "│").strip("│ ").split("│")]


def test_once_renders_a_frame_with_todays_figures(running: LoopSwitch) -> None:
    center = running.switch.call_center
    assert center is not None
    assert invoke(running, "agent", "login", "1001").exit_code == 0
    assert invoke(running, "agent", "login", "1002").exit_code == 0
    assert invoke(running, "agent", "pause", "1002", "--reason", "lunch").exit_code == 0
    running.call(center.enqueue, "w-1", "default", "111")
    running.call(center.agent_answered, "w-1", "1001")
    running.call(center.enqueue, "w-2", "default", "222")
    running.call(center.hangup, "w-2")  # abandoned
    running.call(center.enqueue, "w-3", "default", "333")  # waits: 1001 is busy
    result = invoke(running, "wallboard", "--once", "--width", "160")
    assert result.exit_code == 0, result.output
    assert "softswitch wallboard" in result.output
    cells = _row(result.output, "default")
    header = _row(result.output, "queue")
    board = dict(zip(header, cells, strict=True))
    assert board["waiting"] == "1"
    assert board["available"] == "0" and board["on call"] == "1"
    assert board["paused"] == "1" and board["logged out"] == "1"
    assert board["SL 20s"] == "50%"
    assert board["abandoned"] == "1 (50%)"
    assert board["answered"] == "1"
    rows = json.loads(invoke(running, "wallboard", "--json").output)
    assert rows[0]["agents"]["on_call"] == 1 and rows[0]["waiting"] == 1


def test_board_follows_the_event_stream(running: LoopSwitch) -> None:
    center = running.switch.call_center
    assert center is not None
    path = running.data_dir / "control.sock"

    def watch() -> Board:
        with ControlClient(path) as stream, ControlClient(path) as client:
            events = stream.subscribe(idle=0.2)
            board = Board(client.request("queue.status"), client.request("agent.status"),
                          20)
            client.request("agent.login", agent="1003")
            seen = 0
            for event in events:
                if event is None:
                    continue
                board.apply(event)
                seen += event["kind"] == "agent.status"
                if event["kind"] == "call.enqueued" and event["call_id"] == "w-9":
                    return board
            raise AssertionError("stream ended")

    async def scenario() -> Board:
        import asyncio

        watcher = asyncio.create_task(asyncio.to_thread(watch))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if running.switch.call_center.acd.agents["1003"].status.value == "available":
                break
        # 1003 takes the waiting w-3; a new caller then waits for nobody
        center.enqueue("w-9", "default", "999")
        return await watcher

    board = running.run(scenario())
    [row] = board.rows(time.time())
    assert row["agents"]["ringing"] == 1  # 1003 was offered w-3
    assert row["waiting"] == 2  # w-3 (ringing 1003) and w-9
    assert row["answered"] == 1 and row["abandoned"] == 1


def test_colour_thresholds() -> None:
    assert [service_level_colour(x) for x in (None, 0.8, 0.79, 0.6, 0.59)] == \
        ["green", "green", "yellow", "yellow", "red"]
    assert [abandonment_colour(x) for x in (None, 0.05, 0.06, 0.10, 0.11)] == \
        ["green", "green", "yellow", "yellow", "red"]
    assert [wait_colour(x, 20) for x in (0, 20, 21, 60, 61)] == \
        ["green", "green", "yellow", "yellow", "red"]


def test_events_already_in_the_snapshot_are_not_counted_twice() -> None:
    queue = {"queue": "q", "agents": {"idle": ["a"]}, "waiting": [],
             "today": {"answered": 1, "answered_in_time": 1, "abandoned": 0},
             "as_of_seq": 10}
    board = Board([queue], [{"agent": "a", "status": "available", "state": "idle"}], 20)
    answered = {"kind": "call.answered", "queue": "q", "call_id": "c", "agent": "a",
                "ts": 0.0, "data": {"wait": 3.0}}
    board.apply({**answered, "seq": 10})
    board.apply({**answered, "seq": 11, "data": {"wait": 30.0}})
    [row] = board.rows(0.0)
    assert (row["answered"], row["service_level"]) == (2, 0.5)
