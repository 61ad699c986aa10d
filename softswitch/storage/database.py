"""The SQLite database of one switch: connection settings, migrations, the single writer,
and the repositories that share it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite

from softswitch.storage.bindings import BindingRepository, StoredBinding
from softswitch.storage.events import EventLog
from softswitch.storage.migrations import MIGRATIONS, Migration, migrate
from softswitch.storage.writer import Writer

PRAGMAS = (
    "PRAGMA journal_mode = WAL",        # readers (reports) never block the writer
    "PRAGMA synchronous = NORMAL",      # safe with WAL; a power cut may lose the last batch
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
)


class Database:
    """Open with `await Database.open(path)`; close with `await db.close()`, which commits
    everything still queued."""

    def __init__(self, conn: aiosqlite.Connection, writer: Writer, events: EventLog,
                 bindings: BindingRepository[Any], path: Path) -> None:
        self.conn = conn
        self.writer = writer
        self.events = events
        self.bindings = bindings
        self.path = path

    @classmethod
    async def open(cls, path: Path | str, *, migrations: tuple[Migration, ...] = MIGRATIONS,
                   binding_factory: Callable[..., Any] = StoredBinding,
                   max_batch: int = 2000, max_pending: int = 200_000,
                   start: bool = True) -> Database:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            for pragma in PRAGMAS:
                await conn.execute(pragma)
            await migrate(conn, migrations)
            writer = Writer(conn, max_batch=max_batch, max_pending=max_pending)
            events = await EventLog.attach(conn, writer)
        except BaseException:
            await conn.close()
            raise
        db = cls(conn, writer, events, BindingRepository(conn, writer, binding_factory), path)
        if start:
            writer.start()
        return db

    def start(self) -> None:
        """Start the writer task (done by `open` unless start=False)."""
        self.writer.start()

    async def flush(self) -> None:
        await self.writer.flush()

    async def close(self) -> None:
        self.events.close_subscriptions()
        try:
            await self.writer.stop()
        finally:
            await self.conn.close()
