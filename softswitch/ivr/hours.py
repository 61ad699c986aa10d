"""Business hours: a weekly schedule in a time zone, and holidays, read from a wall time."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def parse_range(text: str) -> tuple[int, int]:
    """"09:00-17:30" -> minutes since midnight (540, 1050); the end is exclusive."""
    m = _RANGE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a time range like 09:00-17:00")
    start = int(m[1]) * 60 + int(m[2])
    end = int(m[3]) * 60 + int(m[4])
    if end > 24 * 60 or end <= start:
        raise ValueError(f"{text!r}: the end must be after the start, at most 24:00")
    return start, end


def schedule_errors(timezone: object, schedule: object, holidays: object) -> list[str]:
    errors = []
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"key 'timezone': unknown time zone {timezone!r}")
    if not isinstance(schedule, Mapping):
        errors.append("key 'schedule': must be a table of day -> list of ranges")
    else:
        for day, ranges in schedule.items():
            if day not in DAYS:
                errors.append(f"key 'schedule.{day}': day must be one of {', '.join(DAYS)}")
                continue
            if not isinstance(ranges, Sequence) or isinstance(ranges, str):
                errors.append(f"key 'schedule.{day}': must be a list of ranges")
                continue
            for r in ranges:
                try:
                    parse_range(str(r))
                except ValueError as e:
                    errors.append(f"key 'schedule.{day}': {e}")
    if not isinstance(holidays, Sequence) or isinstance(holidays, str):
        errors.append("key 'holidays': must be a list of YYYY-MM-DD dates")
    else:
        for day in holidays:
            try:
                dt.date.fromisoformat(str(day))
            except ValueError:
                errors.append(f"key 'holidays': {day!r} is not a YYYY-MM-DD date")
    return errors


def is_open(wall: float, timezone: str, schedule: Mapping[str, Sequence[str]],
            holidays: Sequence[str] = ()) -> bool:
    """Whether the business is open at `wall` (seconds since the epoch)."""
    local = dt.datetime.fromtimestamp(wall, ZoneInfo(timezone))
    if local.date().isoformat() in {str(h) for h in holidays}:
        return False
    minute = local.hour * 60 + local.minute
    for text in schedule.get(DAYS[local.weekday()], ()):
        start, end = parse_range(text)
        if start <= minute < end:
            return True
    return False


def local_date(wall: float, timezone: str) -> str:
    """The calendar date (YYYY-MM-DD) at `wall` in `timezone`."""
    return dt.datetime.fromtimestamp(wall, ZoneInfo(timezone)).date().isoformat()
