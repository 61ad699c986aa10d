"""The append-only event log: facts with a sequence number and a wall-clock time.

`append()` is synchronous and never blocks the event loop: the sequence number is assigned
in memory (continuing from the last one in the table), live subscribers see the event at
once, and the row goes to the single writer. Reports read the table back in `seq` order.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from softswitch.storage.writer import Writer

INSERT_EVENT = ("INSERT INTO events (seq, ts, kind, call_id, queue, agent, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)")
_COLUMNS = "seq, ts, kind, call_id, queue, agent, data"
DEFAULT_SUBSCRIBER_BUFFER = 1000


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    #: wall clock, seconds since the epoch
    ts: float
    kind: str
    call_id: str | None = None
    queue: str | None = None
    agent: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


class SubscriptionClosed(Exception):
    """The subscription ended: closed by its owner, by the log, or for falling behind."""


class Subscription:
    """A bounded live feed of events. A subscriber that falls `maxsize` events behind is
    cut off (`lost` becomes True) rather than slowing the switch down; it can read what
    it missed from the log by `seq`."""

    def __init__(self, maxsize: int, kinds: Collection[str] | None,
                 owner: EventLog) -> None:
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)
        self._kinds = frozenset(kinds) if kinds is not None else None
        self._owner = owner
        self.closed = False
        self.lost = False

    def offer(self, event: Event) -> None:
        if self.closed or (self._kinds is not None and event.kind not in self._kinds):
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.lost = True
            self._end()

    def _end(self) -> None:
        self.closed = True
        self._owner.unsubscribe(self)

    def close(self) -> None:
        if not self.closed:
            self._end()
            if not self._queue.full():
                self._queue.put_nowait(None)  # wakes a reader waiting on an empty queue

    def qsize(self) -> int:
        return self._queue.qsize()

    async def get(self) -> Event:
        if self.closed and self._queue.empty():
            raise SubscriptionClosed("lost: fell behind" if self.lost else "closed")
        event = await self._queue.get()
        if event is None:
            raise SubscriptionClosed("closed")
        return event

    def get_nowait(self) -> Event:
        """The next event; asyncio.QueueEmpty if none is waiting."""
        if self.closed and self._queue.empty():
            raise SubscriptionClosed("lost: fell behind" if self.lost else "closed")
        event = self._queue.get_nowait()
        if event is None:
            raise SubscriptionClosed("closed")
        return event

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self.get()
        except SubscriptionClosed:
            raise StopAsyncIteration from None


def _optional_text(name: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"event {name} must be a string or None, got {type(value).__name__}")
    return value


class EventLog:
    def __init__(self, conn: aiosqlite.Connection, writer: Writer, last_seq: int) -> None:
        self._conn = conn
        self._writer = writer
        self._seq = last_seq
        self._subscribers: list[Subscription] = []

    @classmethod
    async def attach(cls, conn: aiosqlite.Connection, writer: Writer) -> EventLog:
        """An EventLog continuing the sequence of the events already in the table."""
        async with conn.execute(
                "SELECT MAX(COALESCE((SELECT MAX(seq) FROM events), 0), "
                "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0))"
        ) as cursor:
            row = await cursor.fetchone()
        return cls(conn, writer, int(row[0]) if row else 0)

    @property
    def last_seq(self) -> int:
        return self._seq

    def append(self, kind: str, *, ts: float, call_id: str | None = None,
               queue: str | None = None, agent: str | None = None, **data: Any) -> Event:
        """Record one fact; returns it with its sequence number. Never waits."""
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"event kind must be a non-empty string, got {kind!r}")
        if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not math.isfinite(ts):
            raise ValueError(f"event ts must be a finite number of seconds, got {ts!r}")
        for name, value in (("call_id", call_id), ("queue", queue), ("agent", agent)):
            _optional_text(name, value)
        try:
            text = json.dumps(data, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"event {kind!r} data is not JSON: {exc}") from None
        self._seq += 1
        event = Event(self._seq, float(ts), kind, call_id, queue, agent, data)
        self._writer.submit(INSERT_EVENT, (event.seq, event.ts, kind, call_id, queue, agent,
                                           text))
        for subscriber in tuple(self._subscribers):
            subscriber.offer(event)
        return event

    def subscribe(self, *, maxsize: int = DEFAULT_SUBSCRIBER_BUFFER,
                  kinds: Collection[str] | None = None) -> Subscription:
        """A live feed of events appended from now on (optionally only some kinds)."""
        if maxsize < 1:
            raise ValueError("a subscription needs room for at least one event")
        subscription = Subscription(maxsize, kinds, self)
        self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def close_subscriptions(self) -> None:
        for subscription in tuple(self._subscribers):
            subscription.close()

    async def flush(self) -> None:
        await self._writer.flush()

    async def read(self, *, since_seq: int = 0, kinds: Collection[str] | None = None,
                   start_ts: float | None = None, end_ts: float | None = None,
                   call_id: str | None = None, queue: str | None = None,
                   agent: str | None = None, limit: int | None = None,
                   page_size: int = 1000) -> AsyncIterator[Event]:
        """Events after `since_seq` in order, optionally filtered; ts in [start_ts, end_ts).

        Everything appended before the call is flushed first, so it is included.
        """
        await self._writer.flush()
        where = ["seq > ?"]
        params: list[Any] = []
        if kinds is not None:
            kinds = list(kinds)
            if not kinds:
                return
            where.append(f"kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        for column, op, value in (("ts", ">=", start_ts), ("ts", "<", end_ts),
                                  ("call_id", "=", call_id), ("queue", "=", queue),
                                  ("agent", "=", agent)):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        sql = f"SELECT {_COLUMNS} FROM events WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?"
        after = since_seq
        remaining = limit
        while remaining is None or remaining > 0:
            size = page_size if remaining is None else min(page_size, remaining)
            rows = await self._conn.execute_fetchall(sql, (after, *params, size))
            for seq, ts, kind, row_call, row_queue, row_agent, data in rows:
                yield Event(seq, ts, kind, row_call, row_queue, row_agent, json.loads(data))
            if len(rows) < size:
                return
            after = rows[-1][0]
            if remaining is not None:
                remaining -= len(rows)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self.read()
