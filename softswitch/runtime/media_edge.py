"""The asyncio edge of the media path: RTP sockets feed sessions and the engine, and one
drift-free 20 ms ticker sends what the engine's tick returns.

Each call leg gets an `RtpSession` (latching, RTCP, quality) and an engine channel. A
bridge with matching codecs is relayed packet by packet as it arrives; otherwise the
tick decodes, mixes and encodes (PCMU <-> PCMA transcoding). The ticker runs only while
some leg is open. Nothing here decides anything about calls: it carries out the
B2BUA's OpenMedia / UpdateMedia / BridgeMedia / CloseMedia actions.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from softswitch.call.actions import (
    BridgeMedia,
    CloseMedia,
    HoldMedia,
    MediaParams,
    OpenMedia,
    UpdateMedia,
)
from softswitch.clock import Clock
from softswitch.codecs.base import Codec
from softswitch.codecs.registry import DEFAULT_REGISTRY, CodecRegistry
from softswitch.media.engine import (
    InbandDigit,
    MediaEngine,
    MediaError,
    PromptFinished,
    RecordingBlock,
)
from softswitch.media.prompts import PromptError, prompts_dir, read_prompt
from softswitch.media.ticker import Ticker
from softswitch.rtp.dtmf import DtmfReceiver
from softswitch.rtp.session import RtpSession
from softswitch.runtime.rtp_ports import BoundPorts

log = logging.getLogger(__name__)

#: datagrams read per readiness callback before yielding to the loop
_READ_BURST = 64
#: ticks between RTCP checks (the sessions' own intervals are seconds)
_RTCP_EVERY = 25
#: the prompt a held party hears
MUSIC_ON_HOLD = "moh"


@dataclass(eq=False)
class _MediaLeg:
    leg: int
    port: int
    rtp: socket.socket
    rtcp: socket.socket
    session: RtpSession
    channel: int
    codec: Codec
    partner: _MediaLeg | None = None
    #: RFC 4733 relay: the timestamp an event started with here, and on the partner
    event_from: int | None = None
    event_to: int = 0
    #: key presses on a leg that ends on the switch (no partner to relay them to)
    dtmf: DtmfReceiver | None = None
    #: when its last RTP or RTCP packet came (or it opened): the media timeout's input
    heard_at: float = 0.0


class MediaListener(Protocol):
    """Who hears what happens on legs that end on the switch (IVR, queue, survey)."""

    def on_digit(self, leg: int, digit: str) -> None: ...
    def on_prompt_finished(self, leg: int) -> None: ...


class MediaEdge:
    def __init__(self, loop: asyncio.AbstractEventLoop, clock: Clock, ports: BoundPorts,
                 engine: MediaEngine | None = None,
                 registry: CodecRegistry = DEFAULT_REGISTRY,
                 rtcp_interval: float = 5.0) -> None:
        self._loop = loop
        self._clock = clock
        self.ports = ports
        self.engine = engine or MediaEngine()
        self._registry = registry
        self._rtcp_interval = rtcp_interval
        self._legs: dict[int, _MediaLeg] = {}
        self._by_channel: dict[int, _MediaLeg] = {}
        self._qualities: dict[int, dict[str, Any]] = {}
        self._ticker: Ticker | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._ticks = 0
        if not self.engine.has_prompt(MUSIC_ON_HOLD):
            try:
                self.engine.add_prompt(MUSIC_ON_HOLD,
                                       read_prompt(prompts_dir() / f"{MUSIC_ON_HOLD}.wav"))
            except (PromptError, OSError) as error:
                log.warning("no music on hold: %s", error)
        #: datagrams that arrived for a leg and could not be used
        self.dropped = 0
        self.listener: MediaListener | None = None
        #: who takes each tick's recorded audio (and writes it off the loop); None: dropped
        self.recordings: Callable[[list[RecordingBlock]], None] | None = None

    @property
    def legs(self) -> int:
        return len(self._legs)

    # -- actions -------------------------------------------------------------------------

    def open(self, action: OpenMedia) -> None:
        if action.leg in self._legs:
            return
        params = action.params
        try:
            codec = self._registry.lookup(params.codec)
            channel = self.engine.open_channel(codec)
        except (ValueError, MediaError) as error:
            log.warning("leg %d: no media (%s)", action.leg, error)
            return
        rtp, rtcp = self.ports.sockets(action.port)
        _drain(rtp)
        _drain(rtcp)
        session = RtpSession(payload_type=params.payload_type, remote=params.remote,
                             telephone_event_pt=params.telephone_event_pt,
                             rtcp_interval=self._rtcp_interval,
                             wall_offset=self._clock.wall() - self._clock.now())
        leg = _MediaLeg(action.leg, action.port, rtp, rtcp, session, channel, codec,
                        heard_at=self._clock.now())
        self._legs[action.leg] = leg
        self._by_channel[channel] = leg
        self._loop.add_reader(rtp.fileno(), self._on_rtp, leg)
        self._loop.add_reader(rtcp.fileno(), self._on_rtcp, leg)
        if self._ticker is None:
            self._ticker = Ticker(self._clock.now())
            self._arm()

    def update(self, action: UpdateMedia) -> None:
        leg = self._legs.get(action.leg)
        if leg is None:
            return
        params: MediaParams = action.params
        leg.session.payload_type = params.payload_type
        leg.session.telephone_event_pt = params.telephone_event_pt
        if params.remote is not None and params.remote != leg.session.remote:
            leg.session.remote = params.remote
            leg.session.rtcp_remote = (params.remote[0], params.remote[1] + 1)
            leg.session.latched = False  # the next packet shows where it really is now
        try:
            codec = self._registry.lookup(params.codec)
        except ValueError:
            return
        if codec is not leg.codec:
            leg.codec = codec
            self.engine.set_codec(leg.channel, codec)

    def bridge(self, action: BridgeMedia) -> None:
        a, b = self._legs.get(action.a), self._legs.get(action.b)
        if a is None or b is None:
            return
        a.partner, b.partner = b, a
        self.engine.bridge(a.channel, b.channel)

    def hold(self, action: HoldMedia) -> None:
        holder, other = self._legs.get(action.leg), self._legs.get(action.other)
        if other is None:
            return
        if action.on and holder is not None and self.engine.has_prompt(MUSIC_ON_HOLD):
            self.engine.set_talk(holder.channel, False)
            self.engine.play(other.channel, MUSIC_ON_HOLD, loop=True)
        elif not action.on:  # the holder may be gone already (a transferor that hung up)
            self.engine.stop_playback(other.channel)
            if holder is not None:
                self.engine.set_talk(holder.channel, True)

    def play_prompts(self, leg_id: int, names: tuple[str, ...], loop: bool = False) -> None:
        """Play prompts on a leg that ends on the switch; its key presses are heard
        from now on (RFC 4733 and in-band)."""
        leg = self._legs.get(leg_id)
        if leg is None:
            return
        if leg.dtmf is None:
            leg.dtmf = DtmfReceiver()
            self.engine.set_detect_inband(leg.channel, True)
        try:
            self.engine.play(leg.channel, names, loop=loop)
        except MediaError as error:
            log.warning("leg %d: %s", leg_id, error)

    def record(self, leg_id: int) -> int | None:
        """Record a leg, both directions mixed; the id its blocks will carry (None: no
        such leg, or it is already being recorded)."""
        leg = self._legs.get(leg_id)
        if leg is None:
            return None
        try:
            return self.engine.record(leg.channel)
        except MediaError as error:
            log.warning("leg %d: %s", leg_id, error)
            return None

    def stop_recording(self, leg_id: int) -> None:
        leg = self._legs.get(leg_id)
        if leg is not None:
            self.engine.stop_recording(leg.channel)

    def channel_of(self, leg_id: int) -> int | None:
        """The engine channel of a leg (for parts that join legs to mixes: supervisors)."""
        leg = self._legs.get(leg_id)
        return None if leg is None else leg.channel

    def stop_prompts(self, leg_id: int) -> None:
        leg = self._legs.get(leg_id)
        if leg is not None:
            self.engine.stop_playback(leg.channel)

    def join_mix(self, leg_id: int, group: int) -> bool:
        """Put a leg in one of the engine's mixes (a conference room): it hears every
        other member and is heard by them. False when the leg has no media here."""
        leg = self._legs.get(leg_id)
        if leg is None:
            return False
        try:
            self.engine.join(group, leg.channel)
        except MediaError as error:
            log.warning("leg %d: %s", leg_id, error)
            return False
        return True

    def leave_mix(self, leg_id: int) -> None:
        leg = self._legs.get(leg_id)
        if leg is not None:
            self.engine.leave(leg.channel)

    def _tell(self, events: list[Any]) -> None:
        listener = self.listener
        assert listener is not None
        for event in events:
            leg = self._by_channel.get(event.channel)
            if leg is None:
                continue
            if isinstance(event, PromptFinished):
                if not event.interrupted and not self.engine.is_playing(event.channel):
                    listener.on_prompt_finished(leg.leg)
            elif isinstance(event, InbandDigit) and leg.partner is None:
                listener.on_digit(leg.leg, event.event.digit)

    def close(self, action: CloseMedia) -> None:
        leg = self._legs.pop(action.leg, None)
        if leg is None:
            return
        now = self._clock.now()
        self._loop.remove_reader(leg.rtp.fileno())
        self._loop.remove_reader(leg.rtcp.fileno())
        if leg.partner is not None and leg.partner.partner is leg:
            leg.partner.partner = None
        self._by_channel.pop(leg.channel, None)
        self.engine.close_channel(leg.channel)
        session = leg.session
        if session.rtcp_remote is not None and session.counters.packets_sent:
            _send(leg.rtcp, session.bye(now), session.rtcp_remote)
        quality = asdict(session.quality())
        quality.update(packets_sent=session.counters.packets_sent,
                       packets_received=sum(s.packets for s in session.sources.values()),
                       remote=None if session.remote is None else list(session.remote),
                       codec=leg.codec.rtpmap)
        self._qualities[leg.leg] = quality
        if not self._legs:
            self._stop_ticker()

    def last_heard(self) -> dict[int, float]:
        """Each open leg's last RTP or RTCP arrival (its opening if none came yet)."""
        return {leg.leg: leg.heard_at for leg in self._legs.values()}

    def take_quality(self, leg: int) -> dict[str, Any] | None:
        """The RTCP quality of a closed leg (once), for its CDR."""
        return self._qualities.pop(leg, None)

    # -- receiving -----------------------------------------------------------------------

    def _on_rtp(self, leg: _MediaLeg) -> None:
        now = self._clock.now()
        session = leg.session
        engine = self.engine
        for _ in range(_READ_BURST):
            try:
                data, addr = leg.rtp.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            packet = session.receive(data, addr, now)
            if packet is None:
                continue
            leg.heard_at = now
            if packet.payload_type != session.payload_type:
                if packet.payload_type == session.telephone_event_pt and leg.dtmf is not None \
                        and leg.partner is None:
                    for event in leg.dtmf.receive(packet, now):
                        if self.listener is not None:
                            self.listener.on_digit(leg.leg, event.digit)
                elif packet.payload_type == session.telephone_event_pt:
                    self._relay_event(leg, packet.payload, packet.timestamp, packet.marker, now)
                else:
                    self.dropped += 1  # comfort noise and the like
                continue
            try:
                out = engine.receive(leg.channel, packet.payload)
            except MediaError:
                self.dropped += 1
                continue
            if out is not None:
                self._send_audio(self._by_channel.get(out.channel), out.payload, now)

    def _relay_event(self, leg: _MediaLeg, payload: bytes, timestamp: int, marker: bool,
                     now: float) -> None:
        """Telephone events pass to the bridged leg on its own timeline: each event keeps
        one timestamp (its start), mapped to where the partner's audio is at that moment."""
        partner = leg.partner
        if partner is None or partner.session.telephone_event_pt is None \
                or partner.session.remote is None:
            self.dropped += 1
            return
        if timestamp != leg.event_from:
            leg.event_from = timestamp
            leg.event_to = partner.session.timestamp
        data = partner.session.send_event(payload, leg.event_to, marker, now)
        _send(partner.rtp, data, partner.session.remote)

    def _on_rtcp(self, leg: _MediaLeg) -> None:
        now = self._clock.now()
        for _ in range(_READ_BURST):
            try:
                data, addr = leg.rtcp.recvfrom(2048)
            except OSError:
                return
            if leg.session.receive_rtcp(data, addr, now):
                leg.heard_at = now

    def _send_audio(self, leg: _MediaLeg | None, payload: bytes, now: float) -> None:
        if leg is None:
            return
        data = leg.session.send_audio(payload, now)
        if leg.session.remote is not None:
            _send(leg.rtp, data, leg.session.remote)

    # -- the 20 ms tick ------------------------------------------------------------------

    def _arm(self) -> None:
        if self._ticker is not None:
            self._timer = self._loop.call_at(self._ticker.next_deadline(), self._on_tick)

    def _on_tick(self) -> None:
        self._timer = None
        ticker = self._ticker
        if ticker is None:
            return
        now = self._clock.now()
        due = ticker.due(now)
        for _ in due.ticks:
            result = self.engine.tick(now, due.skipped)
            for out in result.packets:
                self._send_audio(self._by_channel.get(out.channel), out.payload, now)
            if result.events and self.listener is not None:
                self._tell(result.events)
            if result.recordings and self.recordings is not None:
                self.recordings(result.recordings)
            self._ticks += 1
            if self._ticks % _RTCP_EVERY == 0:
                self._poll_rtcp(now)
        self._arm()

    def _poll_rtcp(self, now: float) -> None:
        for leg in self._legs.values():
            report = leg.session.poll_rtcp(now)
            if report is not None and leg.session.rtcp_remote is not None:
                _send(leg.rtcp, report, leg.session.rtcp_remote)

    def lateness(self) -> dict[str, float] | None:
        return None if self._ticker is None else asdict(self._ticker.stats())

    def _stop_ticker(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._ticker = None

    def stop(self) -> None:
        for leg in list(self._legs):
            self.close(CloseMedia(leg))
        self._stop_ticker()


def _drain(sock: socket.socket) -> None:
    """Stray datagrams of the port's previous call must not latch the new session."""
    for _ in range(1024):
        try:
            sock.recvfrom(2048)
        except OSError:
            return


def _send(sock: socket.socket, data: bytes, addr: tuple[str, int]) -> None:
    try:
        sock.sendto(data, addr)
    except OSError as error:  # unreachable peer, full buffer: RTP is lossy anyway
        log.debug("RTP send to %s failed: %s", addr, error)
