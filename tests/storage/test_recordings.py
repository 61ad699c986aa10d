"""The recordings index in SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path

from softswitch.storage import Database
from softswitch.storage.recordings import RecordingRepository, StoredRecording


def test_recordings_are_found_by_their_call(tmp_path: Path) -> None:
    async def run() -> None:
        db = await Database.open(tmp_path / "s.db")
        db.start()
        try:
            repo = RecordingRepository(db.conn, db.writer)
            first = StoredRecording("call-1", "support", "alice", "recordings/a.wav", 10.0,
                                    42.5, 3.0)
            repo.add(StoredRecording("call-2", "sales", "bob", "recordings/b.wav", 5.0,
                                     1.0, 0.0))
            repo.add(first)
            assert await repo.for_call("call-1") == [first]
            assert await repo.for_call("nope") == []
        finally:
            await db.close()

    asyncio.run(run())
