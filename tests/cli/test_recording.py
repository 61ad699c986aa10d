"""`softswitch recording pause|resume CALL_ID` against a real switch, and its plain answer
when no switch runs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from softswitch.cli.main import main
from tests.control.harness import LoopSwitch, invoke, short_data_dir


@pytest.fixture(scope="module")
def running() -> Iterator[LoopSwitch]:
    switch = LoopSwitch()
    yield switch
    switch.stop()


def _record(running: LoopSwitch, call_id: str) -> None:
    supervision = running.switch.supervision
    assert supervision is not None and supervision.calls.recordings is not None
    recordings = supervision.calls.recordings
    recordings._percent_of["support"] = 100
    assert running.call(recordings.bridged, call_id, "support", "bob", 911, 912, 0.0)


def test_pause_and_resume_a_recorded_call(running: LoopSwitch) -> None:
    _record(running, "c-7")
    result = invoke(running, "recording", "pause", "c-7")
    assert (result.exit_code, result.output) == (0, "recording of c-7 paused\n")
    result = invoke(running, "recording", "resume", "c-7", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"call_id": "c-7", "paused": False}
    result = invoke(running, "recording", "pause", "c-7", "--json")
    assert json.loads(result.output) == {"call_id": "c-7", "paused": True}


def test_a_call_without_a_recording_is_refused_plainly(running: LoopSwitch) -> None:
    result = invoke(running, "recording", "resume", "c-none")
    assert (result.exit_code, result.output) == (
        1, "error (not_found): no recording running for call 'c-none'\n")


def test_says_plainly_when_the_switch_is_not_running() -> None:
    empty = short_data_dir()
    for verb in ("pause", "resume"):
        result = CliRunner().invoke(main, ["recording", verb, "c-1", "--data-dir", str(empty)])
        assert result.exit_code == 1
        assert result.output == ("softswitch is not running (no control socket at "
                                 f"{empty / 'control.sock'})\n")
