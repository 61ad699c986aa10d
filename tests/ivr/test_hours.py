"""Business hours from a wall time, in the schedule's own time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from softswitch.ivr.hours import is_open, local_date, parse_range

WEEKDAYS = {d: ["09:00-12:00", "13:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def at(tz: str, *when: int) -> float:
    return dt.datetime(*when, tzinfo=ZoneInfo(tz)).timestamp()


def test_parse_range() -> None:
    assert parse_range("09:00-17:30") == (540, 1050)
    assert parse_range("00:00-24:00") == (0, 1440)
    for bad in ("9-17", "17:00-09:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_range(bad)


def test_open_closed_and_lunch() -> None:
    tz = "Asia/Shanghai"
    assert is_open(at(tz, 2026, 11, 24, 9, 0), tz, WEEKDAYS)       # Tuesday
    assert not is_open(at(tz, 2026, 11, 24, 12, 30), tz, WEEKDAYS)
    assert not is_open(at(tz, 2026, 11, 24, 18, 0), tz, WEEKDAYS)  # end is exclusive
    assert not is_open(at(tz, 2026, 11, 28, 10, 0), tz, WEEKDAYS)  # Saturday


def test_time_zone_is_the_schedules() -> None:
    # 02:00 UTC on a Tuesday is 10:00 in Shanghai, 21:00 Monday in New York
    wall = at("UTC", 2026, 11, 24, 2, 0)
    assert is_open(wall, "Asia/Shanghai", WEEKDAYS)
    assert not is_open(wall, "America/New_York", WEEKDAYS)
    assert local_date(wall, "America/New_York") == "2026-11-23"


def test_holidays_close_the_day() -> None:
    tz = "Europe/Paris"
    wall = at(tz, 2026, 12, 25, 10, 0)
    assert is_open(wall, tz, WEEKDAYS)
    assert not is_open(wall, tz, WEEKDAYS, ["2026-12-25"])
