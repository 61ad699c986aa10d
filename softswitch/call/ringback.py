"""Who makes the ringing a caller hears: the caller's own phone after our 180 (the
default), or the switch, which answers the caller's offer in a 183 and plays its tone
as early media until the callee answers or brings early media of its own (RFC 3960).
The switch's tone is what callers hear on trunks and on phones that stay silent on 180."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: the prompt (softswitch/data/prompts/ringback.wav) looped on the caller's channel
RINGBACK_PROMPT = "ringback"


class RingbackMode(StrEnum):
    PHONE = "phone"  # pass 180: the phone rings locally
    SWITCH = "switch"  # 183 with our SDP and the switch's tone


def ringback_mode(value: str) -> RingbackMode:
    """The `[calls] ringback` setting, with the choices named when it is wrong."""
    try:
        return RingbackMode(value)
    except ValueError:
        choices = ", ".join(f'"{mode.value}"' for mode in RingbackMode)
        raise ValueError(f"expected one of {choices}, got {value!r}") from None


@dataclass(frozen=True)
class Ringback:
    """Start (`on`) or stop the switch's ringback tone on a caller leg's open channel."""

    leg: int
    on: bool
