"""Registrar bindings on disk, so phones stay reachable across a restart.

The registrar keeps live bindings in memory; this table is its write-behind copy, written
through the single writer and read once at start. Records are any object with the
`BINDING_FIELDS` attributes (those of `softswitch.call.location.Binding`);
`load_bindings()` builds them with the given factory: pass `Binding` to get exactly the
registrar's dataclass back (storage does not import `call`, which sits above it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import aiosqlite

from softswitch.storage.writer import Writer

BINDING_FIELDS = ("aor", "contact", "expires_at", "call_id", "cseq", "registered_at",
                  "refreshed_at", "source_transport", "source_host", "source_port",
                  "connection_id", "q", "user_agent", "instance")

_UPSERT = (f"INSERT INTO bindings ({', '.join(BINDING_FIELDS)}) "
           f"VALUES ({', '.join('?' * len(BINDING_FIELDS))}) "
           "ON CONFLICT (aor, contact) DO UPDATE SET "
           + ", ".join(f"{name} = excluded.{name}" for name in BINDING_FIELDS[2:]))
_DELETE_ONE = "DELETE FROM bindings WHERE aor = ? AND contact = ?"
_DELETE_AOR = "DELETE FROM bindings WHERE aor = ?"
_DELETE_EXPIRED = "DELETE FROM bindings WHERE expires_at <= ?"


@dataclass(frozen=True, slots=True)
class StoredBinding:
    """The fields of `softswitch.call.location.Binding`, for storage used without it."""

    #: the address of record's user part, e.g. "1001"
    aor: str
    contact: str
    #: wall clock, seconds since the epoch (so are the other times)
    expires_at: float
    call_id: str
    cseq: int
    registered_at: float
    refreshed_at: float
    #: where the REGISTER came from: the flow to send requests back on
    source_transport: str
    source_host: str
    source_port: int
    connection_id: str = ""
    q: float | None = None
    user_agent: str = ""
    instance: str = ""


class BindingRecord(Protocol):
    aor: str
    contact: str
    expires_at: float
    call_id: str
    cseq: int
    registered_at: float
    refreshed_at: float
    source_transport: str
    source_host: str
    source_port: int
    connection_id: str
    q: float | None
    user_agent: str
    instance: str


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
