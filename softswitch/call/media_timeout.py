"""The RTP inactivity timeout: a phone that died mid-call stops sending RTP and RTCP,
and its call must end rather than stay up until the other side gives up.

Sans-IO. The media edge already knows, per leg, when a packet last arrived; every
check it hands those times here, and `MediaWatch` says which legs have been silent for
`timeout` seconds. Whether that silence ends a call is for the part that owns the leg
(the B2BUA, the switch's own calls): a leg still ringing, or on hold, may be silent.
When the owner says "not now", the leg is excused and its silence counts again from
that moment, so a leg answered after a long early-media ring is not ended on the spot.
"""

from __future__ import annotations

from collections.abc import Mapping

from softswitch.sdp.description import SessionDescription
from softswitch.sdp.negotiation import is_hold

#: the event every part logs when it ends a call for silence
EVENT = "call.media_timeout"
#: how the CDR and the `call.ended` event name the cause
CAUSE = "media_timeout"


def is_silent(last_heard: float, excused_at: float | None, now: float,
              timeout: float) -> bool:
    """Silence counts from the later of the last packet and the last excuse."""
    since = last_heard if excused_at is None else max(last_heard, excused_at)
    return timeout > 0 and now - since >= timeout


def offer_holds(offer: SessionDescription | None) -> bool:
    """Whether an SDP offer puts its audio on hold (sendonly, inactive, c=0.0.0.0): the
    party that sent it may then send nothing at all."""
    if offer is None:
        return False
    audio = [m for m in offer.media if m.media == "audio" and m.port != 0]
    return bool(audio) and all(is_hold(offer, m) for m in audio)


class MediaWatch:
    """Which legs have gone silent; `timeout` 0 turns the watch off."""

    def __init__(self, timeout: float) -> None:
        if timeout < 0:
            raise ValueError(f"a media timeout of 0 (off) or more seconds is needed, "
                             f"got {timeout}")
        self.timeout = timeout
        self._excused: dict[int, float] = {}

    @property
    def enabled(self) -> bool:
        return self.timeout > 0

    def check(self, last_heard: Mapping[int, float], now: float) -> list[int]:
        """The legs silent for `timeout` seconds, by the time each last heard a packet
        (or was opened). Legs no longer in `last_heard` are forgotten."""
        if not self.enabled:
            return []
        for gone in self._excused.keys() - last_heard.keys():
            del self._excused[gone]
        return [leg for leg, heard in last_heard.items()
                if is_silent(heard, self._excused.get(leg), now, self.timeout)]

    def excuse(self, leg: int, now: float) -> None:
        """Its owner lets the silence be (ringing, on hold, not a call it knows):
        count again from `now`."""
        self._excused[leg] = now

    def next_check(self, last_heard: Mapping[int, float]) -> float | None:
        """The earliest moment a leg can time out (None: nothing to watch)."""
        if not self.enabled or not last_heard:
            return None
        return min(max(heard, self._excused.get(leg, heard)) for leg, heard
                   in last_heard.items()) + self.timeout


__all__ = ["CAUSE", "EVENT", "MediaWatch", "is_silent", "offer_holds"]
