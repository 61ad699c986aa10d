import asyncio
import dataclasses
from dataclasses import replace
from pathlib import Path
from typing import Any

from softswitch.call.location import Binding
from softswitch.storage import BINDING_FIELDS, Database, StoredBinding


def binding(aor: str = "1001", contact: str = "sip:1001@10.0.0.5:5060",
            **changes: Any) -> StoredBinding:
    base = StoredBinding(aor=aor, contact=contact, expires_at=2000.0, call_id="abc@10.0.0.5",
                         cseq=3, registered_at=1000.0, refreshed_at=1000.0,
                         source_transport="UDP", source_host="10.0.0.5", source_port=5060,
                         q=1.0, user_agent="Yealink T46")
    return replace(base, **changes)


def test_save_update_delete_and_survive_restart(tmp_path: Path) -> None:
    path = tmp_path / "b.db"

    async def first() -> list[StoredBinding]:
        db = await Database.open(path)
        store = db.bindings
        store.save_binding(binding())
        store.save_binding(binding(contact="sip:1001@10.0.0.6:5060", q=None))
        store.save_binding(binding(cseq=4, expires_at=3000.0, refreshed_at=1500.0))  # refresh
        store.save_binding(binding(aor="1002", contact="sip:1002@10.0.0.7:5062",
                                   source_transport="TCP", connection_id="tcp-7",
                                   instance="<urn:uuid:1>"))
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
    tcp = binding(aor="1002", contact="sip:1002@10.0.0.7:5062", source_transport="TCP",
                  connection_id="tcp-7", instance="<urn:uuid:1>")
    assert loaded == [binding(cseq=4, expires_at=3000.0, refreshed_at=1500.0), tcp,
                      binding(aor="1003", contact="sip:1003@h", expires_at=500.0)]
    after_expiry, rest = asyncio.run(second())
    assert after_expiry == loaded[:2]
    assert rest == [tcp]


def test_missing_q_stays_missing(tmp_path: Path) -> None:
    async def main() -> list[StoredBinding]:
        db = await Database.open(tmp_path / "b.db")
        db.bindings.save_binding(binding(q=None))
        loaded = await db.bindings.load_bindings()
        await db.close()
        return loaded

    assert asyncio.run(main()) == [binding(q=None)]


def test_columns_are_the_registrar_binding_fields() -> None:
    assert tuple(f.name for f in dataclasses.fields(Binding)) == BINDING_FIELDS
    assert tuple(f.name for f in dataclasses.fields(StoredBinding)) == BINDING_FIELDS


def test_registrar_bindings_come_back_as_themselves(tmp_path: Path) -> None:
    original = Binding(aor="1001", contact="sip:1001@192.0.2.4:5060;transport=tcp",
                       expires_at=4000.5, call_id="c@x", cseq=12, registered_at=100.0,
                       refreshed_at=200.0, source_transport="TCP", source_host="192.0.2.4",
                       source_port=40000, connection_id="c1", q=0.7, user_agent="baresip",
                       instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>")

    async def main() -> list[Binding]:
        db = await Database.open(tmp_path / "b.db", binding_factory=Binding)
        db.bindings.save_binding(original)
        await db.close()
        db = await Database.open(tmp_path / "b.db", binding_factory=Binding)
        loaded = await db.bindings.load_bindings()
        await db.close()
        return loaded

    (loaded,) = asyncio.run(main())
    assert type(loaded) is Binding
    assert loaded == original


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
