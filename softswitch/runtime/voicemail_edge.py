"""Voicemail wired into the running switch: the recordings written to WAV files off the
event loop, the messages stored in SQLite and indexed for the lamps, the message-waiting
NOTIFYs sent when a mailbox changes, and the media events of voicemail legs routed to
`VoicemailCalls` (the others go on to the listener that was there before).

Files: DATA_DIR/voicemail/MAILBOX/ID.wav (8 kHz mono 16-bit). A recording is written to a
hidden file of the mailbox's folder while it runs and renamed to its message id when kept.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from softswitch.call.event_packages import MessageSummary
from softswitch.call.mailboxes import Mailboxes
from softswitch.call.subscriptions import SubscriptionService
from softswitch.call.voicemail_calls import (
    ChangeMessage,
    FinishRecording,
    LoadMessage,
    RecordMessage,
    VoicemailCalls,
)
from softswitch.clock import Clock
from softswitch.codecs.base import Int16Array
from softswitch.media.engine import MediaError, RecordingBlock
from softswitch.media.prompts import PromptError, read_prompt
from softswitch.media.recorder import WavRecorder
from softswitch.runtime.media_edge import MediaEdge, MediaListener
from softswitch.runtime.sip_driver import SipDriver
from softswitch.storage.voicemail import VoicemailRepository

log = logging.getLogger(__name__)

FOLDER = "voicemail"
MESSAGE_PACKAGE = "message-summary"
#: how long playing a message may wait for its file to be finished
FILE_WAIT = 5.0


@dataclass
class _Running:
    recording: int
    mailbox: str
    path: Path


class RecordingFiles:
    """WAV writers fed in order by one worker thread: the loop never waits on a disk."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voicemail-wav")
        self._writers: dict[int, WavRecorder] = {}  # touched only in the worker

    def open(self, recording: int, path: Path) -> None:
        self._pool.submit(self._open, recording, path)

    def write(self, recording: int, samples: Int16Array) -> None:
        self._pool.submit(self._write, recording, samples)

    def close(self, recording: int, keep_as: Path | None) -> Future[None]:
        return self._pool.submit(self._close, recording, keep_as)

    def remove(self, path: Path) -> None:
        self._pool.submit(path.unlink, missing_ok=True)

    def shutdown(self) -> None:
        for recording in list(self._writers):
            self._pool.submit(self._close, recording, None)
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

    def _close(self, recording: int, keep_as: Path | None) -> None:
        writer = self._writers.pop(recording, None)
        if writer is None:
            return
        writer.close()
        if keep_as is None:
            writer.path.unlink(missing_ok=True)
        else:
            writer.path.replace(keep_as)


class VoicemailEdge:
    def __init__(self, calls: VoicemailCalls, *, driver: SipDriver, media: MediaEdge,
                 repository: VoicemailRepository, subscriptions: SubscriptionService | None,
                 folder: Path, clock: Clock) -> None:
        self.calls = calls
        self._driver = driver
        self._media = media
        self._repository = repository
        self._subscriptions = subscriptions
        self.folder = folder
        self._clock = clock
        self.files = RecordingFiles()
        self._running: dict[int, _Running] = {}  # leg -> its recording
        self._by_recording: set[int] = set()
        self._finishing: dict[int, Future[None]] = {}  # message id -> its file being renamed
        self._next_listener: MediaListener | None = media.listener
        media.listener = self
        media.recordings = self.on_recordings
        driver.add_handler(RecordMessage, self._record)
        driver.add_handler(FinishRecording, self._finish)
        driver.add_handler(LoadMessage, self._load)
        driver.add_handler(ChangeMessage, self._change)

    @property
    def mailboxes(self) -> Mailboxes:
        return self.calls.mailboxes

    def stop(self) -> None:
        self.files.shutdown()

    # -- the media listener --------------------------------------------------------------

    def on_digit(self, leg: int, digit: str) -> None:
        if self.calls.owns_leg(leg):
            self._driver.run_actions(self.calls.digit(  # type: ignore[arg-type]
                leg, digit, self._clock.now(), self._clock.wall()))
        elif self._next_listener is not None:
            self._next_listener.on_digit(leg, digit)

    def on_prompt_finished(self, leg: int) -> None:
        if self.calls.owns_leg(leg):
            self._driver.run_actions(self.calls.prompt_finished(  # type: ignore[arg-type]
                leg, self._clock.now(), self._clock.wall()))
        elif self._next_listener is not None:
            self._next_listener.on_prompt_finished(leg)

    def on_recordings(self, blocks: list[RecordingBlock]) -> None:
        for block in blocks:
            if block.recording in self._by_recording:
                self.files.write(block.recording, block.samples.copy())

    # -- the actions ---------------------------------------------------------------------

    def _record(self, action: RecordMessage, now: float) -> None:
        recording = self._media.record(action.leg)
        if recording is None:
            return
        path = self.folder / action.mailbox / f".recording-{recording}.wav"
        self._running[action.leg] = _Running(recording, action.mailbox, path)
        self._by_recording.add(recording)
        self.files.open(recording, path)

    def _finish(self, action: FinishRecording, now: float) -> None:
        running = self._running.pop(action.leg, None)
        if running is None:
            return
        self._media.stop_recording(action.leg)
        self._by_recording.discard(running.recording)
        keep = action.keep
        if keep is None:
            self.files.close(running.recording, None)
            return
        message_id = self._repository.next_id
        path = self.folder / keep.mailbox / f"{message_id}.wav"
        self._finishing[message_id] = self.files.close(running.recording, path)
        message = self._repository.add(keep.mailbox, keep.caller, keep.started_at,
                                       round(keep.duration, 3), str(path))
        self.mailboxes.add(message)
        log.info("voicemail %d for %s from %s (%.1f s)", message.id, keep.mailbox,
                 keep.caller, keep.duration)
        self._lamp(keep.mailbox, now)

    def _load(self, action: LoadMessage, now: float) -> None:
        engine = self._media.engine
        if engine.has_prompt(action.name):
            return
        pending = self._finishing.pop(action.message_id, None)
        if pending is not None:
            pending.result(FILE_WAIT)  # just recorded: its file is being closed
        try:
            engine.add_prompt(action.name, read_prompt(Path(action.path)))
        except (PromptError, OSError, MediaError) as error:
            log.error("voicemail %d cannot be played: %s", action.message_id, error)

    def _change(self, action: ChangeMessage, now: float) -> None:
        if action.action == "deleted":
            entry = self.mailboxes.delete(action.message_id)
            self._repository.delete(action.message_id)
            if entry is not None:
                self.files.remove(Path(entry.path))
        else:
            self.mailboxes.mark_saved(action.message_id)
            self._repository.mark_saved(action.message_id)
        self._lamp(action.mailbox, now)

    def _lamp(self, mailbox: str, now: float) -> None:
        """The mailbox changed: its watchers get a NOTIFY (sent when the driver pumps)."""
        if self._subscriptions is not None:
            self._subscriptions.changed(MESSAGE_PACKAGE, mailbox, now)


async def start_voicemail(switch: object, loop: asyncio.AbstractEventLoop,
                          clock: Clock) -> VoicemailEdge | None:
    """Wire voicemail into a started `runtime.app.Switch` (its database, driver, media,
    B2BUA and subscriptions exist); None when calls are not running."""
    driver: SipDriver | None = getattr(switch, "driver", None)
    media: MediaEdge | None = getattr(switch, "media", None)
    database = getattr(switch, "database", None)
    if driver is None or media is None or database is None or driver.core.b2bua is None:
        return None
    config = switch.config  # type: ignore[attr-defined]
    b2bua = driver.core.b2bua
    repository = await VoicemailRepository.attach(database.conn, database.writer)
    mailboxes = Mailboxes(await repository.load())
    users = {user.extension: user for user in config.users}
    local: dict[str, tuple[str, int]] = {}
    for bound in getattr(switch, "bound", []):
        host = "127.0.0.1" if bound.host in ("0.0.0.0", "", "::") else bound.host
        local.setdefault(bound.transport.lower(), (host, bound.port))
    calls = VoicemailCalls(
        layer=driver.layer, mailboxes=mailboxes, features=config.features.table(),
        ports=b2bua.ports, local=local, settings=b2bua.settings,
        has_prompt=media.engine.has_prompt,
        has_mailbox=users.__contains__,
        diverts=lambda ext: ext in users and users[ext].voicemail,
        pin_of=lambda ext: users[ext].voicemail_pin if ext in users else None)
    subscriptions = driver.core.subscriptions
    if subscriptions is not None:
        subscriptions.packages[MESSAGE_PACKAGE] = MessageSummary(mailboxes.counts,
                                                                 config.sip.domain)
    data_dir: Path = switch.data_dir  # type: ignore[attr-defined]
    edge = VoicemailEdge(calls, driver=driver, media=media, repository=repository,
                         subscriptions=subscriptions, folder=data_dir / FOLDER, clock=clock)
    driver.core.voicemail = calls
    b2bua.voicemail = calls.divert  # type: ignore[attr-defined]
    center_edge = getattr(switch, "center_edge", None)
    if center_edge is not None:
        center_edge.calls.voicemail = calls
    return edge


__all__ = ["FOLDER", "RecordingFiles", "VoicemailEdge", "start_voicemail"]
