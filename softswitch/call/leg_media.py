"""SDP for call legs: what a leg's offer or answer means for its RTP, and which codecs
to put first so that both legs of a bridge agree (then the media engine only relays)."""

from __future__ import annotations

from softswitch.call.actions import MediaParams
from softswitch.errors import ProtocolError
from softswitch.sdp.description import SessionDescription
from softswitch.sdp.negotiation import TELEPHONE_EVENT, Negotiated, SdpCodec, negotiate
from softswitch.sip.message import Request, Response

SDP = "application/sdp"


def body_sdp(message: Request | Response) -> SessionDescription | None:
    """The SDP in a message body, None when there is none; SdpError when it is broken."""
    if not message.body:
        return None
    kind = (message.content_type or SDP).split(";")[0].strip().lower()
    if kind != SDP:
        return None
    return SessionDescription.parse(message.body)


def media_params(negotiated: Negotiated) -> MediaParams:
    remote = (None if negotiated.remote_address is None or negotiated.remote_port == 0
              else (negotiated.remote_address, negotiated.remote_port))
    return MediaParams(negotiated.codec.name.upper(), negotiated.payload_type,
                       negotiated.telephone_event_pt, remote)


def codecs_first(codecs: tuple[SdpCodec, ...], preference: list[str]) -> list[SdpCodec]:
    """Our codecs, those named in `preference` first and in its order."""
    ours = {c.name.lower(): c for c in codecs}
    ordered = [ours[name.lower()] for name in preference if name.lower() in ours]
    return ordered + [c for c in codecs if c not in ordered]


def answer_codecs(offer: SessionDescription, codecs: tuple[SdpCodec, ...],
                  bridged_codec: str | None) -> list[SdpCodec]:
    """What to answer an offer with: only the codec the other leg uses when the offer
    allows it (so the bridge relays), else everything we have (and the engine transcodes)."""
    if bridged_codec is not None:
        only = [c for c in codecs if c.name.lower() in (bridged_codec.lower(), TELEPHONE_EVENT)]
        if any(c.name.lower() != TELEPHONE_EVENT for c in only):
            try:
                negotiate(offer, only)
                return only
            except ProtocolError:
                pass
    return list(codecs)
