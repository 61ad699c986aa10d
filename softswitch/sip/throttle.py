"""Per-source auth-failure throttle: password guessing from one address stops making progress.

After `max_failures` failed authentications from one source within `window` seconds the
source is blocked for `first_block` seconds; each further offence multiplies the block by
`growth`, up to `max_block`. Offences are forgiven after `forgive_after` quiet seconds.

While a source is blocked, the caller refuses its requests that need authentication
WITHOUT checking their credentials, so even a correct guess is refused and teaches the
guesser nothing. A success does not lift a block (a guesser's lucky hit must look like
every other try).

What a blocked source gets is the caller's choice. Recommended: drop the request silently
over UDP (a scanner such as svcrack then waits out its timeouts, no reply can be
reflected at a spoofed address, and it costs nothing), and answer 403 Forbidden over TCP
and TLS, where the address cannot be spoofed and a real phone stuck behind a shared NAT
shows its user a clear error instead of hanging.

Sources are keyed by what the caller passes: use the IP address alone (not the port),
since scanners change ports between attempts. Memory is bounded: at most `max_sources`
are remembered, least recently seen dropped first; a source that keeps sending stays
recently seen, so it cannot be pushed out by its own traffic while it keeps knocking.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    window: float = 60.0
    first_block: float = 60.0
    growth: float = 2.0
    max_block: float = 3600.0
    forgive_after: float = 86_400.0
    max_sources: int = 10_000

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.max_sources < 1:
            raise ValueError("max_failures and max_sources must be at least 1")
        if min(self.window, self.first_block, self.max_block, self.forgive_after) <= 0:
            raise ValueError("durations must be positive")
        if self.growth < 1 or self.max_block < self.first_block:
            raise ValueError("blocks must not shrink: growth >= 1, max_block >= first_block")

    def block_length(self, offences: int) -> float:
        """How long the `offences`-th offence (1-based) blocks for."""
        length = self.first_block
        for _ in range(offences - 1):  # loop, not a power: no overflow for huge counts
            length *= self.growth
            if length >= self.max_block:
                return self.max_block
        return min(length, self.max_block)


@dataclass
class _Source:
    failures: deque[float] = field(default_factory=deque)
    blocked_until: float = float("-inf")
    offences: int = 0
    last_offence: float = float("-inf")
    refused: int = 0


@dataclass(frozen=True)
class SourceState:
    """A read-only view of one source, for the control socket and logs."""

    blocked_until: float | None
    recent_failures: int
    offences: int
    refused: int


class AuthFailureThrottle:
    """The throttle itself; every method takes `now` (monotonic seconds)."""

    def __init__(self, policy: ThrottlePolicy | None = None) -> None:
        self.policy = policy or ThrottlePolicy()
        self._sources: OrderedDict[Hashable, _Source] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sources)

    def is_blocked(self, source: Hashable, now: float) -> bool:
        """Whether to refuse this source's request unchecked; counts the refusal if so."""
        entry = self._sources.get(source)
        if entry is None:
            return False
        self._sources.move_to_end(source)
        if now < entry.blocked_until:
            entry.refused += 1
            return True
        return False

    def record_failure(self, source: Hashable, now: float) -> bool:
        """Count one failed authentication; True when this failure starts a block."""
        entry = self._touch(source)
        if now < entry.blocked_until:
            return False  # the caller should not have checked: nothing more to learn
        policy = self.policy
        if entry.offences and now - entry.last_offence >= policy.forgive_after + \
                policy.block_length(entry.offences):
            entry.offences = 0
        failures = entry.failures
        failures.append(now)
        while failures and failures[0] <= now - policy.window:
            failures.popleft()
        if len(failures) < policy.max_failures:
            return False
        failures.clear()
        entry.offences += 1
        entry.last_offence = now
        entry.blocked_until = now + policy.block_length(entry.offences)
        return True

    def record_success(self, source: Hashable, now: float) -> None:
        """A success clears the recent-failure count, but never a block or the offences."""
        entry = self._sources.get(source)
        if entry is not None and now >= entry.blocked_until:
            entry.failures.clear()

    def blocked_until(self, source: Hashable, now: float) -> float | None:
        entry = self._sources.get(source)
        if entry is None or now >= entry.blocked_until:
            return None
        return entry.blocked_until

    def state(self, source: Hashable, now: float) -> SourceState | None:
        entry = self._sources.get(source)
        if entry is None:
            return None
        recent = sum(1 for t in entry.failures if t > now - self.policy.window)
        return SourceState(self.blocked_until(source, now), recent, entry.offences,
                           entry.refused)

    def _touch(self, source: Hashable) -> _Source:
        entry = self._sources.get(source)
        if entry is None:
            entry = self._sources[source] = _Source()
            while len(self._sources) > self.policy.max_sources:
                self._sources.popitem(last=False)
        else:
            self._sources.move_to_end(source)
        return entry
