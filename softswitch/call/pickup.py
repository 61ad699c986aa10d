"""Call pickup: which ringing call a phone may answer in another phone's place.

Pure: the pickup groups from the configuration and the calls now ringing in, one
decision out. Group pickup (`*8`) takes the call that has rung longest at any other
phone of the picker's group; directed pickup (`*8` + extension) takes the call ringing
that extension, if it is in the picker's group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from softswitch.call.feature_codes import Feature, FeatureTable


@dataclass(frozen=True)
class PickUp:
    """A dial-plan target: the number is a pickup code, maybe with an extension after it."""

    number: str


@dataclass(frozen=True)
class RingingCall:
    """A call still ringing at `callee`, as the B2BUA lists them."""

    key: int
    callee: str
    caller: str
    started_at: float


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


NOTHING_RINGING = Refusal(404, "Not Found (no call to pick up)")
NOT_IN_GROUP = Refusal(403, "Forbidden (not in the same pickup group)")
NO_GROUP = Refusal(403, "Forbidden (no pickup group)")


@dataclass(frozen=True)
class PickupGroups:
    #: extension -> its pickup group; extensions in no group are absent
    groups: Mapping[str, str]
    features: FeatureTable

    @classmethod
    def of_users(cls, users: Iterable[tuple[str, str | None]],
                 features: FeatureTable) -> PickupGroups:
        return cls({ext: group for ext, group in users if group}, features)

    def target(self, number: str) -> PickUp | None:
        """The dial plan's question: is this number a pickup code?"""
        match = self.features.match(number)
        if match is None or match.feature is not Feature.PICKUP:
            return None
        return PickUp(number)

    def choose(self, picker: str, number: str,
               ringing: Iterable[RingingCall]) -> RingingCall | Refusal:
        """The call `picker` takes by dialling `number`, or why not."""
        match = self.features.match(number)
        directed = match.argument if match is not None else ""
        group = self.groups.get(picker)
        if group is None:
            return NO_GROUP
        if directed:
            if self.groups.get(directed) != group:
                return NOT_IN_GROUP
            candidates = [c for c in ringing if c.callee == directed]
        else:
            candidates = [c for c in ringing if c.callee != picker
                          and self.groups.get(c.callee) == group]
        candidates = [c for c in candidates if c.caller != picker]
        if not candidates:
            return NOTHING_RINGING
        return min(candidates, key=lambda c: (c.started_at, c.key))
