"""The single writer: every write of the switch goes through one queue and is committed
in batches, one transaction per batch, so callers on the event loop never wait for disk.

`submit()` is synchronous and O(1). One task drains the queue; `flush()` waits until
everything submitted so far is committed (it drains under the same lock, so there is
never more than one transaction open).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

Statement = tuple[str, Sequence[Any]]


@dataclass
class WriterStats:
    transactions: int = 0
    statements: int = 0
    #: statements refused because the queue was full (the disk is not keeping up)
    dropped: int = 0
    #: statements SQLite rejected; the rest of their batch is still committed
    failed: int = 0


class Writer:
    def __init__(self, conn: aiosqlite.Connection, *, max_batch: int = 2000,
                 max_pending: int = 200_000) -> None:
        self._conn = conn
        self._pending: deque[Statement] = deque()
        self._max_batch = max_batch
        self._max_pending = max_pending
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.stats = WriterStats()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def submit(self, sql: str, params: Sequence[Any]) -> bool:
        """Queue one statement; False (and logged) when the queue is full."""
        if len(self._pending) >= self._max_pending:
            if self.stats.dropped == 0:
                log.error("storage queue full (%d): dropping writes", self._max_pending)
            self.stats.dropped += 1
            return False
        self._pending.append((sql, params))
        self._wake.set()
        return True

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(),
                                                                name="storage-writer")
            self._task.add_done_callback(self._report_crash)

    def _report_crash(self, task: asyncio.Task[None]) -> None:
        """A writer that died must be loud: nothing would be saved after it."""
        if not task.cancelled() and task.exception() is not None:
            log.critical("storage writer stopped: %r; writes now wait for flush()",
                         task.exception())

    async def stop(self) -> None:
        """Commit everything queued, then end the task."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            task, self._task = self._task, None
            await task
        await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            while self._pending:
                await self._commit_batch()

    async def _run(self) -> None:
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()

    async def _commit_batch(self) -> None:
        count = min(len(self._pending), self._max_batch)
        batch = [self._pending.popleft() for _ in range(count)]
        try:
            await self._execute_in_transaction(batch)
        except sqlite3.Error as exc:
            log.warning("batch of %d writes failed (%s); retrying one by one", count, exc)
            for statement in batch:
                try:
                    await self._execute_in_transaction([statement])
                except sqlite3.Error as single:
                    self.stats.failed += 1
                    log.error("write failed and was dropped: %s: %s", statement[0], single)

    async def _execute_in_transaction(self, batch: list[Statement]) -> None:
        conn = self._conn
        await conn.execute("BEGIN")
        try:
            # consecutive statements with the same SQL go down in one executemany
            start = 0
            while start < len(batch):
                sql = batch[start][0]
                end = start + 1
                while end < len(batch) and batch[end][0] == sql:
                    end += 1
                if end - start == 1:
                    await conn.execute(sql, batch[start][1])
                else:
                    await conn.executemany(sql, [params for _, params in batch[start:end]])
                start = end
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.rollback()
            raise
        self.stats.transactions += 1
        self.stats.statements += len(batch)
