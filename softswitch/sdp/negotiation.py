"""RFC 3264 offer/answer for one audio stream per leg, as pure functions.

- `negotiate(remote, codecs)` reads what the far end's offer or answer lets us do: the
  first codec in its order that we support, telephone-event with *its* payload type, ptime,
  direction, hold, and where to send.
- `answer(offer, codecs, address, port, direction)` builds our answer: the first acceptable
  audio m-line is accepted with one codec (plus telephone-event); every other m-line
  (video, a second audio stream, a port-0 stream, RTP/SAVP we cannot key) is answered with
  port 0, keeping the m-line count as RFC 3264 6 demands.
- `LocalSdp` keeps our o= line for a dialog: same session id, version incremented whenever
  the description we send changes (RFC 3264 8).

Codecs are a parameter (`SdpCodec` list, in our order of preference) so the codec registry
decides what is offered; `DEFAULT_CODECS` is G.711 plus telephone-event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from softswitch.sdp.description import (
    DIRECTIONS,
    Connection,
    MediaDescription,
    Origin,
    RtpMap,
    SdpError,
    SessionDescription,
)

DEFAULT_PTIME = 20
TELEPHONE_EVENT = "telephone-event"
_RTP_PROFILES = ("RTP/AVP", "RTP/AVPF")

#: RFC 3551 static payload types: a format without a=rtpmap means these
STATIC_PAYLOAD_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("PCMU", 8000, 1), 3: ("GSM", 8000, 1), 4: ("G723", 8000, 1), 8: ("PCMA", 8000, 1),
    9: ("G722", 8000, 1), 10: ("L16", 44100, 2), 11: ("L16", 44100, 1), 13: ("CN", 8000, 1),
    18: ("G729", 8000, 1),
}


@dataclass(frozen=True, slots=True)
class SdpCodec:
    """A codec as SDP names it. `payload_type` is static, or our choice when we offer a
    dynamic one (an answer always echoes the offer's number)."""

    name: str
    clock_rate: int
    payload_type: int
    channels: int = 1
    fmtp: str | None = None

    def matches(self, name: str, clock_rate: int, channels: int | None) -> bool:
        return (self.name.lower() == name.lower() and self.clock_rate == clock_rate
                and self.channels == (channels or 1))


PCMU = SdpCodec("PCMU", 8000, 0)
PCMA = SdpCodec("PCMA", 8000, 8)
G722 = SdpCodec("G722", 8000, 9)
L16 = SdpCodec("L16", 8000, 118)
TELEPHONE_EVENT_8K = SdpCodec(TELEPHONE_EVENT, 8000, 101, fmtp="0-16")
DEFAULT_CODECS: tuple[SdpCodec, ...] = (PCMU, PCMA, TELEPHONE_EVENT_8K)

_REVERSE = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly",
            "inactive": "inactive"}
_FLAGS = {"sendrecv": (True, True), "sendonly": (True, False), "recvonly": (False, True),
          "inactive": (False, False)}
_FROM_FLAGS = {flags: name for name, flags in _FLAGS.items()}


def answer_direction(offered: str, local: str = "sendrecv") -> str:
    """Our direction in the answer: the mirror of the offer, limited by what we want."""
    mirror_send, mirror_recv = _FLAGS[_REVERSE[offered]]
    local_send, local_recv = _FLAGS[local]
    return _FROM_FLAGS[(mirror_send and local_send, mirror_recv and local_recv)]


def offered_direction(session: SessionDescription, media: MediaDescription) -> str:
    """The far end's direction, counting c=0.0.0.0 (RFC 2543 hold) as "do not send to me"."""
    direction = session.media_direction(media)
    connection = session.media_connection(media)
    if connection is not None and connection.is_hold:
        send, _ = _FLAGS[direction]
        direction = _FROM_FLAGS[(send, False)]
    return direction


def is_hold(session: SessionDescription, media: MediaDescription) -> bool:
    """Whether the far end puts this stream on hold: sendonly, inactive or c=0.0.0.0."""
    return offered_direction(session, media) in ("sendonly", "inactive")


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What one audio stream was agreed to be, from our side."""

    payload_type: int
    codec: SdpCodec  # with the far end's payload type
    telephone_event_pt: int | None
    ptime: int
    direction: str  # ours: whether we send and receive
    remote_address: str | None
    remote_port: int
    hold: bool
    media_index: int = 0
    other_codecs: tuple[SdpCodec, ...] = field(default=())  # also acceptable, in order

    @property
    def sends(self) -> bool:
        return _FLAGS[self.direction][0]

    @property
    def receives(self) -> bool:
        return _FLAGS[self.direction][1]


def _offered_codecs(media: MediaDescription) -> list[SdpCodec]:
    """The m-line's formats as codecs, in the m-line's order, with their payload types."""
    maps = media.rtpmaps()
    codecs = []
    for pt in media.payload_types:
        rtpmap: RtpMap | None = maps.get(pt)
        if rtpmap is not None:
            codecs.append(SdpCodec(rtpmap.encoding, rtpmap.clock_rate, pt,
                                   rtpmap.channels or 1, media.fmtp(pt)))
        elif pt in STATIC_PAYLOAD_TYPES:
            name, rate, channels = STATIC_PAYLOAD_TYPES[pt]
            codecs.append(SdpCodec(name, rate, pt, channels, media.fmtp(pt)))
    return codecs


def _common(media: MediaDescription, codecs: tuple[SdpCodec, ...] | list[SdpCodec]
            ) -> tuple[list[SdpCodec], SdpCodec | None]:
    """Audio codecs both sides support (the far end's order and numbers), and its
    telephone-event matching one of ours."""
    audio: list[SdpCodec] = []
    event: SdpCodec | None = None
    for offered in _offered_codecs(media):
        ours = next((c for c in codecs
                     if c.matches(offered.name, offered.clock_rate, offered.channels)), None)
        if ours is None:
            continue
        if offered.name.lower() == TELEPHONE_EVENT:
            event = event or offered
        else:
            audio.append(offered)
    return audio, event


def _acceptable(media: MediaDescription) -> bool:
    return media.media == "audio" and media.port != 0 and media.proto in _RTP_PROFILES


def negotiate(remote: SessionDescription,
              codecs: tuple[SdpCodec, ...] | list[SdpCodec] = DEFAULT_CODECS,
              local_direction: str = "sendrecv") -> Negotiated:
    """Read the first usable audio stream of the far end's SDP (offer or answer).

    SdpError with status 488 when no audio stream can be used.
    """
    reasons = []
    for index, media in enumerate(remote.media):
        if not _acceptable(media):
            reasons.append(f"m-line {index + 1} ({media.media} {media.port} {media.proto}) "
                           "is not an active RTP audio stream")
            continue
        audio, event = _common(media, codecs)
        if not audio:
            reasons.append(f"m-line {index + 1} offers no codec we support "
                           f"({' '.join(media.formats) or 'none'})")
            continue
        connection = remote.media_connection(media)
        direction = offered_direction(remote, media)
        return Negotiated(
            payload_type=audio[0].payload_type, codec=audio[0],
            telephone_event_pt=event.payload_type if event else None,
            ptime=media.ptime or DEFAULT_PTIME,
            direction=answer_direction(direction, local_direction),
            remote_address=None if connection is None else connection.host,
            remote_port=media.port,
            hold=direction in ("sendonly", "inactive"),
            media_index=index, other_codecs=tuple(audio[1:]))
    detail = "; ".join(reasons) if reasons else "it has no m-lines"
    raise SdpError(f"no acceptable audio stream: {detail}", status=488)


def _audio_media(port: int, codecs: list[SdpCodec], ptime: int, direction: str,
                 proto: str = "RTP/AVP") -> MediaDescription:
    media = MediaDescription("audio", port, proto, [str(c.payload_type) for c in codecs])
    for codec in codecs:
        channels = None if codec.channels == 1 else codec.channels
        media.attributes.append(("rtpmap", str(RtpMap(codec.payload_type, codec.name,
                                                      codec.clock_rate, channels))))
        if codec.fmtp is not None:
            media.attributes.append(("fmtp", f"{codec.payload_type} {codec.fmtp}"))
    media.attributes.append(("ptime", str(ptime)))
    media.set_direction(direction)
    return media


def _rejected(media: MediaDescription) -> MediaDescription:
    return MediaDescription(media.media, 0, media.proto, list(media.formats[:1]) or ["0"])


def answer(offer: SessionDescription,
           local_capabilities: tuple[SdpCodec, ...] | list[SdpCodec],
           local_address: str, local_port: int, direction: str = "sendrecv",
           origin: Origin | None = None) -> SessionDescription:
    """Our answer to `offer`; SdpError (488) when no audio stream can be accepted."""
    if direction not in DIRECTIONS:
        raise ValueError(f"not a direction: {direction}")
    chosen = negotiate(offer, local_capabilities, direction)
    result = SessionDescription(
        origin=origin or Origin("softswitch", "0", 0, "IN", _addrtype(local_address),
                                local_address),
        session_name="softswitch",
        connection=Connection(local_address, "IN", _addrtype(local_address)),
        times=list(offer.times) or ["0 0"])
    for index, media in enumerate(offer.media):
        if index != chosen.media_index:
            result.media.append(_rejected(media))
            continue
        codecs = [chosen.codec]
        if chosen.telephone_event_pt is not None:
            ours = next(c for c in local_capabilities if c.name.lower() == TELEPHONE_EVENT)
            offered_fmtp = media.fmtp(chosen.telephone_event_pt)
            codecs.append(SdpCodec(TELEPHONE_EVENT, 8000, chosen.telephone_event_pt,
                                   fmtp=offered_fmtp or ours.fmtp))
        result.media.append(_audio_media(local_port, codecs, chosen.ptime, chosen.direction,
                                         media.proto))
    return result


def offer(local_address: str, local_port: int,
          codecs: tuple[SdpCodec, ...] | list[SdpCodec] = DEFAULT_CODECS,
          direction: str = "sendrecv", ptime: int = DEFAULT_PTIME,
          origin: Origin | None = None) -> SessionDescription:
    """Our offer: one audio m-line listing `codecs` in our order of preference."""
    if direction not in DIRECTIONS:
        raise ValueError(f"not a direction: {direction}")
    return SessionDescription(
        origin=origin or Origin("softswitch", "0", 0, "IN", _addrtype(local_address),
                                local_address),
        session_name="softswitch",
        connection=Connection(local_address, "IN", _addrtype(local_address)),
        media=[_audio_media(local_port, list(codecs), ptime, direction)])


def _addrtype(address: str) -> str:
    return "IP6" if ":" in address else "IP4"


class LocalSdp:
    """Our side of a dialog's SDP: a fixed o= session id whose version moves on change."""

    def __init__(self, address: str, session_id: int, username: str = "softswitch") -> None:
        self.address = address
        self.origin = Origin(username, str(session_id), session_id & 0xFFFFFFFF, "IN",
                             _addrtype(address), address)
        self._last: str | None = None

    def _stamp(self, description: SessionDescription) -> SessionDescription:
        body = [str(m) for m in description.media] + [str(description.connection)]
        key = "\n".join(body)
        if self._last is not None and key != self._last:
            self.origin.version += 1
        self._last = key
        description.origin = Origin(**{k: getattr(self.origin, k) for k in (
            "username", "session_id", "version", "nettype", "addrtype", "address")})
        return description

    def offer(self, port: int, codecs: tuple[SdpCodec, ...] | list[SdpCodec] = DEFAULT_CODECS,
              direction: str = "sendrecv", ptime: int = DEFAULT_PTIME) -> SessionDescription:
        return self._stamp(offer(self.address, port, codecs, direction, ptime))

    def answer(self, remote_offer: SessionDescription,
               codecs: tuple[SdpCodec, ...] | list[SdpCodec], port: int,
               direction: str = "sendrecv") -> SessionDescription:
        return self._stamp(answer(remote_offer, codecs, self.address, port, direction))


def is_new_version(previous: SessionDescription | None, current: SessionDescription) -> bool:
    """Whether a re-offer really changes anything (RFC 3264 8: same version, same session)."""
    if previous is None:
        return True
    return (previous.origin.session_id != current.origin.session_id
            or previous.origin.version != current.origin.version)
