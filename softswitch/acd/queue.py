"""Queue configuration, tiers, and the ordered line of waiting callers.

A queue's line is ordered by `rank = enqueued_at - priority * priority_weight`: earlier is
better, so a priority of 1 is worth `priority_weight` seconds of waiting. Priority callers
go first, yet an ordinary caller who has waited that much longer still beats them: nobody
starves. A caller who goes back to the line (no answer, overflow) keeps their rank, so they
return to where they were, not to the tail.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

OVERFLOW_KINDS = frozenset({"queue", "voicemail", "callback", "none"})


@dataclass(frozen=True)
class Tier:
    """An agent's membership of a queue: level 1 is tried before level 2, and so on."""

    agent_id: str
    level: int = 1
    position: int = 1
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.level < 1 or self.position < 1:
            raise ValueError(f"tier for {self.agent_id}: level and position start at 1")
        if self.weight < 0:
            raise ValueError(f"tier for {self.agent_id}: weight must be >= 0")


@dataclass(frozen=True)
class OverflowTarget:
    kind: str = "none"
    target: str = ""

    def __post_init__(self) -> None:
        if self.kind not in OVERFLOW_KINDS:
            raise ValueError(f"overflow kind must be one of {sorted(OVERFLOW_KINDS)}, "
                             f"not {self.kind!r}")
        if self.kind in ("queue", "voicemail") and not self.target:
            raise ValueError(f"overflow to {self.kind} needs a target")


@dataclass(frozen=True)
class QueueConfig:
    """Everything configurable about one queue; times are seconds (0 = off)."""

    name: str
    strategy: str = "longest-idle"
    tiers: tuple[Tier, ...] = ()
    ring_timeout: float = 20.0
    wrap_up: float = 0.0
    max_wait: float = 0.0
    max_length: int = 0
    overflow: OverflowTarget = field(default_factory=OverflowTarget)
    join_empty: bool = True
    leave_when_empty: bool = False
    required_skills: dict[str, int] = field(default_factory=dict)
    #: caller number -> priority
    vip: dict[str, int] = field(default_factory=dict)
    #: caller number prefix -> extra required skills (longest prefix wins)
    prefix_skills: dict[str, dict[str, int]] = field(default_factory=dict)
    priority_weight: float = 60.0
    #: a level-L agent may take a caller who has waited (L-1) * tier_wait seconds
    tier_wait: float = 0.0
    #: the required skill level drops by 1 every `skill_relax_every` seconds, to the floor
    skill_relax_every: float = 0.0
    skill_floor: int = 1
    sticky_seconds: float = 0.0
    announce_every: float = 0.0
    #: the handle time (talk + wrap-up) wait estimates use until enough calls have been
    #: measured; 0: announce no wait before then
    handle_time: float = 0.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a queue needs a name")
        for key in ("ring_timeout", "wrap_up", "max_wait", "priority_weight", "tier_wait",
                    "skill_relax_every", "sticky_seconds", "announce_every"):
            if getattr(self, key) < 0:
                raise ValueError(f"queue {self.name}: {key} must be >= 0")
        if self.ring_timeout <= 0:
            raise ValueError(f"queue {self.name}: ring_timeout must be > 0")
        if self.max_length < 0:
            raise ValueError(f"queue {self.name}: max_length must be >= 0")
        if not 1 <= self.skill_floor <= 10:
            raise ValueError(f"queue {self.name}: skill_floor must be 1..10")
        seen = set()
        for tier in self.tiers:
            if tier.agent_id in seen:
                raise ValueError(f"queue {self.name}: agent {tier.agent_id} has two tiers")
            seen.add(tier.agent_id)

    def caller_priority(self, number: str, given: int) -> int:
        return max(given, self.vip.get(number, 0))

    def caller_skills(self, number: str, given: dict[str, int] | None) -> dict[str, int]:
        """Queue defaults, then the longest matching number prefix, then the caller's own."""
        skills = dict(self.required_skills)
        best = ""
        for prefix in self.prefix_skills:
            if number.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        if best:
            skills.update(self.prefix_skills[best])
        if given:
            skills.update(given)
        return skills


def relaxed_level(level: int, waited: float, every: float, floor: int) -> int:
    """The skill level still required after `waited` seconds."""
    if every <= 0 or level <= floor:
        return level
    return max(floor, level - int(waited // every))


@dataclass
class Caller:
    """A caller (or a callback holding a caller's place) known to the ACD."""

    call_id: str
    queue: str
    number: str
    enqueued_at: float
    priority: int
    skills: dict[str, int]
    rank: float
    seq: int
    vars: dict[str, str] = field(default_factory=dict)
    callback: str | None = None
    offered: set[str] = field(default_factory=set)
    agent_id: str | None = None
    phase: str = "waiting"  # waiting | offered | bridged
    #: queues this caller overflowed from, so overflow never loops
    visited: list[str] = field(default_factory=list)


class WaitingLine:
    """One queue's waiting callers in rank order; a sorted list is fast at these sizes."""

    def __init__(self) -> None:
        self._entries: list[tuple[float, int, str]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return (call_id for _, _, call_id in self._entries)

    def add(self, caller: Caller) -> None:
        bisect.insort(self._entries, (caller.rank, caller.seq, caller.call_id))

    def remove(self, caller: Caller) -> None:
        entry = (caller.rank, caller.seq, caller.call_id)
        i = bisect.bisect_left(self._entries, entry)
        if i < len(self._entries) and self._entries[i] == entry:
            del self._entries[i]

    def position(self, caller: Caller) -> int:
        """1-based place in line."""
        return bisect.bisect_left(self._entries, (caller.rank, caller.seq, caller.call_id)) + 1

    def head(self) -> str | None:
        return self._entries[0][2] if self._entries else None
