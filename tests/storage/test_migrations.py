import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from softswitch.storage import LATEST, MIGRATIONS, Database, StorageError, migrate
from softswitch.storage.migrations import schema_version


async def _connect(path: Path) -> aiosqlite.Connection:
    return await aiosqlite.connect(path, isolation_level=None)


def test_fresh_file_gets_every_migration_once(tmp_path: Path) -> None:
    async def main() -> tuple[list[int], list[int], int]:
        conn = await _connect(tmp_path / "a.db")
        try:
            first = await migrate(conn)
            second = await migrate(conn)
            return first, second, await schema_version(conn)
        finally:
            await conn.close()

    first, second, version = asyncio.run(main())
    assert first == [v for v, _ in MIGRATIONS]
    assert second == []
    assert version == LATEST


def test_old_file_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"

    async def make_old() -> None:
        conn = await _connect(path)
        assert await migrate(conn, target=1) == [1]
        await conn.execute("INSERT INTO events (ts, kind, data) VALUES (5.0, 'old', '{}')")
        await conn.close()

    async def reopen() -> tuple[int, list[tuple[int, str]], int]:
        db = await Database.open(path)
        try:
            event = db.events.append("new", ts=6.0)
            rows = [(e.seq, e.kind) async for e in db.events.read()]
            (version,), = await db.conn.execute_fetchall("PRAGMA user_version")
            return event.seq, rows, version
        finally:
            await db.close()

    asyncio.run(make_old())
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA user_version").fetchone()[0] == 1
        assert plain.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'bindings'").fetchone()[0] == 0
    seq, rows, version = asyncio.run(reopen())
    assert version == LATEST
    assert seq == 2
    assert rows == [(1, "old"), (2, "new")]
    with sqlite3.connect(path) as plain:
        assert plain.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'bindings'").fetchone()[0] == 1


def test_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    broken = (*MIGRATIONS, (LATEST + 1, "CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);"))

    async def main() -> tuple[int, int]:
        conn = await _connect(tmp_path / "b.db")
        try:
            with pytest.raises(StorageError, match=f"migration {LATEST + 1} failed"):
                await migrate(conn, broken)
            (half,), = await conn.execute_fetchall(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'")
            return await schema_version(conn), half
        finally:
            await conn.close()

    assert asyncio.run(main()) == (LATEST, 0)


def test_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as plain:
        plain.execute(f"PRAGMA user_version = {LATEST + 5}")

    async def main() -> None:
        await Database.open(path)

    with pytest.raises(StorageError, match="newer than this softswitch"):
        asyncio.run(main())


def test_migration_list_must_be_increasing(tmp_path: Path) -> None:
    async def main() -> None:
        conn = await _connect(tmp_path / "c.db")
        try:
            await migrate(conn, ((2, "SELECT 1"), (1, "SELECT 1")))
        finally:
            await conn.close()

    with pytest.raises(StorageError, match="increasing"):
        asyncio.run(main())
