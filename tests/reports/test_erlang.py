"""Erlang C against published worked examples; Erlang A against a direct numeric solution."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from softswitch.reports.erlang import (
    agents_needed,
    asa,
    erlang_a,
    erlang_b,
    erlang_c,
    occupancy,
    service_level,
    traffic,
)

# Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
# (https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm): 100 calls in
# 30 minutes, AHT 180 s, target 80% answered in 20 s -> 10 Erlangs; with 11 agents the
# probability of waiting is 68.21% and the service level 39%; 14 agents are needed
# (service level 88.8%, occupancy 71.4%, ASA about 8 s).
CCH_RATE = 100 / 1800
CCH_AHT = 180.0


def test_call_centre_helper_example() -> None:
    assert traffic(CCH_RATE, CCH_AHT) == pytest.approx(10.0)
    assert erlang_c(10.0, 11) == pytest.approx(0.6821, abs=5e-4)
    assert service_level(CCH_RATE, CCH_AHT, 11, 20) == pytest.approx(0.39, abs=0.01)
    assert agents_needed(CCH_RATE, CCH_AHT, 0.8, 20) == 14
    assert service_level(CCH_RATE, CCH_AHT, 13, 20) < 0.8 < service_level(
        CCH_RATE, CCH_AHT, 14, 20)
    assert service_level(CCH_RATE, CCH_AHT, 14, 20) == pytest.approx(0.888, abs=0.002)
    assert occupancy(CCH_RATE, CCH_AHT, 14) == pytest.approx(0.714, abs=5e-4)
    assert asa(CCH_RATE, CCH_AHT, 14) == pytest.approx(7.8, abs=0.1)


# Westbay / mitan.co.uk "The Erlang-C formula" step-by-step example: 360 calls per half
# hour, 4 minute calls, 55 agents, 15 s target -> A = 48 Erlangs, occupancy 0.873,
# E_C = 0.2387, ASA = 8.2 s, service level 84.6%.
def test_westbay_example() -> None:
    rate = 360 / 1800
    assert traffic(rate, 240) == pytest.approx(48.0)
    assert occupancy(rate, 240, 55) == pytest.approx(0.8727, abs=1e-4)
    assert erlang_c(48.0, 55) == pytest.approx(0.2387, abs=5e-4)
    assert asa(rate, 240, 55) == pytest.approx(8.18, abs=0.02)
    assert service_level(rate, 240, 55, 15) == pytest.approx(0.846, abs=0.001)


def _erlang_c_factorial(load: float, n: int) -> float:
    top = load**n / math.factorial(n) * n / (n - load)
    return top / (sum(load**k / math.factorial(k) for k in range(n)) + top)


@pytest.mark.parametrize(("load", "n"), [(0.5, 1), (4.2, 6), (10.0, 12), (48.0, 55)])
def test_recursion_matches_textbook_formula(load: float, n: int) -> None:
    assert erlang_c(load, n) == pytest.approx(_erlang_c_factorial(load, n), rel=1e-9)


def test_stable_for_hundreds_of_agents() -> None:
    pw = erlang_c(450.0, 480)
    assert 0.0 < pw < 1.0 and math.isfinite(pw)
    assert agents_needed(2.5, 180, 0.8, 20) > 450
    assert erlang_b(1000.0, 1200) < 1e-6


def test_unstable_queue_and_edges() -> None:
    assert erlang_c(10.0, 10) == 1.0
    assert service_level(CCH_RATE, CCH_AHT, 9, 20) == 0.0
    assert asa(CCH_RATE, CCH_AHT, 10) == math.inf
    assert agents_needed(0.0, 180, 0.8, 20) == 0
    assert agents_needed(CCH_RATE, CCH_AHT, 0.8, 20, max_occupancy=0.7) == 15


@pytest.mark.parametrize("bad", [
    lambda: service_level(-1, 180, 3, 20),
    lambda: service_level(1, 0, 3, 20),
    lambda: service_level(1, 180, -3, 20),
    lambda: agents_needed(1, 180, 1.5, 20),
    lambda: agents_needed(1, 180, 0.8, -1),
    lambda: erlang_a(1, 180, 3, 0),
])
def test_bad_input_is_a_value_error(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        bad()


def _birth_death(rate: float, aht: float, n: int, patience: float, size: int = 2000):
    """Solve pi Q = 0 for the truncated M/M/N+M chain with numpy linear algebra."""
    mu, theta = 1 / aht, 1 / patience
    q = np.zeros((size, size))
    for k in range(size):
        if k + 1 < size:
            q[k, k + 1] = rate
        if k > 0:
            q[k, k - 1] = min(k, n) * mu + max(0, k - n) * theta
        q[k, k] = -q[k].sum()
    a = np.vstack([q.T, np.ones(size)])
    b = np.zeros(size + 1)
    b[-1] = 1.0
    pi = np.linalg.lstsq(a, b, rcond=None)[0]
    k = np.arange(size)
    p_wait = pi[n:].sum()
    lq = (np.maximum(0, k - n) * pi).sum()
    return p_wait, theta * lq / rate


@pytest.mark.parametrize(("rate", "aht", "n", "patience"), [
    (CCH_RATE, CCH_AHT, 12, 120.0),
    (CCH_RATE, CCH_AHT, 8, 60.0),      # overloaded: only patience keeps it stable
    (0.3, 200.0, 55, 300.0),
])
def test_erlang_a_matches_direct_numeric_solution(rate: float, aht: float, n: int,
                                                  patience: float) -> None:
    result = erlang_a(rate, aht, n, patience, t=20)
    p_wait, p_abandon = _birth_death(rate, aht, n, patience, size=n + 400)
    assert result.p_wait == pytest.approx(p_wait, rel=1e-6)
    assert result.p_abandon == pytest.approx(p_abandon, rel=1e-6)
    assert 0.0 <= result.service_level <= 1.0 - result.p_abandon + 1e-12


def test_erlang_a_tends_to_erlang_c_with_endless_patience() -> None:
    rate = 360 / 1800
    result = erlang_a(rate, 240, 55, patience=1e9, t=15)
    assert result.p_wait == pytest.approx(erlang_c(48.0, 55), rel=1e-5)
    assert result.service_level == pytest.approx(service_level(rate, 240, 55, 15), rel=1e-5)
    assert result.asa == pytest.approx(asa(rate, 240, 55), rel=1e-4)
    assert result.p_abandon < 1e-6


def test_erlang_a_service_level_against_simulation() -> None:
    """A seeded M/M/N+M simulation (FIFO, 100,000 callers, seed 7) agrees within 0.01."""
    rng = np.random.default_rng(7)
    rate, aht, n, patience, t = CCH_RATE, CCH_AHT, 10, 90.0, 20.0
    count = 100_000
    arrivals = np.cumsum(rng.exponential(1 / rate, count)).tolist()
    services = rng.exponential(aht, count).tolist()
    patiences = rng.exponential(patience, count).tolist()
    free_at = [0.0] * n  # a heap of the times each agent becomes free
    answered_in_t = abandoned = 0
    for arrival, service, limit in zip(arrivals, services, patiences, strict=True):
        wait = max(0.0, free_at[0] - arrival)
        if wait > limit:
            abandoned += 1
            continue
        heapq.heapreplace(free_at, arrival + wait + service)
        answered_in_t += wait <= t
    result = erlang_a(rate, aht, n, patience, t)
    assert answered_in_t / count == pytest.approx(result.service_level, abs=0.01)
    assert abandoned / count == pytest.approx(result.p_abandon, abs=0.01)
