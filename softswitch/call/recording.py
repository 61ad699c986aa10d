"""Call recording in queues: which calls are recorded, and the pause that keeps card
numbers off the file.

A queue's policy is a percentage (the configuration reads "all" as 100 and "none" as 0);
each bridged call draws once. The recording runs from the bridge to the first of the two
legs to end. Pausing writes silence instead of audio, so the file's timeline stays true
to the call (a 3-minute call gives a 3-minute file). The operator pauses and resumes by
the control socket (`recording.pause` / `recording.resume` with the call id).

Sans-IO: `Recordings` returns actions for the edge; `Timeline` turns the engine's blocks
into what is written, counting the seconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from softswitch.call.actions import LogEvent
from softswitch.codecs.base import Int16Array

RATE = 8000


def chosen(percent: int, draw: float) -> bool:
    """Whether a call is recorded under `percent`, given a draw in [0, 1)."""
    return percent >= 100 or (percent > 0 and draw * 100 < percent)


@dataclass(frozen=True)
class StartRecording:
    """Record `leg` (both directions mixed) for `call_id`, to a file named by the edge."""

    call_id: str
    leg: int
    queue: str
    agent: str
    started_at: float  # wall clock


@dataclass(frozen=True)
class StopRecording:
    call_id: str
    leg: int
    ended_at: float  # wall clock


@dataclass(frozen=True)
class PauseRecording:
    call_id: str
    paused: bool


@dataclass
class _Running:
    call_id: str
    legs: tuple[int, int]
    paused: bool = False


class Recordings:
    """The recordings running now, one per call at most."""

    def __init__(self, percent_of: Mapping[str, int],
                 draw: Callable[[], float] = random.random) -> None:
        self._percent_of = dict(percent_of)
        self._draw = draw
        self._running: dict[str, _Running] = {}
        self._by_leg: dict[int, str] = {}

    def is_recording(self, call_id: str) -> bool:
        return call_id in self._running

    def bridged(self, call_id: str, queue: str, agent: str, caller_leg: int,
                agent_leg: int, wall: float) -> list[StartRecording]:
        """A queue call reached an agent: start recording if the queue's policy says so."""
        if call_id in self._running:
            return []
        if not chosen(self._percent_of.get(queue, 0), self._draw()):
            return []
        self._running[call_id] = _Running(call_id, (caller_leg, agent_leg))
        self._by_leg[caller_leg] = self._by_leg[agent_leg] = call_id
        return [StartRecording(call_id, caller_leg, queue, agent, wall)]

    def leg_ended(self, leg: int, wall: float) -> list[StopRecording]:
        """Either party gone: the recording ends (what follows is not the conversation)."""
        call_id = self._by_leg.get(leg)
        if call_id is None:
            return []
        running = self._running.pop(call_id)
        for other in running.legs:
            self._by_leg.pop(other, None)
        return [StopRecording(call_id, running.legs[0], wall)]

    def pause(self, call_id: str, paused: bool) -> list[PauseRecording | LogEvent] | None:
        """Pause or resume; None when the call has no recording running."""
        running = self._running.get(call_id)
        if running is None:
            return None
        if running.paused == paused:
            return []
        running.paused = paused
        kind = "recording.paused" if paused else "recording.resumed"
        return [PauseRecording(call_id, paused), LogEvent(kind, {}, call_id=call_id)]


class Timeline:
    """One recording's written audio: the engine's blocks, or silence while paused."""

    def __init__(self) -> None:
        self.paused = False
        self.samples = 0
        self.paused_samples = 0

    def block(self, samples: Int16Array) -> Int16Array:
        self.samples += samples.shape[0]
        if not self.paused:
            return samples
        self.paused_samples += samples.shape[0]
        return np.zeros_like(samples)

    @property
    def seconds(self) -> float:
        return self.samples / RATE


__all__ = ["RATE", "PauseRecording", "Recordings", "StartRecording", "StopRecording",
           "Timeline", "chosen"]
