"""Call recordings indexed with their calls: one row per WAV under DATA_DIR/recordings/.

Rows are written through the single writer (never waiting); looked up by call id, the
way a supervisor or a report finds the recording of a call.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from softswitch.storage.writer import Writer

FIELDS = ("call_id", "queue", "agent", "path", "started_at", "seconds", "paused_seconds")


@dataclass(frozen=True)
class StoredRecording:
    call_id: str
    queue: str
    agent: str
    path: str  # relative to DATA_DIR
    started_at: float  # wall clock
    seconds: float  # length of the file, paused parts (silence) included
    paused_seconds: float


class RecordingRepository:
    def __init__(self, conn: aiosqlite.Connection, writer: Writer) -> None:
        self._conn = conn
        self._writer = writer

    def add(self, recording: StoredRecording) -> None:
        self._writer.submit(
            f"INSERT INTO recordings ({', '.join(FIELDS)}) VALUES "
            f"({', '.join('?' * len(FIELDS))})",
            tuple(getattr(recording, name) for name in FIELDS))

    async def for_call(self, call_id: str) -> list[StoredRecording]:
        """The call's recordings, oldest first; pending writes are flushed first."""
        await self._writer.flush()
        rows = await self._conn.execute_fetchall(
            f"SELECT {', '.join(FIELDS)} FROM recordings WHERE call_id = ? "
            "ORDER BY started_at, id", (call_id,))
        return [StoredRecording(*row) for row in rows]


__all__ = ["FIELDS", "RecordingRepository", "StoredRecording"]
