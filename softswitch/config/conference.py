"""The `[conference]` section: the room numbers and the PINs of the closed rooms."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from softswitch.config.numbers import number_range
from softswitch.config.schema import STRING, TABLE, Problem, setting

_PIN = re.compile(r"^[0-9]{1,16}$")


def room_pins(value: dict[str, Any]) -> dict[str, str]:
    """{"801" = "4321"}: digits only, dialled on the keypad."""
    out: dict[str, str] = {}
    for room, pin in value.items():
        if not isinstance(pin, str) or not _PIN.match(pin):
            raise ValueError(f"the PIN of room {room!r} must be a string of 1 to 16 digits")
        out[room] = pin
    return out


@dataclass(frozen=True, kw_only=True)
class ConferenceConfig:
    #: every number in the range is a room; callers dialling it join whoever is there
    rooms: tuple[str, ...] = setting(number_range("800-809"), kind=STRING,
                                     convert=number_range)
    #: room -> PIN asked before joining; rooms not listed are open
    pins: dict[str, str] = setting(kind=TABLE, convert=room_pins, factory=dict)  # noqa: RUF009


def pins_for_rooms(conference: ConferenceConfig) -> Iterable[Problem]:
    for room in conference.pins:
        if room not in conference.rooms:
            yield Problem(("pins", room), f"{room!r} is not one of the rooms "
                                          f"({conference.rooms[0]}-{conference.rooms[-1]})")
