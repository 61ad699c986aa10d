"""The what-if simulator: the real ACD against Erlang C, replays, and speed."""

from __future__ import annotations

import math
import time

import pytest

from softswitch.reports.erlang import erlang_c, service_level
from softswitch.reports.simulate import (
    Arrival,
    Scenario,
    arrivals_from_events,
    simulate,
    synthetic,
)

from .day import T0, day_events


def _batch_means(values: list[float], batches: int = 20) -> tuple[float, float]:
    size = len(values) // batches
    means = [sum(values[i * size:(i + 1) * size]) / size for i in range(batches)]
    mean = sum(means) / batches
    return mean, math.sqrt(sum((m - mean) ** 2 for m in means) / (batches - 1) / batches)


def test_synthetic_load_agrees_with_erlang_c() -> None:
    # M/M/5 at 3 Erlangs (occupancy 0.6); about 6,700 callers in 20 batches
    rate, aht, agents = 3 / 180, 180.0, 5
    run = simulate(synthetic(rate, aht, 400_000, seed=4), Scenario(agents=agents), 400_000)
    answered = [e for e in run.events if e.kind == "call.answered"]
    # in order of arrival, so that batches are consecutive stretches of time
    waits = [e.data["wait"] for e in sorted(answered, key=lambda e: e.ts - e.data["wait"])]
    assert len(waits) == run.total.offered > 6000
    waited, se = _batch_means([1.0 if w > 0 else 0.0 for w in waits])
    assert abs(waited - erlang_c(rate * aht, agents)) < 4 * se + 0.01, (waited, se)
    within, se = _batch_means([1.0 if w <= 20 else 0.0 for w in waits])
    assert abs(within - service_level(rate, aht, agents, 20)) < 4 * se + 0.01
    # the report's figure is the same thing (no abandons here)
    assert run.total.service_level == pytest.approx(sum(w <= 20 for w in waits) / len(waits))
    assert run.agents.occupancy == pytest.approx(0.6, abs=0.03)


def test_a_replay_of_the_simulations_own_events_reproduces_its_figures() -> None:
    scenario = Scenario(agents=7, wrap_up=10.0)
    first = simulate(synthetic(7 / 180, 170.0, 20_000, patience=90.0, seed=9), scenario,
                     20_000, origin=T0)
    assert first.total.abandoned > 20
    arrivals = arrivals_from_events(first.events, T0, T0 + 20_000)
    again = simulate(arrivals, scenario, 20_000, origin=T0)
    a, b = first.total, again.total
    assert (a.offered, a.answered, a.abandoned, a.short_abandoned) == \
        (b.offered, b.answered, b.abandoned, b.short_abandoned)
    assert b.service_level == pytest.approx(a.service_level)
    assert b.asa == pytest.approx(a.asa)
    assert b.aht == pytest.approx(a.aht)


def test_more_agents_and_less_wrap_up_help() -> None:
    arrivals = synthetic(8 / 180, 180.0, 30_000, patience=120.0, seed=3)
    base = simulate(arrivals, Scenario(agents=9, wrap_up=20.0), 30_000).total
    more = simulate(arrivals, Scenario(agents=11, wrap_up=20.0), 30_000).total
    less_wrap = simulate(arrivals, Scenario(agents=9), 30_000).total
    assert base.service_level is not None
    assert more.service_level > base.service_level       # type: ignore[operator]
    assert more.abandoned < base.abandoned
    assert less_wrap.service_level > base.service_level  # type: ignore[operator]
    assert base.aht == pytest.approx(base.talk / base.handled + 20.0)


def test_a_day_of_a_fifty_seat_center_takes_seconds() -> None:
    arrivals = synthetic(5000 / 36_000, 320.0, 36_000, patience=150.0, seed=1)
    started = time.perf_counter()
    run = simulate(arrivals, Scenario(agents=50, wrap_up=15.0), 36_000)
    elapsed = time.perf_counter() - started
    assert 4800 < run.total.offered < 5200
    assert run.total.answered + run.total.abandoned == run.total.offered
    assert elapsed < 10.0, elapsed


def test_arrivals_from_the_hand_built_day() -> None:
    arrivals = {a.call_id: a for a in arrivals_from_events(day_events(), T0, T0 + 7200)}
    assert sorted(arrivals) == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert (arrivals["c1"].at, arrivals["c1"].queue, arrivals["c1"].handle) == \
        (100, "sales", 200)
    assert arrivals["c3"].patience == 3 and arrivals["c4"].patience == 60
    # answered callers were willing to wait longer than they did
    assert arrivals["c5"].patience > 120
    # c3 and c4 never talked: the mean talk of the others, (200 + 300 + 300 + 100) / 4
    assert arrivals["c4"].handle == pytest.approx(225)


def test_priorities_are_replayed() -> None:
    arrivals = [Arrival(0.0, "q", 100.0), Arrival(1.0, "q", 100.0, call_id="low"),
                Arrival(2.0, "q", 100.0, priority=1, call_id="vip")]
    run = simulate(arrivals, Scenario(agents=1), 10.0)
    answered = [e.call_id for e in run.events if e.kind == "call.answered"]
    assert answered == ["c0", "vip", "low"]


@pytest.mark.parametrize(("options", "message"), [
    ({"agents": -1}, "agents"), ({"agents": 1, "strategy": "fastest"}, "unknown strategy"),
    ({"agents": 1, "answer_delay": 30.0}, "within the ring timeout")])
def test_bad_scenarios_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Scenario(**options)  # type: ignore[arg-type]
