"""Sequence numbers that wrap: extension to 64 bits and RFC 3550 A.1 source validation.

RTP carries a 16-bit sequence number and a 32-bit timestamp; both wrap during a call (the
sequence after 22 minutes of 20 ms packets). Statistics and the jitter buffer work on
extended values so that a wrap is neither a reorder nor a loss of 65,535 packets.
"""

from __future__ import annotations

from dataclasses import dataclass

SEQ_MOD = 1 << 16
TS_MOD = 1 << 32
MAX_DROPOUT = 3000
MAX_MISORDER = 100
MIN_SEQUENTIAL = 2


def unwrap(value: int, reference: int, bits: int) -> int:
    """The extended value congruent to `value` (mod 2**bits) that lies nearest `reference`."""
    modulus = 1 << bits
    half = modulus >> 1
    delta = (value - reference) % modulus
    if delta >= half:
        delta -= modulus
    return reference + delta


@dataclass(frozen=True, slots=True)
class SequenceVerdict:
    """What `SourceSequence.update` decided about one packet."""

    valid: bool  # counts toward statistics and may be played
    extended: int  # extended sequence number (meaningful when valid)
    restarted: bool = False  # the source restarted its numbering (or left probation)


class SourceSequence:
    """RFC 3550 A.1 `update_seq`: probation for new sources, wrap counting, resync on a jump.

    A source must send MIN_SEQUENTIAL packets in order before it is believed, so a stray
    packet does not create a stream. A jump larger than MAX_DROPOUT is believed only when
    the very next packet continues from it (the sender restarted); otherwise it is dropped.
    """

    __slots__ = ("bad_seq", "base_seq", "cycles", "expected_prior", "max_seq", "probation",
                 "received", "received_prior")

    def __init__(self, seq: int, probation: int = MIN_SEQUENTIAL) -> None:
        self._init(seq)
        self.max_seq = (seq - 1) % SEQ_MOD if probation else seq
        self.probation = probation

    def _init(self, seq: int) -> None:
        self.base_seq = seq
        self.max_seq = seq
        self.bad_seq = SEQ_MOD + 1  # so seq == bad_seq is false
        self.cycles = 0
        self.received = 0
        self.received_prior = 0
        self.expected_prior = 0

    @property
    def extended_max(self) -> int:
        return self.cycles + self.max_seq

    @property
    def expected(self) -> int:
        return self.extended_max - self.base_seq + 1

    @property
    def lost(self) -> int:
        """Cumulative packets lost: negative when duplicates outnumber losses (RFC 3550 6.4.1)."""
        return self.expected - self.received

    def update(self, seq: int) -> SequenceVerdict:
        seq &= 0xFFFF
        udelta = (seq - self.max_seq) % SEQ_MOD
        if self.probation:
            if seq == (self.max_seq + 1) % SEQ_MOD:
                self.probation -= 1
                self.max_seq = seq
                if self.probation == 0:
                    self._init(seq)
                    self.received += 1
                    return SequenceVerdict(True, seq, restarted=True)
            else:
                self.probation = MIN_SEQUENTIAL - 1
                self.max_seq = seq
            return SequenceVerdict(False, seq)
        if udelta < MAX_DROPOUT:
            if seq < self.max_seq:
                self.cycles += SEQ_MOD
            self.max_seq = seq
            extended = self.cycles + seq
        elif udelta <= SEQ_MOD - MAX_MISORDER:
            if seq == self.bad_seq:
                self._init(seq)
                self.received += 1
                return SequenceVerdict(True, seq, restarted=True)
            self.bad_seq = (seq + 1) % SEQ_MOD
            return SequenceVerdict(False, seq)
        else:
            extended = unwrap(seq, self.extended_max, 16)  # late or duplicate
        self.received += 1
        return SequenceVerdict(True, extended)

    def interval_fraction_lost(self) -> int:
        """Fraction lost since the previous call, in 1/256 (RFC 3550 A.3); resets the interval."""
        expected = self.expected
        expected_interval = expected - self.expected_prior
        self.expected_prior = expected
        received_interval = self.received - self.received_prior
        self.received_prior = self.received
        lost_interval = expected_interval - received_interval
        if expected_interval <= 0 or lost_interval <= 0:
            return 0
        return min(255, (lost_interval << 8) // expected_interval)
