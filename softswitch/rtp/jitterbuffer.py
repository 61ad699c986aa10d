"""An adaptive jitter buffer: a bounded ring of packets played out one frame per 20 ms tick.

Pure, like aiortc's: `put(packet, now)` when a packet arrives, `get(now)` once per playout
tick. Order comes from extended sequence numbers (sequence numbers continue across silence
while timestamps jump, so a hole in the sequence is a lost packet, never a pause).

What a tick gets back:
- the packet due now;
- `Gap.LOST` when a packet is due but missing: the engine conceals it (repeat, then fade);
- `Gap.SILENCE` when nothing is due: before the stream starts and between talkspurts.

Feed every packet of the stream, telephone-events included, so the sequence has no holes;
the consumer decides what a non-audio frame means.

Delay adapts in two directions. It grows on underrun: when the due packet has not arrived
and nothing later has either, the tick conceals without moving on, so a delayed packet is
still played and the buffer is one frame deeper. It shrinks when the buffer has stayed
deeper than the target for a second: one frame is skipped. After a few empty ticks in a
row the stream is idle (silence suppression or a pause) and playout restarts from the next
talkspurt once the target delay is buffered again; the target itself comes from the
interarrival jitter (RFC 3550 A.8 estimator, kept in seconds).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from softswitch.rtp.packet import RtpPacket
from softswitch.rtp.sequence import unwrap


class Gap(enum.Enum):
    SILENCE = "silence"
    LOST = "lost"


@dataclass(slots=True)
class JitterStats:
    received: int = 0
    played: int = 0
    lost: int = 0  # ticks concealed for a packet that never came
    late: int = 0  # arrived after its tick
    duplicates: int = 0
    dropped: int = 0  # skipped to shrink the delay or because the ring overflowed
    underruns: int = 0  # ticks with nothing buffered while playing
    resyncs: int = 0  # flushes after a new SSRC or a large jump


class JitterBuffer:
    def __init__(self, clock_rate: int = 8000, frame_samples: int = 160, capacity: int = 64,
                 min_delay_frames: int = 2, max_delay_frames: int = 12,
                 initial_delay_frames: int = 3, idle_after_frames: int = 3,
                 shrink_after_frames: int = 50) -> None:
        if not 1 <= min_delay_frames <= initial_delay_frames <= max_delay_frames < capacity:
            raise ValueError("need 1 <= min <= initial <= max delay < capacity")
        self.clock_rate = clock_rate
        self.frame_samples = frame_samples
        self.frame_time = frame_samples / clock_rate
        self.capacity = capacity
        self.min_delay_frames = min_delay_frames
        self.max_delay_frames = max_delay_frames
        self.idle_after_frames = idle_after_frames
        self.shrink_after_frames = shrink_after_frames
        self.target_frames = initial_delay_frames
        self.stats = JitterStats()
        self._slots: list[RtpPacket | None] = [None] * capacity
        self._slot_seq: list[int] = [-1] * capacity
        self._ssrc: int | None = None
        self._highest: int | None = None  # extended sequence of the newest packet held
        self._next: int | None = None  # extended sequence due at the next tick (when playing)
        self._floor: int | None = None  # everything below has been played or given up
        self._playing = False
        self._first_arrival = 0.0
        self._misses = 0
        self._deep_ticks = 0
        self._jitter = 0.0  # seconds
        self._last_arrival: float | None = None
        self._last_ts = 0

    # -- observation ---------------------------------------------------------------------

    @property
    def jitter(self) -> float:
        """Interarrival jitter estimate in seconds."""
        return self._jitter

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def depth(self) -> int:
        """Frames from the next due packet to the newest one held (0 when empty)."""
        if self._highest is None:
            return 0
        start = self._next if self._playing else self._lowest()
        if start is None or self._highest < start:
            return 0
        return self._highest - start + 1

    @property
    def delay(self) -> float:
        """Current playout delay target in seconds."""
        return self.target_frames * self.frame_time

    # -- input ---------------------------------------------------------------------------

    def put(self, packet: RtpPacket, now: float) -> bool:
        """Store an arriving packet; False when it was dropped (late, duplicate)."""
        if packet.ssrc != self._ssrc:
            self._resync(packet.ssrc)
        self._update_jitter(packet.timestamp, now)
        reference = self._highest if self._highest is not None else self._floor
        extended = packet.sequence if reference is None else unwrap(
            packet.sequence, reference, 16)
        if (self._floor is not None and extended < self._floor and self._next is None
                and self._highest is not None and self._highest - extended < self.capacity):
            # nothing played yet: a packet overtaken by its successor is early, not late
            self._floor = extended
        if self._floor is not None and extended < self._floor:
            if self._floor - extended > self.capacity:
                self._resync(packet.ssrc)  # the sender restarted its numbering far behind
                extended = packet.sequence
            else:
                self.stats.late += 1
                return False
        window_start = self._floor if self._floor is not None else extended
        if extended - window_start >= self.capacity:
            if extended - window_start >= 2 * self.capacity:
                self._resync(packet.ssrc)
                window_start = extended
            else:
                self._advance_floor(extended - self.capacity + 1)
        slot = extended % self.capacity
        if self._slot_seq[slot] == extended:
            self.stats.duplicates += 1
            return False
        self._slots[slot] = packet
        self._slot_seq[slot] = extended
        if self._highest is None or extended > self._highest:
            self._highest = extended
        if self._floor is None:
            self._floor = extended
            self._first_arrival = now
        elif not self._playing and self._lowest() == extended and self.depth == 1:
            self._first_arrival = now  # first packet of a new talkspurt
        self.stats.received += 1
        return True

    # -- output --------------------------------------------------------------------------

    def get(self, now: float) -> RtpPacket | Gap:
        """The frame for this playout tick."""
        if not self._playing and not self._try_start(now):
            return Gap.SILENCE
        assert self._next is not None and self._highest is not None
        packet = self._take(self._next)
        if packet is not None:
            self._next += 1
            self._floor = self._next
            self._misses = 0
            self.stats.played += 1
            self._maybe_shrink()
            return packet
        if self._highest >= self._next:  # a later packet is here: this one is lost
            self._next += 1
            self._floor = self._next
            self._misses = 0
            self.stats.lost += 1
            return Gap.LOST
        self._misses += 1
        self.stats.underruns += 1
        if self._misses > self.idle_after_frames:
            self._playing = False  # a pause: restart at the next talkspurt
            self._misses = 0
            self._retarget()
            return Gap.SILENCE
        return Gap.LOST

    # -- internals -----------------------------------------------------------------------

    def _try_start(self, now: float) -> bool:
        lowest = self._lowest()
        if lowest is None:
            return False
        assert self._highest is not None
        buffered = self._highest - lowest + 1
        if buffered < self.target_frames and (
                now - self._first_arrival < (self.target_frames - 1) * self.frame_time - 1e-9):
            return False
        self._playing = True
        self._next = lowest
        self._floor = lowest
        self._deep_ticks = 0
        self._misses = 0
        return True

    def _maybe_shrink(self) -> None:
        if self.depth > self.target_frames + 1:
            self._deep_ticks += 1
            if self._deep_ticks >= self.shrink_after_frames:
                assert self._next is not None
                self._take(self._next)
                self._next += 1
                self._floor = self._next
                self.stats.dropped += 1
                self._deep_ticks = 0
                self._retarget()
        else:
            self._deep_ticks = 0

    def _retarget(self) -> None:
        frames = 1 + math.ceil(3 * self._jitter / self.frame_time)
        self.target_frames = max(self.min_delay_frames, min(self.max_delay_frames, frames))

    def _take(self, extended: int) -> RtpPacket | None:
        slot = extended % self.capacity
        if self._slot_seq[slot] != extended:
            return None
        packet = self._slots[slot]
        self._slots[slot] = None
        self._slot_seq[slot] = -1
        return packet

    def _lowest(self) -> int | None:
        if self._highest is None or self._floor is None:
            return None
        for extended in range(max(self._floor, self._highest - self.capacity + 1),
                              self._highest + 1):
            if self._slot_seq[extended % self.capacity] == extended:
                return extended
        return None

    def _advance_floor(self, new_floor: int) -> None:
        assert self._floor is not None
        for extended in range(self._floor, new_floor):
            if self._take(extended) is not None:
                self.stats.dropped += 1
        self._floor = new_floor
        if self._playing and self._next is not None and self._next < new_floor:
            self._next = new_floor

    def _update_jitter(self, timestamp: int, now: float) -> None:
        if self._last_arrival is not None:
            ts_delta = unwrap(timestamp, self._last_ts, 32) - self._last_ts
            d = (now - self._last_arrival) - ts_delta / self.clock_rate
            if abs(d) < 1.0:  # a jump of a second is a resync, not jitter
                self._jitter += (abs(d) - self._jitter) / 16
        self._last_arrival = now
        self._last_ts = timestamp

    def _resync(self, ssrc: int) -> None:
        if self._ssrc is not None:
            self.stats.resyncs += 1
        self._ssrc = ssrc
        self._slots = [None] * self.capacity
        self._slot_seq = [-1] * self.capacity
        self._highest = None
        self._next = None
        self._floor = None
        self._playing = False
        self._misses = 0
        self._deep_ticks = 0
        self._last_arrival = None
