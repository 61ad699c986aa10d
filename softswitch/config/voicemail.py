"""Voicemail settings of a `[[users]]` entry: whether unanswered calls go to the mailbox,
and the PIN that opens it (default: the extension's last four digits)."""

from __future__ import annotations

import re

_PIN = re.compile(r"^[0-9]{1,16}$")


def pin_digits(value: str) -> str:
    """A mailbox PIN: what a phone's keypad can enter before #."""
    if not _PIN.match(value):
        raise ValueError(f"a voicemail PIN is 1 to 16 digits, got {value!r}")
    return value


__all__ = ["pin_digits"]
