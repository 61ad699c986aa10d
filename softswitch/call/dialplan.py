"""The dial plan: what a dialled number means, as data.

A plan is an ordered list of rules; the first whose pattern matches the whole number
decides. A rule's target is a small frozen value the B2BUA dispatches on by type, so
feature codes, queues, IVRs and trunks plug in as new target types and new rules
without touching the ones here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class RingExtension:
    """Ring every registered contact of a local extension at once."""

    extension: str


@dataclass(frozen=True)
class Refuse:
    """Answer the caller with a final failure."""

    status: int
    reason: str | None = None


Target = RingExtension | Refuse


@dataclass(frozen=True)
class Rule:
    """`pattern` must match the whole dialled number; `target` decides what happens.

    A target of None means "the number itself is the extension" (the common rule)."""

    pattern: str
    target: Target | None = None

    def matches(self, number: str) -> bool:
        return re.fullmatch(self.pattern, number) is not None


NOT_FOUND = Refuse(404, "Not Found")


@dataclass(frozen=True)
class DialPlan:
    rules: tuple[Rule, ...]
    fallback: Target = NOT_FOUND

    @classmethod
    def for_extensions(cls, extensions: Iterable[str]) -> DialPlan:
        """Each local extension rings its phones; anything else is not found."""
        names = sorted(set(extensions))
        if not names:
            return cls(())
        pattern = "|".join(re.escape(name) for name in names)
        return cls((Rule(f"(?:{pattern})"),))

    def route(self, number: str) -> Target:
        for rule in self.rules:
            if rule.matches(number):
                return rule.target if rule.target is not None else RingExtension(number)
        return self.fallback
