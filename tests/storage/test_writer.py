import asyncio
import logging
from pathlib import Path

import aiosqlite
import pytest

from softswitch.storage.writer import Writer

INSERT = "INSERT INTO t (n) VALUES (?)"


async def _conn(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    await conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER UNIQUE)")
    return conn


def test_many_submits_few_transactions_in_order(tmp_path: Path) -> None:
    async def main() -> tuple[int, list[int]]:
        conn = await _conn(tmp_path / "w.db")
        writer = Writer(conn, max_batch=1000)
        writer.start()
        order = [7, 3, 9, *range(10, 5010)]
        writer.submit("INSERT INTO t (n) SELECT ?", (order[0],))  # a different statement
        for n in order[1:]:
            writer.submit(INSERT, (n,))
        await writer.stop()
        rows = await conn.execute_fetchall("SELECT n FROM t ORDER BY id")
        await conn.close()
        return writer.stats.transactions, [r[0] for r in rows]

    transactions, rows = asyncio.run(main())
    assert transactions <= 6  # 5002 statements, batches of at most 1000
    assert rows == [7, 3, 9, *range(10, 5010)]


def test_a_bad_statement_does_not_lose_its_batch(tmp_path: Path) -> None:
    async def main() -> tuple[list[int], int]:
        conn = await _conn(tmp_path / "w.db")
        writer = Writer(conn)
        writer.submit(INSERT, (1,))
        writer.submit(INSERT, (1,))  # unique constraint violation
        writer.submit(INSERT, (2,))
        writer.submit("DELETE FROM missing_table", ())
        writer.submit(INSERT, (3,))
        await writer.flush()
        rows = await conn.execute_fetchall("SELECT n FROM t ORDER BY n")
        await conn.close()
        return [r[0] for r in rows], writer.stats.failed

    assert asyncio.run(main()) == ([1, 2, 3], 2)


def test_full_queue_refuses_and_counts(tmp_path: Path) -> None:
    async def main() -> tuple[list[bool], int, int]:
        conn = await _conn(tmp_path / "w.db")
        writer = Writer(conn, max_pending=3)
        accepted = [writer.submit(INSERT, (n,)) for n in range(5)]
        await writer.flush()
        (count,), = await conn.execute_fetchall("SELECT COUNT(*) FROM t")
        await conn.close()
        return accepted, writer.stats.dropped, count

    assert asyncio.run(main()) == ([True, True, True, False, False], 2, 3)


def test_flush_while_the_task_writes_keeps_one_transaction_at_a_time(tmp_path: Path) -> None:
    async def main() -> list[int]:
        conn = await _conn(tmp_path / "w.db")
        writer = Writer(conn, max_batch=50)
        writer.start()
        for round_ in range(20):
            for n in range(round_ * 100, round_ * 100 + 100):
                writer.submit(INSERT, (n,))
            if round_ % 3 == 0:
                await writer.flush()
            else:
                await asyncio.sleep(0)
        await writer.stop()
        rows = await conn.execute_fetchall("SELECT n FROM t ORDER BY id")
        await conn.close()
        return [r[0] for r in rows]

    assert asyncio.run(main()) == list(range(2000))


def test_a_dead_writer_task_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        conn = await _conn(tmp_path / "w.db")
        writer = Writer(conn)
        writer.start()
        await conn.close()  # the disk is gone from under it
        writer.submit(INSERT, (1,))
        for _ in range(100):
            if any(r.levelno == logging.CRITICAL for r in caplog.records):
                break
            await asyncio.sleep(0.005)

    with caplog.at_level(logging.CRITICAL, logger="softswitch.storage.writer"):
        asyncio.run(main())
    assert any("storage writer stopped" in r.getMessage() for r in caplog.records)
