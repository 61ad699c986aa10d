"""`[[dids]]`: the numbers callers dial from outside, each leading to exactly one place:
an IVR flow, a queue, an extension or a mailbox (the demo number 5000 -> IVR "main")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from softswitch.config.schema import STRING, Problem, setting
from softswitch.config.values import non_empty

_NUMBER = re.compile(r"^\+?[0-9]{1,32}$")
DESTINATIONS = ("ivr", "queue", "extension", "voicemail")


def did_number(value: str) -> str:
    if not _NUMBER.match(value):
        raise ValueError(f"{value!r} is not a number (digits, optionally after '+')")
    return value


@dataclass(frozen=True, kw_only=True)
class DidConfig:
    number: str = setting(kind=STRING, convert=did_number)
    ivr: str | None = setting(None, kind=STRING, convert=non_empty)
    queue: str | None = setting(None, kind=STRING, convert=non_empty)
    extension: str | None = setting(None, kind=STRING, convert=non_empty)
    voicemail: str | None = setting(None, kind=STRING, convert=non_empty)
    name: str = setting("", kind=STRING)

    @property
    def destination(self) -> tuple[str, str]:
        """(kind, name): ("ivr", "main"), ("queue", "sales"), ..."""
        for kind in DESTINATIONS:
            value = getattr(self, kind)
            if value is not None:
                return kind, value
        raise ValueError(f"number {self.number} leads nowhere")


def one_destination(dids: Sequence[DidConfig | None]) -> Iterable[Problem]:
    """Each number leads to exactly one place, and no number is listed twice."""
    first: dict[str, int] = {}
    for index, did in enumerate(dids):
        if did is None:
            continue
        chosen = [kind for kind in DESTINATIONS if getattr(did, kind) is not None]
        if not chosen:
            yield Problem((index,), f"number {did.number} needs one of: "
                                    f"{', '.join(DESTINATIONS)}")
        elif len(chosen) > 1:
            yield Problem((index, chosen[1]), f"number {did.number} leads to one place, "
                                              f"not {' and '.join(chosen)}")
        if did.number in first:
            yield Problem((index, "number"), f"duplicate number {did.number!r} (already "
                                             f"used by element {first[did.number]})")
        else:
            first[did.number] = index


__all__ = ["DESTINATIONS", "DidConfig", "one_destination"]
