"""Forwarding rows in a real SQLite file: the last word per extension, kept over a reopen."""

from __future__ import annotations

import asyncio
from pathlib import Path

from softswitch.storage.database import Database
from softswitch.storage.forwarding import ForwardingRepository, StoredForwarding


def test_the_last_rules_per_extension_survive_a_reopen(tmp_path: Path) -> None:
    async def scenario() -> None:
        db = await Database.open(tmp_path / "s.db")
        repo = ForwardingRepository(db.conn, db.writer)
        repo.save(StoredForwarding("1002", "1003", "", "", False, 1.0))
        repo.save(StoredForwarding("1001", "", "", "", True, 2.0))
        repo.save(StoredForwarding("1002", "", "1001", "", True, 3.0))
        await db.close()
        db = await Database.open(tmp_path / "s.db")
        rows = await ForwardingRepository(db.conn, db.writer).load()
        assert rows == [StoredForwarding("1001", "", "", "", True, 2.0),
                        StoredForwarding("1002", "", "1001", "", True, 3.0)]
        await db.close()

    asyncio.run(scenario())
