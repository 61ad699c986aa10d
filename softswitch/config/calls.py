"""The `[calls]` section: how long phones ring, where RTP lives, what address SDP names,
who plays the ringing a caller hears."""

from __future__ import annotations

from dataclasses import dataclass

from softswitch.call.ringback import RingbackMode, ringback_mode
from softswitch.config.schema import NUMBER, STRING, setting
from softswitch.config.values import one_line, positive_seconds, seconds


def port_range(value: str) -> tuple[int, int]:
    low_text, sep, high_text = value.partition("-")
    if not sep or not low_text.strip().isdigit() or not high_text.strip().isdigit():
        raise ValueError(f'expected "LOW-HIGH", e.g. "20000-29999", got {value!r}')
    low, high = int(low_text), int(high_text)
    if not 1024 <= low < high <= 65535:
        raise ValueError(f"ports must satisfy 1024 <= low < high <= 65535, got {low}-{high}")
    if high - low < 3:
        raise ValueError("the range must hold at least two RTP/RTCP port pairs")
    return low, high


def address_or_empty(value: str) -> str:
    return one_line(value) if value.strip() else ""


@dataclass(frozen=True, kw_only=True)
class CallsConfig:
    #: seconds an extension rings before the caller gets 480 (or voicemail)
    ring_timeout: float = setting(30.0, kind=NUMBER, convert=positive_seconds)
    #: RTP/RTCP port pairs are taken from this range
    rtp_ports: tuple[int, int] = setting((20000, 29999), kind=STRING, convert=port_range)
    #: the address our SDP offers; empty: the address of the first SIP listener
    media_address: str = setting("", kind=STRING, convert=address_or_empty)
    #: seconds without RTP or RTCP from an answered leg (not on hold) before its call is
    #: ended (BYE, `call.media_timeout`): a phone that died mid-call. 0: off, the default
    #: here so phones that send no audio (SIPp scenarios) are not cut off; the
    #: first-start file sets 60
    media_timeout: float = setting(0.0, kind=NUMBER, convert=seconds)
    #: "phone": callers get 180 and their phone rings itself; "switch": a 183 with the
    #: switch's SDP and its ringback tone (425 Hz, 1 s on, 4 s off) as early media
    ringback: RingbackMode = setting(  # noqa: RUF009 (an enum member: immutable)
        RingbackMode.PHONE, kind=STRING, convert=ringback_mode)
