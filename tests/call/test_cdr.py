from __future__ import annotations

import json
import sqlite3

from softswitch.call.cdr import CallRecord, Disposition, HangupSide, LegRecord, insert_row
from softswitch.storage.migrations import MIGRATIONS


def _record(answered: float | None) -> CallRecord:
    return CallRecord("c1", "1001", "1002", 100.0, answered, 130.0,
                      Disposition.ANSWERED if answered else Disposition.NO_ANSWER,
                      HangupSide.CALLER, 200 if answered else 480,
                      (LegRecord(1, "caller", "udp:127.0.0.1:5061", 200),
                       LegRecord(2, "callee", "sip:1002@127.0.0.1:5062", 200)))


def test_ring_and_talk_seconds() -> None:
    answered = _record(104.5)
    assert (answered.ring_seconds, answered.talk_seconds) == (4.5, 25.5)
    missed = _record(None)
    assert (missed.ring_seconds, missed.talk_seconds) == (30.0, 0.0)


def test_a_record_is_stored_by_the_migrated_schema() -> None:
    conn = sqlite3.connect(":memory:")
    for _, sql in MIGRATIONS:
        conn.executescript(sql)
    record = _record(104.5).with_quality({2: {"mos": 4.2}})
    conn.execute(*insert_row(record))
    row = conn.execute("SELECT caller, callee, disposition, hangup_side, talk_seconds, legs "
                       "FROM cdrs").fetchone()
    assert row[:5] == ("1001", "1002", "answered", "caller", 25.5)
    legs = json.loads(row[5])
    assert [leg["quality"] for leg in legs] == [None, {"mos": 4.2}]
