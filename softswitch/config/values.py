"""Converters of single values shared by the configuration sections: each returns the
value to store or raises ValueError with the sentence the user will read."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_DOMAIN = re.compile(r"^[A-Za-z0-9._-]+$")
_DIGITS = re.compile(r"^[0-9]{1,32}$")


def at_least(minimum: float) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        return value
    return convert


def positive_seconds(value: int | float) -> float:
    if value <= 0:
        raise ValueError(f"must be more than 0 seconds, got {value}")
    return float(value)


def seconds(value: int | float) -> float:
    if value < 0:
        raise ValueError(f"must be 0 or more seconds, got {value}")
    return float(value)


def non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def one_line(value: str) -> str:
    """Text that ends up in a SIP header: printable, no line breaks."""
    non_empty(value)
    if not value.isprintable():
        raise ValueError("must be printable text on one line")
    return value


def domain_name(value: str) -> str:
    if not _DOMAIN.match(value):
        raise ValueError(f"{value!r} is not a domain name (letters, digits, '.', '-', '_')")
    return value


def extension_digits(value: str) -> str:
    if not _DIGITS.match(value):
        raise ValueError(f"{value!r} is not an extension (1 to 32 digits)")
    return value


_GROUP = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def group_name(value: str) -> str:
    """A pickup group: a short name without spaces."""
    if not _GROUP.match(value):
        raise ValueError(f"{value!r} is not a group name (letters, digits, '.', '-', '_')")
    return value
