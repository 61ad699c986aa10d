"""The auth-failure throttle, driven by a manual clock and, end to end, by real digests."""

from __future__ import annotations

import pytest

from softswitch.clock import ManualClock
from softswitch.sip.auth import DigestAuthenticator, answer_challenge
from softswitch.sip.throttle import AuthFailureThrottle, ThrottlePolicy

POLICY = ThrottlePolicy(max_failures=3, window=60.0, first_block=100.0, growth=2.0,
                        max_block=350.0, forgive_after=1000.0, max_sources=50)
SCANNER = "192.0.2.7"


def fail_n(throttle: AuthFailureThrottle, n: int, clock: ManualClock,
           source: str = SCANNER) -> list[bool]:
    out = []
    for _ in range(n):
        out.append(throttle.record_failure(source, clock.now()))
        clock.advance(1)
    return out


def test_blocks_after_n_failures_within_the_window() -> None:
    clock = ManualClock()
    throttle = AuthFailureThrottle(POLICY)
    assert fail_n(throttle, 2, clock) == [False, False]
    assert not throttle.is_blocked(SCANNER, clock.now())
    assert fail_n(throttle, 1, clock) == [True]
    assert throttle.is_blocked(SCANNER, clock.now())
    assert throttle.blocked_until(SCANNER, clock.now()) == pytest.approx(102.0)
    assert not throttle.is_blocked("198.51.100.1", clock.now())


def test_failures_spread_beyond_the_window_do_not_block() -> None:
    clock = ManualClock()
    throttle = AuthFailureThrottle(POLICY)
    for _ in range(10):
        assert not throttle.record_failure(SCANNER, clock.now())
        clock.advance(31)  # at most two inside any 60 s window
    assert not throttle.is_blocked(SCANNER, clock.now())


def test_unblocks_after_the_block() -> None:
    clock = ManualClock()
    throttle = AuthFailureThrottle(POLICY)
    fail_n(throttle, 3, clock)
    clock.advance(98)  # blocked at t=2 for 100 s
    assert throttle.is_blocked(SCANNER, clock.now())
    clock.advance(2)
    assert not throttle.is_blocked(SCANNER, clock.now())
    assert throttle.blocked_until(SCANNER, clock.now()) is None


def test_blocks_grow_on_reoffence_and_are_bounded() -> None:
    clock = ManualClock()
    throttle = AuthFailureThrottle(POLICY)
    lengths = []
    for _ in range(5):
        fail_n(throttle, 3, clock)
        until = throttle.blocked_until(SCANNER, clock.now())
        assert until is not None
        lengths.append(until - (clock.now() - 1))
        clock.set(until)
    assert lengths == pytest.approx([100.0, 200.0, 350.0, 350.0, 350.0])
    state = throttle.state(SCANNER, clock.now())
    assert state is not None and state.offences == 5


def test_offences_are_forgiven_after_a_quiet_time() -> None:
    clock = ManualClock()
    throttle = AuthFailureThrottle(POLICY)
    fail_n(throttle, 3, clock)
    clock.advance(100 + 1000)
    fail_n(throttle, 3, clock)
    until = throttle.blocked_until(SCANNER, clock.now())
    assert until is not None and until - (clock.now() - 1) == pytest.approx(100.0)


def test_success_resets_the_failure_count_but_not_a_block() -> None:
    clock = ManualClock()
    throttle = AuthFailureThrottle(POLICY)
    fail_n(throttle, 2, clock)
    throttle.record_success(SCANNER, clock.now())
    assert fail_n(throttle, 2, clock) == [False, False]  # a typo then the right password
    assert fail_n(throttle, 1, clock) == [True]
    throttle.record_success(SCANNER, clock.now())
    assert throttle.is_blocked(SCANNER, clock.now())


def test_failures_while_blocked_do_not_extend_or_count() -> None:
    clock = ManualClock()
    throttle = AuthFailureThrottle(POLICY)
    fail_n(throttle, 3, clock)
    until = throttle.blocked_until(SCANNER, clock.now())
    assert fail_n(throttle, 10, clock) == [False] * 10
    assert throttle.blocked_until(SCANNER, clock.now()) == until


def test_refusals_are_counted() -> None:
    clock = ManualClock()
    throttle = AuthFailureThrottle(POLICY)
    fail_n(throttle, 3, clock)
    for _ in range(4):
        assert throttle.is_blocked(SCANNER, clock.now())
    state = throttle.state(SCANNER, clock.now())
    assert state is not None and state.refused == 4 and state.recent_failures == 0


def test_memory_is_bounded_least_recently_seen_first() -> None:
    clock = ManualClock()
    throttle = AuthFailureThrottle(POLICY)
    fail_n(throttle, 3, clock)  # the scanner is blocked
    for i in range(200):
        throttle.record_failure(f"10.0.{i // 256}.{i % 256}", clock.now())
        throttle.is_blocked(SCANNER, clock.now())  # it keeps knocking, so it stays
    assert len(throttle) == POLICY.max_sources
    assert throttle.is_blocked(SCANNER, clock.now())
    assert throttle.state("10.0.0.0", clock.now()) is None  # the oldest one was dropped


@pytest.mark.parametrize("kwargs", [
    {"max_failures": 0}, {"window": 0}, {"growth": 0.5}, {"first_block": 10, "max_block": 5},
    {"max_sources": 0},
])
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(**kwargs)  # type: ignore[arg-type]


def test_huge_offence_counts_stay_bounded() -> None:
    assert POLICY.block_length(10_000) == 350.0


def test_a_password_guesser_makes_no_progress() -> None:
    """The way the edge is meant to use it: check the block first, then the digest."""
    clock = ManualClock()
    password = "7319"
    auth = DigestAuthenticator("pbx.example", b"k" * 32, {"1001": password}.get)
    throttle = AuthFailureThrottle(POLICY)

    def attempt(guess: str) -> str:
        if throttle.is_blocked(SCANNER, clock.now()):
            return "refused unchecked"
        challenge = auth.challenges(clock.now())[1]
        value = answer_challenge(challenge, "REGISTER", "sip:pbx.example", "1001", guess,
                                 "c", 1)
        result = auth.check("REGISTER", [value], clock.now())
        if result.is_failure:
            throttle.record_failure(SCANNER, clock.now())
        elif result.ok:
            throttle.record_success(SCANNER, clock.now())
        return result.outcome.value

    answers = []
    for guess in ["0000", "1111", "2222", password, password]:
        answers.append(attempt(guess))
        clock.advance(1)
    assert answers == ["wrong", "wrong", "wrong", "refused unchecked", "refused unchecked"]
    clock.advance(100)
    assert attempt(password) == "ok"
