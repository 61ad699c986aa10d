"""Late offer (RFC 3261 §13.2.1, RFC 3264 §4): an INVITE without SDP is answered with
our offer in the 2xx, and the caller's answer must come in the ACK. Pure functions over
the messages, so every service that answers calls (the B2BUA, the switch's own legs)
handles the same cases the same way."""

from __future__ import annotations

from softswitch.call.actions import MediaParams
from softswitch.call.leg_media import SDP, body_sdp, media_params
from softswitch.errors import ProtocolError
from softswitch.sdp.negotiation import LocalSdp, SdpCodec, negotiate
from softswitch.sip.message import Request

__all__ = ["SDP", "answer_in_ack", "is_late_offer", "offer_body"]


def is_late_offer(invite: Request) -> bool:
    """The INVITE carries no SDP offer: ours goes in the 2xx. A broken SDP body is not
    a late offer (it gets its 4xx from the parser)."""
    return body_sdp(invite) is None


def offer_body(sdp: LocalSdp, port: int, codecs: list[SdpCodec]) -> bytes:
    """Our offer for the 2xx of a late-offer INVITE, `codecs` in order of preference."""
    return str(sdp.offer(port, codecs)).encode()


def answer_in_ack(ack: Request,
                  codecs: tuple[SdpCodec, ...] | list[SdpCodec]) -> MediaParams | None:
    """The media the ACK's SDP answer settles; None when it has no answer, a broken
    one, or one with no codec we offered: the session cannot start and the call ends."""
    try:
        answer = body_sdp(ack)
        if answer is None:
            return None
        return media_params(negotiate(answer, list(codecs)))
    except ProtocolError:
        return None
