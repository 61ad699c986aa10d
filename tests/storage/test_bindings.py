import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from softswitch.storage import BINDING_FIELDS, Database, StoredBinding


def binding(aor: str = "1001", contact: str = "sip:1001@10.0.0.5:5060",
            **changes: Any) -> StoredBinding:
    base = StoredBinding(aor=aor, contact=contact, expires_at=2000.0, call_id="abc@10.0.0.5",
                         cseq=3, q=1.0, transport="udp", host="10.0.0.5", port=5060,
                         user_agent="Yealink T46", registered_at=1000.0)
    return replace(base, **changes)


def test_save_update_delete_and_survive_restart(tmp_path: Path) -> None:
    path = tmp_path / "b.db"

    async def first() -> list[StoredBinding]:
        db = await Database.open(path)
        store = db.bindings
        store.save_binding(binding())
        store.save_binding(binding(contact="sip:1001@10.0.0.6:5060", q=0.5))
        store.save_binding(binding(cseq=4, expires_at=3000.0))  # refresh replaces
        store.save_binding(binding(aor="1002", contact="sip:1002@10.0.0.7:5062"))
        store.save_binding(binding(aor="1003", contact="sip:1003@h", expires_at=500.0))
        store.delete_binding("1001", "sip:1001@10.0.0.6:5060")
        loaded = await store.load_bindings()
        await db.close()
        return loaded

    async def second() -> tuple[list[StoredBinding], list[StoredBinding]]:
        db = await Database.open(path)
        store = db.bindings
        store.delete_expired(1500.0)
        after_expiry = await store.load_bindings()
        store.delete_all("1001")
        rest = await store.load_bindings()
        await db.close()
        return after_expiry, rest

    loaded = asyncio.run(first())
    assert loaded == [binding(cseq=4, expires_at=3000.0),
                      binding(aor="1002", contact="sip:1002@10.0.0.7:5062"),
                      binding(aor="1003", contact="sip:1003@h", expires_at=500.0)]
    after_expiry, rest = asyncio.run(second())
    assert after_expiry == loaded[:2]
    assert rest == [binding(aor="1002", contact="sip:1002@10.0.0.7:5062")]


@dataclass(frozen=True)
class RegistrarBinding:
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


def test_records_of_another_dataclass_are_stored_and_returned_as_it(tmp_path: Path) -> None:
    async def main() -> list[RegistrarBinding]:
        db = await Database.open(tmp_path / "b.db", binding_factory=RegistrarBinding)
        db.bindings.save_binding(RegistrarBinding(**_fields(binding())))
        loaded = await db.bindings.load_bindings()
        await db.close()
        return loaded

    (loaded,) = asyncio.run(main())
    assert isinstance(loaded, RegistrarBinding)
    assert _fields(loaded) == _fields(binding())


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in BINDING_FIELDS}


def test_binding_writes_share_the_event_writer(tmp_path: Path) -> None:
    async def main() -> tuple[int, int]:
        db = await Database.open(tmp_path / "b.db")
        db.events.append("registered", ts=1.0, aor="1001")
        db.bindings.save_binding(binding())
        db.events.append("registered", ts=2.0, aor="1002")
        pending = db.writer.pending
        await db.flush()
        transactions = db.writer.stats.transactions
        await db.close()
        return pending, transactions

    assert asyncio.run(main()) == (3, 1)
