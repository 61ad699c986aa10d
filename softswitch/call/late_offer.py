"""Late offer (RFC 3261 §13.2.1, RFC 3264 §4): an INVITE without SDP is answered with
our offer in the 2xx, and the caller's answer must come in the ACK. Pure functions over
the messages, so every service that answers calls (the B2BUA, the switch's own legs)
handles the same cases the same way."""

from __future__ import annotations

from typing import Protocol

from softswitch.call.actions import MediaParams, UpdateMedia
from softswitch.call.leg_media import SDP, body_sdp, media_params
from softswitch.errors import ProtocolError
from softswitch.sdp.description import SessionDescription
from softswitch.sdp.negotiation import TELEPHONE_EVENT, LocalSdp, SdpCodec, negotiate
from softswitch.sip.message import Request

__all__ = ["SDP", "AwaitsAnswer", "answer_in_ack", "is_late_offer", "offer_body",
           "session_body", "take_answer", "waiting_params"]


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


class AwaitsAnswer(Protocol):
    """A leg the switch answered itself (center, voicemail, conference)."""

    id: int
    media: MediaParams | None
    answer_due: bool


def session_body(sdp: LocalSdp, offer: SessionDescription | None,
                 codecs: tuple[SdpCodec, ...] | list[SdpCodec], port: int) -> bytes:
    """The SDP of our 200: the answer to the caller's offer, or our own offer when its
    INVITE had none."""
    if offer is None:
        return offer_body(sdp, port, list(codecs))
    return str(sdp.answer(offer, list(codecs), port)).encode()


def waiting_params(codecs: tuple[SdpCodec, ...] | list[SdpCodec]) -> MediaParams:
    """What a late-offer leg's media opens with until the ACK answers: our first codec,
    nowhere to send yet (the answer's address, or the first packet, tells)."""
    audio = [c for c in codecs if c.name.lower() != TELEPHONE_EVENT]
    events = [c for c in codecs if c.name.lower() == TELEPHONE_EVENT]
    first = audio[0]
    return MediaParams(first.name.upper(), first.payload_type,
                       events[0].payload_type if events else None, None)


def take_answer(leg: AwaitsAnswer, ack: Request,
                codecs: tuple[SdpCodec, ...] | list[SdpCodec]) -> UpdateMedia | None:
    """The ACK of a late-offer leg: the media update its answer brings, or None when it
    brings no usable answer and the leg must be hung up."""
    leg.answer_due = False
    params = answer_in_ack(ack, codecs)
    if params is None:
        return None
    leg.media = params
    return UpdateMedia(leg.id, params)
