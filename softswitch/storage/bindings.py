"""Registrar bindings on disk, so phones stay reachable across a restart.

The registrar keeps live bindings in memory; this table is its write-behind copy, written
through the single writer and read once at start. Records are any object with the
`BINDING_FIELDS` attributes; `load_bindings()` builds them with the given factory
(`StoredBinding` unless the registrar supplies its own dataclass of the same fields).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import aiosqlite

from softswitch.storage.writer import Writer

BINDING_FIELDS = ("aor", "contact", "expires_at", "call_id", "cseq", "q", "transport", "host",
                  "port", "user_agent", "registered_at")

_UPSERT = (f"INSERT INTO bindings ({', '.join(BINDING_FIELDS)}) "
           f"VALUES ({', '.join('?' * len(BINDING_FIELDS))}) "
           "ON CONFLICT (aor, contact) DO UPDATE SET "
           + ", ".join(f"{name} = excluded.{name}" for name in BINDING_FIELDS[2:]))
_DELETE_ONE = "DELETE FROM bindings WHERE aor = ? AND contact = ?"
_DELETE_AOR = "DELETE FROM bindings WHERE aor = ?"
_DELETE_EXPIRED = "DELETE FROM bindings WHERE expires_at <= ?"


@dataclass(frozen=True, slots=True)
class StoredBinding:
    #: the address of record's user part, e.g. "1001"
    aor: str
    contact: str
    #: wall clock, seconds since the epoch
    expires_at: float
    call_id: str
    cseq: int
    q: float
    #: where the REGISTER came from: the flow to send requests back on
    transport: str
    host: str
    port: int
    user_agent: str
    registered_at: float


class BindingRecord(Protocol):
    aor: str
    contact: str
    expires_at: float
    call_id: str
    cseq: int
    q: float
    transport: str
    host: str
    port: int
    user_agent: str
    registered_at: float


B = TypeVar("B")


class BindingRepository(Generic[B]):
    def __init__(self, conn: aiosqlite.Connection, writer: Writer,
                 factory: Callable[..., B] = StoredBinding) -> None:  # type: ignore[assignment]
        self._conn = conn
        self._writer = writer
        self._factory = factory

    def save_binding(self, binding: BindingRecord | Any) -> None:
        """Insert or replace the binding of (aor, contact). Never waits."""
        self._writer.submit(_UPSERT, tuple(getattr(binding, name) for name in BINDING_FIELDS))

    def delete_binding(self, aor: str, contact: str) -> None:
        self._writer.submit(_DELETE_ONE, (aor, contact))

    def delete_all(self, aor: str) -> None:
        self._writer.submit(_DELETE_AOR, (aor,))

    def delete_expired(self, now_wall: float) -> None:
        """Drop bindings whose expiry has passed (at start, after a long stop)."""
        self._writer.submit(_DELETE_EXPIRED, (now_wall,))

    async def flush(self) -> None:
        await self._writer.flush()

    async def load_bindings(self) -> list[B]:
        """Every stored binding, by aor then contact; pending writes are flushed first."""
        await self._writer.flush()
        rows = await self._conn.execute_fetchall(
            f"SELECT {', '.join(BINDING_FIELDS)} FROM bindings ORDER BY aor, contact")
        return [self._factory(**dict(zip(BINDING_FIELDS, row, strict=True))) for row in rows]
