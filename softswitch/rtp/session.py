"""One RTP session per call leg: numbering what we send, measuring what we receive, RTCP.

Sans-IO: `receive(data, addr, now)` and `receive_rtcp(data, addr, now)` take datagrams;
`send_audio`/`send_event` return datagrams; `poll_rtcp(now)` returns a report when one is
due and `next_rtcp_at` says when to call it again.

Symmetric RTP and latching (the rule, so a spoofed packet cannot steal a call):
- The far end's address is latched from the first packet that parses as RTP, whatever the
  SDP said: behind NAT the packets come from somewhere else, and we answer where they come
  from (`remote`).
- Packets from any other address are dropped, with one exception: a packet carrying a new
  SSRC after the latched source has been quiet for `relatch_after` seconds re-latches (the
  phone moved or the far end was re-INVITEd to another media server). A packet from a new
  address while the stream is flowing, or with the current SSRC, never moves the latch.

Receive statistics follow RFC 3550: A.1 sequence validation (a new SSRC starts a fresh
source instead of counting a huge loss), A.3 loss, A.8 interarrival jitter in timestamp
units. The RTCP interval is randomised between 0.5 and 1.5 times the nominal one (6.2, A.7
without the bandwidth share, which two-party calls do not need).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from softswitch.rtp.packet import RtpError, RtpPacket
from softswitch.rtp.quality import Quality, estimate
from softswitch.rtp.rtcp import (
    Bye,
    ReceiverReport,
    ReportBlock,
    RtcpError,
    RtcpPacket,
    SenderReport,
    SourceDescription,
    is_rtcp,
    ntp_middle,
    ntp_timestamp,
    parse_rtcp,
    serialize_rtcp,
)
from softswitch.rtp.sequence import SourceSequence, unwrap

Address = tuple[str, int]


@dataclass(slots=True)
class RemoteSource:
    """What we know about one SSRC the far end sends."""

    ssrc: int
    sequence: SourceSequence
    first_seen: float
    last_seen: float
    packets: int = 0
    octets: int = 0
    jitter: float = 0.0  # RFC 3550 A.8, timestamp units
    cname: str | None = None
    last_sr_middle: int = 0  # LSR to echo
    last_sr_arrival: float | None = None
    ended: bool = False  # BYE received
    _last_arrival: float | None = None
    _last_timestamp: int = 0

    def update_jitter(self, timestamp: int, now: float, clock_rate: int) -> None:
        if self._last_arrival is not None:
            ts_delta = unwrap(timestamp, self._last_timestamp, 32) - self._last_timestamp
            d = (now - self._last_arrival) * clock_rate - ts_delta
            self.jitter += (abs(d) - self.jitter) / 16
        self._last_arrival = now
        self._last_timestamp = timestamp


@dataclass(slots=True)
class SessionCounters:
    packets_sent: int = 0
    octets_sent: int = 0
    malformed: int = 0  # datagrams that did not parse
    foreign: int = 0  # valid RTP from an address other than the latched one
    invalid: int = 0  # held back by sequence validation (probation, wild jumps)
    relatches: int = 0
    rtcp_received: int = 0
    rtcp_malformed: int = 0


@dataclass(slots=True)
class FarEndReport:
    """The latest report block the far end sent about our stream."""

    fraction_lost: int
    cumulative_lost: int
    jitter: int
    received_at: float


class RtpSession:
    def __init__(self, ssrc: int | None = None, *, clock_rate: int = 8000,
                 payload_type: int = 0, frame_samples: int = 160,
                 remote: Address | None = None, cname: str = "softswitch",
                 telephone_event_pt: int | None = 101, rtcp_interval: float = 5.0,
                 relatch_after: float = 2.0, wall_offset: float = 0.0,
                 rng: random.Random | None = None) -> None:
        self._rng = rng if rng is not None else random.Random()
        self.ssrc = ssrc if ssrc is not None else self._rng.getrandbits(32)
        self.clock_rate = clock_rate
        self.payload_type = payload_type
        self.frame_samples = frame_samples
        self.cname = cname
        self.telephone_event_pt = telephone_event_pt
        self.rtcp_interval = rtcp_interval
        self.relatch_after = relatch_after
        self.wall_offset = wall_offset  # wall clock = now + wall_offset, for NTP timestamps
        #: where to send: the SDP's address until a packet latches the real one
        self.remote: Address | None = remote
        self.rtcp_remote: Address | None = (remote[0], remote[1] + 1) if remote else None
        self.latched = False
        self.counters = SessionCounters()
        self.sources: dict[int, RemoteSource] = {}
        self.current: RemoteSource | None = None
        self.far_end: FarEndReport | None = None
        self.rtt: float | None = None  # seconds
        self._sequence = self._rng.getrandbits(16)
        self._timestamp = self._rng.getrandbits(32)
        self._marker_next = True
        self._last_sent_at: float | None = None
        self._last_sent_ts = self._timestamp
        self._sent_since_report = False
        self.next_rtcp_at: float | None = None

    # -- sending -------------------------------------------------------------------------

    @property
    def timestamp(self) -> int:
        """The RTP timestamp the next audio frame will carry."""
        return self._timestamp

    def send_audio(self, payload: bytes, now: float, samples: int | None = None,
                   payload_type: int | None = None) -> bytes:
        """Number one frame; the timestamp then advances by its samples."""
        packet = RtpPacket(
            payload_type=self.payload_type if payload_type is None else payload_type,
            sequence=self._sequence, timestamp=self._timestamp, ssrc=self.ssrc,
            payload=payload, marker=self._marker_next)
        self._marker_next = False
        self._timestamp = (self._timestamp + (samples or self.frame_samples)) & 0xFFFFFFFF
        return self._emit(packet, now)

    def skip(self, samples: int | None = None) -> None:
        """A frame of silence not sent: time moves on and the next packet starts a talkspurt."""
        self._timestamp = (self._timestamp + (samples or self.frame_samples)) & 0xFFFFFFFF
        self._marker_next = True

    def send_event(self, payload: bytes, timestamp: int, marker: bool, now: float,
                   payload_type: int | None = None) -> bytes:
        """A telephone-event packet: its own timestamp (the event start), our sequence."""
        pt = self.telephone_event_pt if payload_type is None else payload_type
        if pt is None:
            raise ValueError("no telephone-event payload type was negotiated")
        packet = RtpPacket(payload_type=pt, sequence=self._sequence,
                           timestamp=timestamp & 0xFFFFFFFF, ssrc=self.ssrc,
                           payload=payload, marker=marker)
        return self._emit(packet, now)

    def _emit(self, packet: RtpPacket, now: float) -> bytes:
        self._sequence = (self._sequence + 1) & 0xFFFF
        self.counters.packets_sent += 1
        self.counters.octets_sent += len(packet.payload)
        self._last_sent_at = now
        self._last_sent_ts = packet.timestamp
        self._sent_since_report = True
        self._arm_rtcp(now)
        return bytes(packet)

    # -- receiving -----------------------------------------------------------------------

    def receive(self, data: bytes, addr: Address, now: float) -> RtpPacket | None:
        """Account for an arriving datagram; the packet when it belongs to the stream.

        RTCP arriving on the RTP port (rtcp-mux, RFC 5761) is recognised and taken in.
        """
        if is_rtcp(data):
            self.receive_rtcp(data, addr, now)
            return None
        try:
            packet = RtpPacket.parse(data)
        except RtpError:
            self.counters.malformed += 1
            return None
        if not self._accept_address(packet, addr, now):
            self.counters.foreign += 1
            return None
        source = self.sources.get(packet.ssrc)
        if source is None:
            # the first source of the leg is trusted on latching; later ones earn it (A.1)
            probation = 0 if self.current is None else 2
            source = RemoteSource(packet.ssrc, SourceSequence(packet.sequence, probation),
                                  now, now)
            self.sources[packet.ssrc] = source
        verdict = source.sequence.update(packet.sequence)
        source.last_seen = now
        if not verdict.valid:
            self.counters.invalid += 1
            return None
        if self.current is not source:
            self.current = source
        source.packets += 1
        source.octets += len(packet.payload)
        if packet.payload_type != self.telephone_event_pt:
            source.update_jitter(packet.timestamp, now, self.clock_rate)
        self._arm_rtcp(now)
        return packet

    def _accept_address(self, packet: RtpPacket, addr: Address, now: float) -> bool:
        if not self.latched:
            self._latch(addr)
            return True
        if addr == self.remote:
            return True
        current = self.current
        quiet = current is None or now - current.last_seen >= self.relatch_after
        if quiet and (current is None or packet.ssrc != current.ssrc):
            self.counters.relatches += 1
            self._latch(addr)
            return True
        return False

    def _latch(self, addr: Address) -> None:
        self.remote = addr
        self.rtcp_remote = (addr[0], addr[1] + 1)  # until RTCP itself shows where it comes from
        self.latched = True

    # -- RTCP ----------------------------------------------------------------------------

    def _arm_rtcp(self, now: float) -> None:
        if self.next_rtcp_at is None:  # the first report comes after half an interval
            self.next_rtcp_at = now + self._interval() / 2

    def _interval(self) -> float:
        return self.rtcp_interval * self._rng.uniform(0.5, 1.5)

    def poll_rtcp(self, now: float) -> bytes | None:
        """A compound report when one is due (then re-armed), else None."""
        if self.next_rtcp_at is None or now < self.next_rtcp_at:
            return None
        self.next_rtcp_at = now + self._interval()
        return serialize_rtcp(self.report(now))

    def report(self, now: float) -> list[RtcpPacket]:
        """SR if we sent since the last report, else RR; then our CNAME (RFC 3550 6.1)."""
        blocks = tuple(self._report_block(source, now) for source in self.sources.values()
                       if source.packets and not source.ended)[:31]
        first: RtcpPacket
        if self._sent_since_report and self._last_sent_at is not None:
            rtp_ts = (self._last_sent_ts
                      + round((now - self._last_sent_at) * self.clock_rate)) & 0xFFFFFFFF
            first = SenderReport(self.ssrc, ntp_timestamp(now + self.wall_offset), rtp_ts,
                                 self.counters.packets_sent, self.counters.octets_sent, blocks)
        else:
            first = ReceiverReport(self.ssrc, blocks)
        self._sent_since_report = False
        return [first, SourceDescription.cname(self.ssrc, self.cname)]

    def bye(self, now: float, reason: str = "") -> bytes:
        """The last RTCP of the leg: a report, our CNAME and BYE."""
        self.next_rtcp_at = None
        return serialize_rtcp([*self.report(now), Bye((self.ssrc,), reason)])

    def _report_block(self, source: RemoteSource, now: float) -> ReportBlock:
        seq = source.sequence
        dlsr = 0
        if source.last_sr_arrival is not None:
            dlsr = round((now - source.last_sr_arrival) * 65536)
        return ReportBlock(source.ssrc, seq.interval_fraction_lost(), seq.lost,
                           seq.extended_max, round(source.jitter), source.last_sr_middle, dlsr)

    def receive_rtcp(self, data: bytes, addr: Address, now: float) -> list[RtcpPacket]:
        """Take in a compound RTCP packet: SR times for LSR/DLSR, RTT from blocks about us."""
        try:
            packets = parse_rtcp(data)
        except RtcpError:
            self.counters.rtcp_malformed += 1
            return []
        self.counters.rtcp_received += 1
        if self.remote is None or addr[0] == self.remote[0]:
            self.rtcp_remote = addr
        arrival_middle = ntp_middle(ntp_timestamp(now + self.wall_offset))
        for packet in packets:
            if isinstance(packet, SenderReport):
                source = self.sources.get(packet.ssrc)
                if source is not None:
                    source.last_sr_middle = ntp_middle(packet.ntp_timestamp)
                    source.last_sr_arrival = now
            if isinstance(packet, SenderReport | ReceiverReport):
                for block in packet.reports:
                    if block.ssrc == self.ssrc:
                        self._take_block(block, arrival_middle, now)
            elif isinstance(packet, SourceDescription):
                for chunk in packet.chunks:
                    if chunk.ssrc in self.sources:
                        self.sources[chunk.ssrc].cname = chunk.cname
            elif isinstance(packet, Bye):
                for ssrc in packet.sources:
                    if ssrc in self.sources:
                        self.sources[ssrc].ended = True
        return packets

    def _take_block(self, block: ReportBlock, arrival_middle: int, now: float) -> None:
        self.far_end = FarEndReport(block.fraction_lost, block.cumulative_lost, block.jitter, now)
        if block.lsr:
            rtt_units = (arrival_middle - block.lsr - block.dlsr) & 0xFFFFFFFF
            if rtt_units < 0x80000000:  # a negative RTT means clocks or fields are wrong
                self.rtt = rtt_units / 65536

    # -- summary -------------------------------------------------------------------------

    def quality(self, playout_delay: float = 0.04) -> Quality:
        """Loss, jitter, RTT and an estimated MOS for what this leg receives."""
        loss = jitter_ms = 0.0
        if self.current is not None:
            seq = self.current.sequence
            expected = seq.expected
            loss = 100.0 * max(0, seq.lost) / expected if expected > 0 else 0.0
            jitter_ms = 1000.0 * self.current.jitter / self.clock_rate
        remote_loss = remote_jitter = None
        if self.far_end is not None:
            remote_loss = 100.0 * self.far_end.fraction_lost / 256
            remote_jitter = 1000.0 * self.far_end.jitter / self.clock_rate
        return estimate(loss, jitter_ms, None if self.rtt is None else self.rtt * 1000,
                        playout_delay * 1000, 1000.0 * self.frame_samples / self.clock_rate,
                        remote_loss, remote_jitter)

