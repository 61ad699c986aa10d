"""Supervisors and queue recordings wired into the running switch.

Supervisors: a `MonitorMedia` puts the supervisor's channel into the mix of the agent's
call (the engine's group of the agent's channel) as a listener, whispering to the agent's
channel or talking. Recordings: the queue policies from the configuration; each recorded
call's audio (the caller's channel, both directions mixed) goes to a WAV under
DATA_DIR/recordings/ written by one worker thread, never on the event loop; when the file
is closed its row is indexed in SQLite and `recording.saved` is logged.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from softswitch.call.actions import LogEvent
from softswitch.call.center_calls import CenterCalls
from softswitch.call.recording import (
    PauseRecording,
    Recordings,
    StartRecording,
    StopRecording,
    Timeline,
)
from softswitch.call.supervisor import MonitorMedia
from softswitch.clock import Clock
from softswitch.codecs.base import Int16Array
from softswitch.media.engine import MediaError, RecordingBlock
from softswitch.media.recorder import WavRecorder
from softswitch.runtime.media_edge import MediaEdge
from softswitch.runtime.sip_driver import SipDriver
from softswitch.storage.recordings import RecordingRepository, StoredRecording

log = logging.getLogger(__name__)

FOLDER = "recordings"


@dataclass
class _Running:
    recording: int  # the engine's id
    start: StartRecording
    path: Path
    timeline: Timeline = field(default_factory=Timeline)


class WavFiles:
    """WAV writers fed in order by one worker thread: the loop never waits on a disk."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recording-wav")
        self._writers: dict[int, WavRecorder] = {}  # touched only in the worker

    def open(self, recording: int, path: Path) -> None:
        self._pool.submit(self._open, recording, path)

    def write(self, recording: int, samples: Int16Array) -> None:
        self._pool.submit(self._write, recording, samples)

    def close(self, recording: int) -> Future[None]:
        return self._pool.submit(self._close, recording)

    def shutdown(self) -> None:
        for recording in list(self._writers):
            self._pool.submit(self._close, recording)
        self._pool.shutdown(wait=True)

    def _open(self, recording: int, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._writers[recording] = WavRecorder(path)
        except OSError as error:
            log.error("cannot record to %s: %s", path, error)

    def _write(self, recording: int, samples: Int16Array) -> None:
        writer = self._writers.get(recording)
        if writer is not None:
            writer.write(samples)

    def _close(self, recording: int) -> None:
        writer = self._writers.pop(recording, None)
        if writer is not None:
            writer.close()


class SupervisionEdge:
    def __init__(self, calls: CenterCalls, *, driver: SipDriver, media: MediaEdge,
                 repository: RecordingRepository | None, data_dir: Path, clock: Clock,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.calls = calls
        self._driver = driver
        self._media = media
        self._repository = repository
        self.data_dir = data_dir
        self._clock = clock
        self._loop = loop
        self.files = WavFiles()
        self._running: dict[str, _Running] = {}  # call id -> its recording
        self._by_recording: dict[int, _Running] = {}
        self._next = media.recordings  # voicemail's recordings go on there
        media.recordings = self.on_recordings
        driver.add_handler(MonitorMedia, self._monitor)
        driver.add_handler(StartRecording, self._start)
        driver.add_handler(StopRecording, self._stop)
        driver.add_handler(PauseRecording, self._pause)

    def stop(self) -> None:
        self.files.shutdown()

    # -- supervisors -----------------------------------------------------------------------

    def _monitor(self, action: MonitorMedia, now: float) -> None:
        engine = self._media.engine
        supervisor = self._media.channel_of(action.supervisor_leg)
        agent = self._media.channel_of(action.agent_leg)
        if supervisor is None or agent is None:
            return
        try:
            group = engine.group_of(agent)
            if group is None:
                return
            if engine.group_of(supervisor) != group:
                engine.listen(supervisor, group)
            engine.set_talk(supervisor, action.talk)
            engine.whisper(supervisor, agent if action.whisper else None)
        except MediaError as error:
            log.warning("supervisor leg %d: %s", action.supervisor_leg, error)

    # -- recordings --------------------------------------------------------------------------

    def pause(self, call_id: str, paused: bool) -> bool:
        """Pause or resume a call's recording (the control socket's recording.pause and
        recording.resume); False when the call has none running."""
        recordings = self.calls.recordings
        actions = None if recordings is None else recordings.pause(call_id, paused)
        if actions is None:
            return False
        self._driver.run_actions(actions)  # type: ignore[arg-type]
        return True

    def on_recordings(self, blocks: list[RecordingBlock]) -> None:
        rest = []
        for block in blocks:
            running = self._by_recording.get(block.recording)
            if running is None:
                rest.append(block)
            else:
                self.files.write(block.recording, running.timeline.block(block.samples).copy())
        if rest and self._next is not None:
            self._next(rest)

    def _start(self, action: StartRecording, now: float) -> None:
        recording = self._media.record(action.leg)
        if recording is None:
            return
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in action.call_id)
        path = self.data_dir / FOLDER / f"{safe}-{recording}.wav"
        running = _Running(recording, action, path)
        self._running[action.call_id] = running
        self._by_recording[recording] = running
        self.files.open(recording, path)

    def _pause(self, action: PauseRecording, now: float) -> None:
        running = self._running.get(action.call_id)
        if running is not None:
            running.timeline.paused = action.paused

    def _stop(self, action: StopRecording, now: float) -> None:
        running = self._running.pop(action.call_id, None)
        if running is None:
            return
        self._media.stop_recording(action.leg)
        self._by_recording.pop(running.recording, None)
        closed = self.files.close(running.recording)
        closed.add_done_callback(
            lambda _done: self._loop.call_soon_threadsafe(self._saved, running))

    def _saved(self, running: _Running) -> None:
        start = running.start
        timeline = running.timeline
        seconds = round(timeline.seconds, 3)
        relative = str(running.path.relative_to(self.data_dir))
        if self._repository is not None:
            self._repository.add(StoredRecording(
                start.call_id, start.queue, start.agent, relative, start.started_at, seconds,
                round(timeline.paused_samples / 8000, 3)))
        self._driver.run_actions([LogEvent("recording.saved", {  # type: ignore[list-item]
            "queue": start.queue, "agent": start.agent, "path": relative,
            "seconds": seconds}, call_id=start.call_id)])


def start_supervision(switch: object, loop: asyncio.AbstractEventLoop,
                      clock: Clock) -> SupervisionEdge | None:
    """Wire supervisors and recordings into a started `runtime.app.Switch` (its center
    calls exist); call it after voicemail, whose recordings it passes on. None when the
    switch's own calls are not running."""
    center_edge = getattr(switch, "center_edge", None)
    driver: SipDriver | None = getattr(switch, "driver", None)
    media: MediaEdge | None = getattr(switch, "media", None)
    if center_edge is None or driver is None or media is None:
        return None
    config = switch.config  # type: ignore[attr-defined]
    database = getattr(switch, "database", None)
    repository = (None if database is None
                  else RecordingRepository(database.conn, database.writer))
    calls: CenterCalls = center_edge.calls
    calls.recordings = Recordings({q.name: q.recording for q in config.queues})
    return SupervisionEdge(calls, driver=driver, media=media, repository=repository,
                           data_dir=switch.data_dir,  # type: ignore[attr-defined]
                           clock=clock, loop=loop)


__all__ = ["FOLDER", "SupervisionEdge", "WavFiles", "start_supervision"]
