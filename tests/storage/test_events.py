import asyncio
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from softswitch.storage import Database, Event, SubscriptionClosed


def run(path: Path, body: Callable[[Database], Awaitable[Any]], **options: Any) -> Any:
    async def main() -> Any:
        db = await Database.open(path, **options)
        try:
            return await body(db)
        finally:
            await db.close()
    return asyncio.run(main())


def test_append_assigns_sequence_in_append_order(tmp_path: Path) -> None:
    async def body(db: Database) -> tuple[list[Event], list[Event]]:
        appended = [
            db.events.append("call.offered", ts=100.0, call_id="c1", caller="1001"),
            db.events.append("call.enqueued", ts=100.5, call_id="c1", queue="sales"),
            db.events.append("agent.state", ts=99.0, agent="a1", state="available"),
        ]
        return appended, [e async for e in db.events.read()]

    appended, read = run(tmp_path / "e.db", body)
    assert [e.seq for e in appended] == [1, 2, 3]
    assert read == appended
    assert read[0].data == {"caller": "1001"}
    assert read[2].agent == "a1" and read[2].ts == 99.0


def test_many_appends_are_written_in_few_transactions(tmp_path: Path) -> None:
    async def body(db: Database) -> tuple[int, int, list[int]]:
        for n in range(3000):
            db.events.append("tick", ts=float(n), n=n)
        await db.events.flush()
        seqs = [e.seq async for e in db.events.read()]
        return db.writer.stats.transactions, db.writer.stats.statements, seqs

    transactions, statements, seqs = run(tmp_path / "e.db", body, max_batch=1000)
    assert statements == 3000
    assert transactions <= 4
    assert seqs == list(range(1, 3001))


def test_events_survive_a_restart_and_the_sequence_continues(tmp_path: Path) -> None:
    path = tmp_path / "e.db"

    async def first(db: Database) -> None:
        db.events.append("call.offered", ts=1.0, call_id="x", caller="1001")
        db.events.append("call.hungup", ts=2.0, call_id="x", cause="normal")

    async def second(db: Database) -> tuple[int, list[tuple[int, str, dict[str, Any]]]]:
        assert db.events.last_seq == 2
        db.events.append("call.offered", ts=3.0, call_id="y")
        return db.events.last_seq, [(e.seq, e.kind, dict(e.data)) async for e in db.events]

    run(path, first)  # no flush: close() must commit it
    last, rows = run(path, second)
    assert last == 3
    assert rows == [(1, "call.offered", {"caller": "1001"}),
                    (2, "call.hungup", {"cause": "normal"}),
                    (3, "call.offered", {})]


def test_read_filters(tmp_path: Path) -> None:
    async def body(db: Database) -> dict[str, list[int]]:
        log = db.events
        log.append("call.offered", ts=10.0, call_id="a")
        log.append("call.enqueued", ts=11.0, call_id="a", queue="sales")
        log.append("agent.state", ts=12.0, agent="ann")
        log.append("call.answered", ts=13.0, call_id="a", queue="sales", agent="ann")
        log.append("call.offered", ts=14.0, call_id="b")

        async def seqs(**kw: Any) -> list[int]:
            return [e.seq async for e in log.read(**kw)]

        return {
            "kinds": await seqs(kinds=["call.offered", "call.answered"]),
            "no kinds": await seqs(kinds=[]),
            "since": await seqs(since_seq=3),
            "window": await seqs(start_ts=11.0, end_ts=13.0),
            "call": await seqs(call_id="a"),
            "queue": await seqs(queue="sales"),
            "agent": await seqs(agent="ann"),
            "limit": await seqs(limit=2, since_seq=1),
            "pages": await seqs(page_size=2),
            "pages+limit": await seqs(page_size=2, limit=3),
        }

    got = run(tmp_path / "e.db", body)
    assert got == {
        "kinds": [1, 4, 5], "no kinds": [], "since": [4, 5], "window": [2, 3],
        "call": [1, 2, 4], "queue": [2, 4], "agent": [3, 4], "limit": [2, 3],
        "pages": [1, 2, 3, 4, 5], "pages+limit": [1, 2, 3],
    }


def test_subscriber_sees_events_at_once(tmp_path: Path) -> None:
    async def body(db: Database) -> tuple[list[int], list[int], int]:
        everything = db.events.subscribe()
        calls_only = db.events.subscribe(kinds={"call.offered"})
        db.events.append("call.offered", ts=1.0, call_id="a")
        db.events.append("agent.state", ts=2.0, agent="x")
        pending_writes = db.writer.pending  # not yet on disk, already delivered
        got_all = [everything.get_nowait().seq, (await everything.get()).seq]
        got_calls = [calls_only.get_nowait().seq]
        with pytest.raises(asyncio.QueueEmpty):
            calls_only.get_nowait()
        return got_all, got_calls, pending_writes

    got_all, got_calls, pending = run(tmp_path / "e.db", body)
    assert got_all == [1, 2]
    assert got_calls == [1]
    assert pending == 2


def test_slow_subscriber_is_cut_off_not_waited_for(tmp_path: Path) -> None:
    async def body(db: Database) -> tuple[bool, list[int], int, int]:
        slow = db.events.subscribe(maxsize=3)
        fast = db.events.subscribe(maxsize=100)
        for n in range(5):
            db.events.append("tick", ts=float(n))
        drained = [e.seq async for e in slow]  # what it had, then the end
        fast_seqs = [fast.get_nowait().seq for _ in range(5)]
        return slow.lost, drained, len(fast_seqs), db.events.subscriber_count

    lost, drained, fast_count, subscribers = run(tmp_path / "e.db", body)
    assert lost
    assert drained == [1, 2, 3]
    assert fast_count == 5
    assert subscribers == 1


def test_closing_wakes_a_waiting_subscriber(tmp_path: Path) -> None:
    async def body(db: Database) -> tuple[list[int], bool]:
        sub = db.events.subscribe()

        async def consume() -> list[int]:
            return [e.seq async for e in sub]

        task = asyncio.create_task(consume())
        await asyncio.sleep(0)
        db.events.append("tick", ts=1.0)
        await asyncio.sleep(0)
        sub.close()
        seqs = await asyncio.wait_for(task, 2)
        with pytest.raises(SubscriptionClosed):
            await sub.get()
        return seqs, sub.lost

    assert run(tmp_path / "e.db", body) == ([1], False)


def test_close_of_the_database_ends_subscriptions(tmp_path: Path) -> None:
    async def main() -> bool:
        db = await Database.open(tmp_path / "e.db")
        sub = db.events.subscribe()
        await db.close()
        return sub.closed

    assert asyncio.run(main())


@pytest.mark.parametrize(("kind", "kwargs", "words"), [
    ("", {"ts": 1.0}, "kind must be a non-empty string"),
    ("x", {"ts": math.nan}, "finite number"),
    ("x", {"ts": "now"}, "finite number"),
    ("x", {"ts": 1.0, "call_id": 5}, "call_id must be a string"),
    ("x", {"ts": 1.0, "blob": object()}, "not JSON"),
    ("x", {"ts": 1.0, "ratio": math.inf}, "not JSON"),
])
def test_bad_events_are_refused_and_take_no_sequence(
        tmp_path: Path, kind: str, kwargs: dict[str, Any], words: str) -> None:
    async def body(db: Database) -> tuple[str, int]:
        with pytest.raises(ValueError) as info:
            db.events.append(kind, **kwargs)
        return str(info.value), db.events.append("ok", ts=1.0).seq

    message, next_seq = run(tmp_path / "e.db", body)
    assert words in message
    assert next_seq == 1
