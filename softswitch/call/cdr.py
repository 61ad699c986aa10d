"""The call detail record: one row per call, written when its last leg is gone."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any


class Disposition(Enum):
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    CANCELLED = "cancelled"
    FAILED = "failed"


class HangupSide(Enum):
    CALLER = "caller"
    CALLEE = "callee"
    SWITCH = "switch"
    #: the switch, because a leg's phone stopped sending RTP and RTCP (a dead phone)
    MEDIA_TIMEOUT = "media_timeout"


@dataclass(frozen=True)
class LegRecord:
    leg: int
    role: str  # "caller" or "callee"
    peer: str  # the contact or source it talked to
    status: int | None  # the final answer it gave or got
    quality: dict[str, Any] | None = None


@dataclass(frozen=True)
class CallRecord:
    call_id: str
    caller: str
    callee: str
    started_at: float  # wall clock
    answered_at: float | None
    ended_at: float
    disposition: Disposition
    hangup_side: HangupSide | None
    sip_status: int | None  # the final status the caller got
    legs: tuple[LegRecord, ...] = field(default=())

    @property
    def ring_seconds(self) -> float:
        until = self.answered_at if self.answered_at is not None else self.ended_at
        return max(0.0, until - self.started_at)

    @property
    def talk_seconds(self) -> float:
        if self.answered_at is None:
            return 0.0
        return max(0.0, self.ended_at - self.answered_at)

    def with_quality(self, quality: dict[int, dict[str, Any]]) -> CallRecord:
        legs = tuple(replace(leg, quality=quality.get(leg.leg, leg.quality))
                     for leg in self.legs)
        return replace(self, legs=legs)


INSERT_SQL = (
    "INSERT INTO cdrs (call_id, caller, callee, started_at, answered_at, ended_at, "
    "ring_seconds, talk_seconds, disposition, hangup_side, sip_status, legs) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def insert_row(record: CallRecord) -> tuple[str, tuple[Any, ...]]:
    """The statement and parameters that store `record` (migration 3's table)."""
    legs = json.dumps([asdict(leg) for leg in record.legs], separators=(",", ":"))
    return INSERT_SQL, (
        record.call_id, record.caller, record.callee, record.started_at,
        record.answered_at, record.ended_at, round(record.ring_seconds, 3),
        round(record.talk_seconds, 3), record.disposition.value,
        None if record.hangup_side is None else record.hangup_side.value,
        record.sip_status, legs)
