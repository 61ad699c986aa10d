"""Ranges of dialled numbers ("701-720") that the PBX features own: parking slots and
conference rooms. Shared by their sections so both read and check ranges alike."""

from __future__ import annotations

import re

_RANGE = re.compile(r"^\s*([0-9]{1,16})\s*(?:-\s*([0-9]{1,16})\s*)?$")
#: a range longer than this is almost certainly a typo (and would fill the dial plan)
MAX_NUMBERS = 1000


def number_range(value: str) -> tuple[str, ...]:
    """"701-720" -> ("701", ..., "720"); "800" -> ("800",). Both ends the same length, so
    every number in between is dialled with as many digits."""
    match = _RANGE.match(value)
    if match is None:
        raise ValueError(f'expected "FIRST-LAST" of digits, e.g. "701-720", got {value!r}')
    first, last = match.group(1), match.group(2) or match.group(1)
    if len(first) != len(last):
        raise ValueError(f"both ends need as many digits ({first!r}, {last!r})")
    low, high = int(first), int(last)
    if low > high:
        raise ValueError(f"the first number is after the last ({first}-{last})")
    if high - low + 1 > MAX_NUMBERS:
        raise ValueError(f"at most {MAX_NUMBERS} numbers, got {high - low + 1}")
    return tuple(str(n).zfill(len(first)) for n in range(low, high + 1))
