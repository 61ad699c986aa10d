"""recording.pause and recording.resume on the control socket of a real Switch: they reach
the queue recordings of the running switch, are logged, and refuse calls with none."""

from __future__ import annotations

import asyncio

from softswitch.runtime.app import Switch
from tests.control.harness import LineClient, running_switch


def _record(switch: Switch, call_id: str) -> None:
    """A recording running for `call_id`, as a bridged queue call recorded "all" has."""
    assert switch.supervision is not None
    recordings = switch.supervision.calls.recordings
    assert recordings is not None
    recordings._percent_of["support"] = 100
    assert recordings.bridged(call_id, "support", "bob", 901, 902, 0.0)


async def _kinds(switch: Switch, call_id: str) -> list[str]:
    await switch.database.writer.flush()
    return [event.kind async for event in switch.database.events.read(
        kinds=("recording.paused", "recording.resumed")) if event.call_id == call_id]


def test_pause_and_resume_reach_the_running_recording_and_are_logged() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            client = await LineClient.connect(switch.data_dir / "control.sock")
            answer = await client.call("recording.pause", call_id="c-none")
            assert answer["error"] == {"code": "not_found",
                                       "message": "no recording running for call 'c-none'"}
            _record(switch, "c-1")
            answer = await client.call("recording.pause", call_id="c-1")
            assert answer["result"] == {"call_id": "c-1", "paused": True}
            # pausing twice is no second event
            assert (await client.call("recording.pause", call_id="c-1"))["ok"]
            answer = await client.call("recording.resume", call_id="c-1")
            assert answer["result"] == {"call_id": "c-1", "paused": False}
            assert await _kinds(switch, "c-1") == ["recording.paused", "recording.resumed"]
            answer = await client.call("recording.resume")
            assert answer["error"] == {"code": "bad_arguments",
                                       "message": "recording.resume: missing argument "
                                                  "'call_id'"}
            await client.close()
    asyncio.run(scenario())


def test_without_recordings_running_the_commands_are_unavailable() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            switch.supervision = None
            client = await LineClient.connect(switch.data_dir / "control.sock")
            answer = await client.call("recording.resume", call_id="c-1")
            assert answer["error"] == {"code": "unavailable",
                                       "message": "call recording is not running"}
            await client.close()
    asyncio.run(scenario())
