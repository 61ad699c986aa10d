"""Staffing from targets and from the hand-built day's history."""

from __future__ import annotations

import pytest

from softswitch.reports.erlang import erlang_a, service_level
from softswitch.reports.staffing import Target, figures, history, needed, plan, table

from .day import T0, day_events

H = 3600.0


def test_target_parsing() -> None:
    assert Target.parse("80/20") == Target(0.8, 20.0)
    for bad in ("80", "120/20", "0/20", "80/-1", "x/y"):
        with pytest.raises(ValueError, match="80/20"):
            Target.parse(bad)


def test_erlang_c_table_around_the_published_example() -> None:
    # Call Centre Helper: 100 calls per half hour, AHT 180 s, 80/20 -> 14 agents
    n, rows = table(100 / 1800, 180.0, Target(0.8, 20))
    assert n == 14
    assert [r.agents for r in rows] == [13, 14, 15, 16]
    assert rows[0].service_level < 0.8 <= rows[1].service_level
    assert rows[1].service_level == pytest.approx(0.888, abs=0.002)
    assert rows[1].occupancy == pytest.approx(10 / 14)


def test_occupancy_cap_adds_agents() -> None:
    assert needed(100 / 1800, 180.0, Target(0.8, 20), max_occupancy=0.65) == 16  # 10/16


def test_erlang_a_needs_fewer_agents_when_callers_give_up() -> None:
    target = Target(0.8, 20)
    n = needed(100 / 1800, 180.0, target, patience=120.0)
    assert n < 14
    a = erlang_a(100 / 1800, 180.0, n, 120.0, 20)
    assert a.service_level >= 0.8 > erlang_a(100 / 1800, 180.0, n - 1, 120.0, 20).service_level
    assert figures(100 / 1800, 180.0, n, target, 120.0).abandon_rate == \
        pytest.approx(a.p_abandon)


def test_history_of_the_day_by_hand() -> None:
    nine, ten = history(day_events(), T0, T0 + 2 * H, H)
    # 09:00: c1..c5 offered; c1, c2, c5 handled (talk 200, 300, 300; wrap 30 each)
    assert (nine.offered, nine.handled, nine.abandoned) == (5, 3, 2)
    assert nine.rate == pytest.approx(5 / 3600)
    assert nine.aht == pytest.approx((200 + 300 + 300 + 3 * 30) / 3)
    # total wait 10 + 30 + 3 + 60 + 120 over 2 abandons
    assert nine.patience == pytest.approx((10 + 30 + 3 + 60 + 120) / 2)
    # 10:00: c6 overflowed after 100 s and was handled as a callback (100 + 30)
    assert (ten.offered, ten.handled, ten.abandoned, ten.aht) == (1, 1, 0, 130)
    assert ten.patience is None


def test_plan_uses_erlang_a_only_where_patience_was_measured() -> None:
    loads = history(day_events(), T0, T0 + 3 * H, H)
    nine, ten, eleven = plan(loads, Target(0.8, 20))
    assert nine.row is not None and nine.row.abandon_rate is not None
    assert nine.agents == needed(5 / 3600, 890 / 3, Target(0.8, 20), patience=111.5)
    assert ten.row is not None and ten.row.abandon_rate is None
    assert ten.agents == 1
    assert ten.row.service_level == pytest.approx(service_level(1 / 3600, 130, 1, 20))
    assert (eleven.agents, eleven.row) == (0, None)     # no calls in the third hour
