"""Call forwarding (always, busy, no answer) and do-not-disturb, per extension.

Pure data and decisions. The rules come from the configuration's `[[users]]` and from the
phones' feature codes (`*72 NUMBER`, `*73`, `*78`, `*79`); a change made from a phone is
reported to `on_change` so the edge can keep it across a restart. The B2BUA asks three
questions: where does a call to this extension really go (`at_offer`), and where next
when it is busy (`on_busy`) or not answered (`on_no_answer`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from softswitch.call.feature_codes import Feature, FeatureTable

if TYPE_CHECKING:
    from softswitch.call.b2bua import Offered

#: a call is forwarded at most this many times (always-chains and busy/no-answer hops)
MAX_HOPS = 5

#: the features this module answers
FORWARD_FEATURES = (Feature.FORWARD_ALWAYS, Feature.FORWARD_CANCEL, Feature.DND_ON,
                    Feature.DND_OFF)


@dataclass(frozen=True)
class ForwardRules:
    """One extension's rules; "" means no forward of that kind."""

    always: str = ""
    busy: str = ""
    no_answer: str = ""
    dnd: bool = False


NO_RULES = ForwardRules()


class Reason(StrEnum):
    """Why a call did not ring where it was dialled."""

    ALWAYS = "always"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    DND = "dnd"
    UNAVAILABLE = "unavailable"  # no phone registered


@dataclass(frozen=True)
class OfferRoute:
    """Where a new call to an extension goes: `extension` after the always-forwards,
    and whether that extension refuses calls (`dnd`)."""

    extension: str
    dnd: bool = False
    via: tuple[str, ...] = ()  # the extensions that forwarded it, in order


@dataclass(frozen=True)
class Diversion:
    """A caller handed over instead of being refused: the voicemail part answers the
    INVITE (`offered.tid`) for `mailbox` itself, or returns None to let the caller get
    the usual 486/480."""

    offered: Offered
    mailbox: str
    reason: Reason


class Forwarding:
    """The rules in force for every extension."""

    def __init__(self, rules: Mapping[str, ForwardRules] | None = None, *,
                 on_change: Callable[[str, ForwardRules], None] | None = None) -> None:
        self._rules: dict[str, ForwardRules] = {
            ext: r for ext, r in (rules or {}).items() if r != NO_RULES}
        self.on_change = on_change

    def rules(self, extension: str) -> ForwardRules:
        return self._rules.get(extension, NO_RULES)

    def restore(self, saved: Iterable[tuple[str, ForwardRules]]) -> None:
        """Rules set from phones before a restart win over the configured ones."""
        for extension, rules in saved:
            self._put(extension, rules)

    def _put(self, extension: str, rules: ForwardRules) -> None:
        if rules == NO_RULES:
            self._rules.pop(extension, None)
        else:
            self._rules[extension] = rules

    def set(self, extension: str, rules: ForwardRules) -> None:
        self._put(extension, rules)
        if self.on_change is not None:
            self.on_change(extension, rules)

    # -- the B2BUA's questions --------------------------------------------------------

    def at_offer(self, extension: str) -> OfferRoute:
        """Follow always-forwards (never round a loop, at most MAX_HOPS); the extension
        reached refuses the call when it is on do-not-disturb."""
        seen = [extension]
        current = extension
        while len(seen) <= MAX_HOPS:
            target = self.rules(current).always
            if not target or target in seen:
                break
            seen.append(target)
            current = target
        return OfferRoute(current, self.rules(current).dnd, tuple(seen[:-1]))

    def on_busy(self, extension: str) -> str:
        return self.rules(extension).busy

    def on_no_answer(self, extension: str) -> str:
        return self.rules(extension).no_answer

    # -- feature codes from a phone ------------------------------------------------------

    def apply(self, feature: Feature, extension: str, argument: str,
              known: Callable[[str], bool]) -> str:
        """Carry out `*72 NUMBER`, `*73`, `*78`, `*79` dialled at `extension`; "" when
        done, else why not (the caller hears a refusal)."""
        rules = self.rules(extension)
        if feature is Feature.FORWARD_ALWAYS:
            if not argument:
                return "no number to forward to"
            if argument == extension:
                return "an extension cannot forward to itself"
            if not known(argument):
                return f"{argument} is not a number calls can be forwarded to"
            changed = replace(rules, always=argument)
        elif feature is Feature.FORWARD_CANCEL:
            changed = replace(rules, always="")
        elif feature is Feature.DND_ON:
            changed = replace(rules, dnd=True)
        elif feature is Feature.DND_OFF:
            changed = replace(rules, dnd=False)
        else:
            return f"{feature.value} is not a forwarding feature"
        self.set(extension, changed)
        return ""


def forwarding_codes(inner: Callable[[str, str], object], features: FeatureTable,
                     forwarding: Forwarding, known: Callable[[str], bool],
                     feature_call: Callable[..., object]) -> Callable[[str, str], object]:
    """Wrap a route decision function (`center_route`'s) so the forwarding codes are
    carried out and answered as feature calls; every other number goes to `inner`."""

    def decide(number: str, user: str) -> object:
        match = features.match(number)
        if match is None or match.feature not in FORWARD_FEATURES:
            return inner(number, user)
        refused = forwarding.apply(match.feature, user, match.argument, known)
        return feature_call(match.feature.value, "", match.argument, refused=refused)

    return decide


__all__ = ["FORWARD_FEATURES", "MAX_HOPS", "NO_RULES", "Diversion", "ForwardRules",
           "Forwarding", "OfferRoute", "Reason", "forwarding_codes"]
