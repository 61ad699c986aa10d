"""Expected wait for a queued caller, and when not to announce one.

Model: while all staffed agents are busy, each frees up after an exponential handle time,
so n busy agents free up one at a time at rate n / AHT. A caller with k callers ahead of
them (position k+1) needs k+1 agents to free up: E[wait] = position * AHT / staffed, less
nothing for the time already waited (exponential times have no memory). When free agents
exist the caller is about to be offered, so the wait is 0.

The estimate is withheld (None) when it would likely be false:
- no agent is staffed (logged in and not on break): nobody will ever answer as things are;
- fewer than `min_samples` calls have completed and no default handle time is configured.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class HandleTime:
    """Exponentially weighted mean handle time (talk plus wrap-up) of completed calls."""

    default: float | None = None
    alpha: float = 0.1
    min_samples: int = 10
    mean: float = 0.0
    samples: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        if self.default is not None and self.default <= 0:
            raise ValueError("the default handle time must be > 0 seconds")

    def add(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a handle time cannot be negative")
        self.mean = seconds if self.samples == 0 else (
            self.alpha * seconds + (1 - self.alpha) * self.mean)
        self.samples += 1

    def value(self) -> float | None:
        """The handle time to plan with, or None when there is nothing trustworthy yet."""
        if self.samples >= self.min_samples:
            return self.mean
        return self.default


def expected_wait(position: int, free: int, staffed: int, aht: float | None) -> float | None:
    """Seconds until a caller at 1-based `position` is offered, or None (do not announce)."""
    if position < 1:
        raise ValueError("positions start at 1")
    if staffed <= 0 or aht is None:
        return None
    if position <= free:
        return 0.0
    return (position - free) * aht / staffed
