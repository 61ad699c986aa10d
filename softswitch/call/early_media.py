"""Early media (RFC 3960, the gateway model): a callee's 183 with SDP is audio the caller
must hear before the 200 (a carrier's ringback, an announcement), so the switch answers
the caller's offer in its own 183 and bridges the two legs at once; the 200 later reuses
the same channels and the same SDP. A 180 without SDP stays a 180 (the phone rings
itself)."""

from __future__ import annotations

from softswitch.call.actions import MediaParams
from softswitch.call.leg_media import body_sdp, media_params
from softswitch.errors import ProtocolError
from softswitch.sdp.negotiation import SdpCodec, negotiate
from softswitch.sip.message import Response

SESSION_PROGRESS = 183


def early_params(response: Response,
                 codecs: tuple[SdpCodec, ...] | list[SdpCodec]) -> MediaParams | None:
    """The media of a provisional response that brings early media; None for a bare
    180/183, a broken SDP or one with no codec of ours (then it only rings)."""
    if not 100 < response.status < 200:
        return None
    try:
        sdp = body_sdp(response)
        if sdp is None:
            return None
        return media_params(negotiate(sdp, list(codecs)))
    except ProtocolError:
        return None
