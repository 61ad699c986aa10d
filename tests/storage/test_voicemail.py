"""Voicemail rows in a real SQLite file: added, saved, deleted, reloaded after a reopen."""

from __future__ import annotations

import asyncio
from pathlib import Path

from softswitch.storage.database import Database
from softswitch.storage.voicemail import VoicemailRepository


def test_messages_survive_a_reopen_and_ids_keep_counting(tmp_path: Path) -> None:
    async def scenario() -> None:
        db = await Database.open(tmp_path / "s.db")
        repo = await VoicemailRepository.attach(db.conn, db.writer)
        first = repo.add("1002", "1001", 100.0, 4.5, "voicemail/1002/1.wav")
        second = repo.add("1002", "1003", 200.0, 2.0, "voicemail/1002/2.wav")
        gone = repo.add("1001", "1003", 300.0, 1.0, "voicemail/1001/3.wav")
        repo.mark_saved(first.id)
        repo.delete(gone.id)
        await db.close()
        db = await Database.open(tmp_path / "s.db")
        repo = await VoicemailRepository.attach(db.conn, db.writer)
        messages = await repo.load()
        assert [(m.id, m.status) for m in messages] == [(second.id, "new"), (first.id, "saved")]
        assert messages[0].caller == "1003" and messages[0].duration == 2.0
        assert repo.next_id == gone.id + 1
        assert repo.add("1002", "1001", 400.0, 1.0, "x.wav").id == gone.id + 1
        assert repo.next_id == gone.id + 2
        await db.close()

    asyncio.run(scenario())
