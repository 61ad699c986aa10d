"""A queue's figures for today, folded from events one at a time.

The same fold serves `queue.status` (over today's stored events) and the wallboard (over
the live stream), so the two always agree.

Service level = calls answered within T seconds / (calls answered + calls abandoned);
abandons count against it however short. Abandonment = abandoned / (answered + abandoned).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

DEFAULT_SERVICE_LEVEL_SECONDS = 20


@dataclass
class QueueDay:
    answered: int = 0
    answered_in_time: int = 0
    abandoned: int = 0

    def add(self, kind: str, data: dict[str, Any], threshold: float) -> None:
        if kind == "call.answered":
            self.answered += 1
            if float(data.get("wait", 0.0)) <= threshold:
                self.answered_in_time += 1
        elif kind == "call.abandoned":
            self.abandoned += 1

    @property
    def handled(self) -> int:
        return self.answered + self.abandoned

    def service_level(self) -> float | None:
        """0..1, None with no calls yet."""
        return self.answered_in_time / self.handled if self.handled else None

    def abandonment(self) -> float | None:
        return self.abandoned / self.handled if self.handled else None

    def to_json(self) -> dict[str, Any]:
        return {"answered": self.answered, "answered_in_time": self.answered_in_time,
                "abandoned": self.abandoned, "service_level": self.service_level(),
                "abandonment": self.abandonment()}


#: the event kinds the fold reads
KINDS = ("call.answered", "call.abandoned")


def start_of_day(wall: float) -> float:
    """Local midnight before `wall`, in seconds since the epoch."""
    moment = datetime.datetime.fromtimestamp(wall).astimezone()
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.timestamp()
