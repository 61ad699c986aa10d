"""Forwarding and do-not-disturb as set from the phones, so they survive a restart.

One row per extension holding all of its rules; written through the single writer,
read once at start. Storage does not import `call`: rows come back as `StoredForwarding`.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from softswitch.storage.writer import Writer

FIELDS = ("extension", "forward_always", "forward_busy", "forward_no_answer", "dnd",
          "changed_at")

_UPSERT = (f"INSERT INTO forwarding ({', '.join(FIELDS)}) VALUES "
           f"({', '.join('?' * len(FIELDS))}) ON CONFLICT (extension) DO UPDATE SET "
           + ", ".join(f"{name} = excluded.{name}" for name in FIELDS[1:]))


@dataclass(frozen=True)
class StoredForwarding:
    extension: str
    forward_always: str
    forward_busy: str
    forward_no_answer: str
    dnd: bool
    changed_at: float


class ForwardingRepository:
    def __init__(self, conn: aiosqlite.Connection, writer: Writer) -> None:
        self._conn = conn
        self._writer = writer

    def save(self, row: StoredForwarding) -> None:
        """Insert or replace the extension's rules. Never waits."""
        self._writer.submit(_UPSERT, (row.extension, row.forward_always, row.forward_busy,
                                      row.forward_no_answer, int(row.dnd), row.changed_at))

    async def load(self) -> list[StoredForwarding]:
        """Every extension's rules, by extension; pending writes are flushed first."""
        await self._writer.flush()
        rows = await self._conn.execute_fetchall(
            f"SELECT {', '.join(FIELDS)} FROM forwarding ORDER BY extension")
        return [StoredForwarding(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows]


__all__ = ["ForwardingRepository", "StoredForwarding"]
