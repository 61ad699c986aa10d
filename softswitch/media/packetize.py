"""Put the engine's payloads into RTP packets with each channel's own session.

The session owns sequence numbers, timestamps and SSRC, so a relayed payload gets the
outgoing leg's header exactly like a mixed one does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from softswitch.media.engine import Outbound
from softswitch.rtp.session import RtpSession


def packetize(packets: Iterable[Outbound], sessions: Mapping[int, RtpSession],
              now: float) -> list[tuple[int, bytes]]:
    """(channel, datagram) for every payload whose channel has a session."""
    datagrams = []
    for out in packets:
        session = sessions.get(out.channel)
        if session is not None:
            datagrams.append((out.channel, session.send_audio(
                out.payload, now, payload_type=out.payload_type)))
    return datagrams
