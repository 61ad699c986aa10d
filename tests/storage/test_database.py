import asyncio
import sqlite3
from pathlib import Path

from softswitch.storage import LATEST, Database


def test_pragmas_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "softswitch.db"

    async def main() -> tuple[str, int, int, int]:
        db = await Database.open(path)
        try:
            (mode,), = await db.conn.execute_fetchall("PRAGMA journal_mode")
            (sync,), = await db.conn.execute_fetchall("PRAGMA synchronous")
            (fks,), = await db.conn.execute_fetchall("PRAGMA foreign_keys")
            (version,), = await db.conn.execute_fetchall("PRAGMA user_version")
            return mode, sync, fks, version
        finally:
            await db.close()

    mode, sync, fks, version = asyncio.run(main())
    assert mode == "wal"
    assert sync == 1  # NORMAL
    assert fks == 1
    assert version == LATEST
    # WAL is a property of the file: a plain connection sees it too
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in plain.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"events", "bindings"} <= tables


def test_close_commits_what_is_still_queued(tmp_path: Path) -> None:
    path = tmp_path / "s.db"

    async def main() -> None:
        db = await Database.open(path)
        for n in range(10):
            db.events.append("tick", ts=float(n), n=n)
        await db.close()

    asyncio.run(main())
    with sqlite3.connect(path) as plain:
        assert plain.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 10


def test_writer_task_commits_without_being_asked(tmp_path: Path) -> None:
    async def main() -> int:
        db = await Database.open(tmp_path / "s.db")
        try:
            db.events.append("tick", ts=1.0)
            for _ in range(200):
                if db.writer.stats.transactions:
                    break
                await asyncio.sleep(0.005)
            return db.writer.stats.transactions
        finally:
            await db.close()

    assert asyncio.run(main()) == 1
