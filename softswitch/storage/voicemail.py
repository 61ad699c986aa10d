"""Voicemail messages in SQLite: the rows behind each mailbox and its lamp.

Rows are written through the single writer (never waiting); the id of a new message is
taken here first, so the call layer can name the message before the row is committed.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from softswitch.storage.writer import Writer

FIELDS = ("id", "mailbox", "caller", "received_at", "duration", "path", "status")


@dataclass(frozen=True)
class VoicemailMessage:
    id: int
    mailbox: str
    caller: str
    received_at: float
    duration: float
    path: str
    status: str  # "new" or "saved"


class VoicemailRepository:
    def __init__(self, conn: aiosqlite.Connection, writer: Writer, next_id: int) -> None:
        self._conn = conn
        self._writer = writer
        self._next_id = next_id

    @classmethod
    async def attach(cls, conn: aiosqlite.Connection, writer: Writer) -> VoicemailRepository:
        # AUTOINCREMENT's counter: an id is never reused, even after its row is deleted,
        # so a message's file name stays its own
        rows = list(await conn.execute_fetchall(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence "
            "WHERE name = 'voicemail_messages'), 0), "
            "(SELECT COALESCE(MAX(id), 0) FROM voicemail_messages))"))
        return cls(conn, writer, int(rows[0][0]) + 1)

    @property
    def next_id(self) -> int:
        """The id the next `add` gives, so the message's file can be named first."""
        return self._next_id

    def add(self, mailbox: str, caller: str, received_at: float, duration: float,
            path: str) -> VoicemailMessage:
        message = VoicemailMessage(self._next_id, mailbox, caller, received_at, duration,
                                   path, "new")
        self._next_id += 1
        self._writer.submit(
            f"INSERT INTO voicemail_messages ({', '.join(FIELDS)}) VALUES "
            f"({', '.join('?' * len(FIELDS))})",
            tuple(getattr(message, name) for name in FIELDS))
        return message

    def mark_saved(self, message_id: int) -> None:
        self._writer.submit("UPDATE voicemail_messages SET status = 'saved' WHERE id = ?",
                            (message_id,))

    def delete(self, message_id: int) -> None:
        self._writer.submit("DELETE FROM voicemail_messages WHERE id = ?", (message_id,))

    async def load(self) -> list[VoicemailMessage]:
        """Every message, new before saved, oldest first; pending writes flushed first."""
        await self._writer.flush()
        rows = await self._conn.execute_fetchall(
            f"SELECT {', '.join(FIELDS)} FROM voicemail_messages "
            "ORDER BY mailbox, status = 'saved', received_at, id")
        return [VoicemailMessage(*row) for row in rows]
