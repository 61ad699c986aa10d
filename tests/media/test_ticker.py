from __future__ import annotations

import pytest

from softswitch.clock import ManualClock
from softswitch.media.ticker import Ticker


def test_ticks_come_at_absolute_deadlines_without_drift() -> None:
    clock = ManualClock(100.0)
    ticker = Ticker(start=clock.now())
    ran: list[int] = []
    for _ in range(50_000):  # 1000 s of ticks, each wake-up 3 ms late
        clock.set(ticker.next_deadline() + 0.003)
        due = ticker.due(clock.now())
        assert due.skipped == 0
        ran.extend(due.ticks)
    assert ran == list(range(50_000))
    # the deadline is start + n * period, not a sum of late periods
    assert ticker.next_deadline() == pytest.approx(100.0 + 50_000 * 0.02, abs=1e-6)
    stats = ticker.stats()
    assert stats.p50 == pytest.approx(0.003, abs=1e-6) and stats.on_time == 1.0


def test_nothing_due_before_the_deadline() -> None:
    ticker = Ticker(start=0.0)
    assert list(ticker.due(0.0).ticks) == [0]
    assert list(ticker.due(0.0199).ticks) == []
    assert list(ticker.due(0.02).ticks) == [1]  # exactly on the deadline counts


def test_late_ticks_are_caught_up_to_a_bound_and_the_rest_skipped() -> None:
    clock = ManualClock()
    ticker = Ticker(start=0.0, max_catch_up=5)
    ticker.due(clock.now())
    clock.advance(0.065)  # ticks 1, 2, 3 due: all caught up
    due = ticker.due(clock.now())
    assert list(due.ticks) == [1, 2, 3] and due.skipped == 0
    clock.advance(1.0)  # a one-second stall: ticks 4..53 due, only the last five run
    due = ticker.due(clock.now())
    assert list(due.ticks) == [49, 50, 51, 52, 53] and due.skipped == 45
    stats = ticker.stats()
    assert stats.skipped == 45 and stats.ticks == 9
    assert stats.max == pytest.approx(1.065 - 0.98)
    assert stats.on_time < 1.0
    assert ticker.next_deadline() == pytest.approx(54 * 0.02)


def test_lateness_percentiles() -> None:
    ticker = Ticker(start=0.0, on_time_within=0.005)
    for n in range(100):
        late = 0.010 if n % 10 == 0 else 0.001  # one tick in ten is 10 ms late
        ticker.due(n * 0.02 + late)
    stats = ticker.stats()
    assert stats.p50 == pytest.approx(0.001)
    assert stats.p99 == pytest.approx(0.010)
    assert stats.on_time == pytest.approx(0.9)


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        Ticker(start=0.0, period=0.0)
    with pytest.raises(ValueError):
        Ticker(start=0.0, max_catch_up=0)
