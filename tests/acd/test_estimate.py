"""Expected wait: the M/M/n rule and when it is withheld."""

from __future__ import annotations

import pytest

from softswitch.acd.estimate import HandleTime, expected_wait


def test_expected_wait_rule() -> None:
    assert expected_wait(1, free=2, staffed=5, aht=300.0) == 0.0
    assert expected_wait(3, free=0, staffed=5, aht=300.0) == pytest.approx(180.0)
    assert expected_wait(4, free=1, staffed=3, aht=90.0) == pytest.approx(90.0)


def test_withheld_when_it_would_be_false() -> None:
    assert expected_wait(1, free=0, staffed=0, aht=300.0) is None   # nobody staffed
    assert expected_wait(1, free=0, staffed=3, aht=None) is None    # no handle time yet
    with pytest.raises(ValueError):
        expected_wait(0, free=0, staffed=1, aht=1.0)


def test_handle_time_default_then_measured() -> None:
    ht = HandleTime(default=200.0, alpha=0.5, min_samples=3)
    assert ht.value() == 200.0
    ht.add(100.0)
    ht.add(300.0)
    assert ht.value() == 200.0          # still the default: too few samples
    ht.add(100.0)
    assert ht.value() == pytest.approx(0.5 * 100 + 0.5 * (0.5 * 300 + 0.5 * 100))
    assert HandleTime(min_samples=1).value() is None
    with pytest.raises(ValueError):
        HandleTime(default=-1.0)


def test_measured_handle_time_reaches_the_acd() -> None:
    from .conftest import make_acd
    acd = make_acd(1, wrap_up=10.0)
    acd.handle_times["q"].min_samples = 1
    acd.enqueue("c1", "q", 0.0)
    acd.agent_answered("c1", "a1", 0.0)
    acd.enqueue("c2", "q", 1.0)
    assert acd.expected_wait("c2", 1.0) is None
    acd.hangup("c1", 50.0)                  # handle time 50 + 10 wrap-up
    acd.enqueue("c3", "q", 51.0)
    # a1 is in wrap-up; c2 is first, c3 second: 2 * 60 s / 1 agent
    assert acd.expected_wait("c3", 51.0) == pytest.approx(120.0)
    acd.set_break("a1", "x", 52.0)
    assert acd.expected_wait("c3", 52.0) is None
