"""What the rest of the switch may ask of storage, as Protocols, so another backend
(PostgreSQL for several switches sharing state) can stand in for SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from typing import Any, Protocol

from softswitch.storage.events import Event, Subscription


class EventStore(Protocol):
    @property
    def last_seq(self) -> int: ...

    def append(self, kind: str, *, ts: float, call_id: str | None = None,
               queue: str | None = None, agent: str | None = None, **data: Any) -> Event: ...

    def subscribe(self, *, maxsize: int = ...,
                  kinds: Collection[str] | None = None) -> Subscription: ...

    def read(self, *, since_seq: int = 0, kinds: Collection[str] | None = None,
             start_ts: float | None = None, end_ts: float | None = None,
             call_id: str | None = None, queue: str | None = None,
             agent: str | None = None, limit: int | None = None,
             page_size: int = ...) -> AsyncIterator[Event]: ...

    async def flush(self) -> None: ...


class BindingStore(Protocol):
    def save_binding(self, binding: Any) -> None: ...

    def delete_binding(self, aor: str, contact: str) -> None: ...

    def delete_all(self, aor: str) -> None: ...

    def delete_expired(self, now_wall: float) -> None: ...

    async def load_bindings(self) -> list[Any]: ...

    async def flush(self) -> None: ...


class Storage(Protocol):
    @property
    def events(self) -> EventStore: ...

    @property
    def bindings(self) -> BindingStore: ...

    async def flush(self) -> None: ...

    async def close(self) -> None: ...
