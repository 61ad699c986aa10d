"""Queue recording policy, its start and stop with the legs, pause, and the timeline."""

from __future__ import annotations

import numpy as np
import pytest

from softswitch.call.actions import LogEvent
from softswitch.call.recording import (
    PauseRecording,
    Recordings,
    StartRecording,
    StopRecording,
    Timeline,
    chosen,
)


@pytest.mark.parametrize(("percent", "draw", "expected"), [
    (100, 0.999, True), (0, 0.0, False), (25, 0.2, True), (25, 0.25, False),
    (25, 0.9, False), (1, 0.0, True)])
def test_policy_share(percent: int, draw: float, expected: bool) -> None:
    assert chosen(percent, draw) is expected


def test_a_percentage_records_about_that_share() -> None:
    draws = iter(np.random.default_rng(5).random(2000).tolist())
    recordings = Recordings({"sales": 30}, draw=lambda: next(draws))
    recorded = sum(bool(recordings.bridged(f"c{i}", "sales", "a", 2 * i, 2 * i + 1, 0.0))
                   for i in range(2000))
    assert 540 <= recorded <= 660


def test_bridged_queue_call_starts_once_and_stops_with_either_leg() -> None:
    recordings = Recordings({"support": 100, "sales": 0}, draw=lambda: 0.5)
    assert recordings.bridged("x", "sales", "bob", 1, 2, 100.0) == []
    assert recordings.bridged("y", "other", "bob", 1, 2, 100.0) == []  # unknown: none
    start = recordings.bridged("c", "support", "alice", 5, 6, 100.0)
    assert start == [StartRecording("c", 5, "support", "alice", 100.0)]
    assert recordings.bridged("c", "support", "alice", 5, 6, 101.0) == []
    assert recordings.leg_ended(99, 130.0) == []
    assert recordings.leg_ended(6, 130.0) == [StopRecording("c", 5, 130.0)]
    assert recordings.leg_ended(5, 131.0) == []  # already stopped
    assert not recordings.is_recording("c")


def test_pause_and_resume() -> None:
    recordings = Recordings({"q": 100})
    assert recordings.pause("c", True) is None  # nothing running
    recordings.bridged("c", "q", "a", 1, 2, 0.0)
    paused = recordings.pause("c", True)
    assert paused is not None and paused[0] == PauseRecording("c", True)
    assert isinstance(paused[1], LogEvent) and paused[1].kind == "recording.paused"
    assert recordings.pause("c", True) == []  # already paused
    resumed = recordings.pause("c", False)
    assert resumed is not None and resumed[0] == PauseRecording("c", False)


def test_timeline_writes_silence_while_paused_and_keeps_time() -> None:
    timeline = Timeline()
    loud = np.full(160, 1000, dtype=np.int16)
    assert np.array_equal(timeline.block(loud), loud)
    timeline.paused = True
    quiet = timeline.block(loud)
    assert quiet.shape == loud.shape and not quiet.any()
    timeline.paused = False
    assert timeline.block(loud).any()
    assert timeline.samples == 480 and timeline.paused_samples == 160
    assert timeline.seconds == pytest.approx(0.06)
