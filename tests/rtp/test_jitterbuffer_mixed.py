"""The jitter buffer fed a stream that is reordered, duplicated and lossy all at once."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.rtp.jitterbuffer import Gap, JitterBuffer
from softswitch.rtp.packet import RtpPacket

TICK = 0.02
PACKETS = 150


def packet(seq: int) -> RtpPacket:
    return RtpPacket(payload_type=0, sequence=(60000 + seq) & 0xFFFF,  # wraps midway
                     timestamp=(seq * 160) & 0xFFFFFFFF, ssrc=7,
                     payload=seq.to_bytes(2, "big") * 80)


def network(seed: int) -> tuple[dict[int, list[int]], set[int], int]:
    """Arrival tick -> sequence offsets: packet i is sent at tick i, delayed 0-1 ticks
    (so neighbours swap), sometimes copied (the copy up to 3 ticks later), sometimes lost
    (never two in a row, so the stream never looks idle). The first three arrive in
    order: reordering before playout starts is the separate case below."""
    rng = random.Random(seed)
    lost: set[int] = set()
    arrivals: dict[int, list[int]] = {}
    copies = 0
    for i in range(PACKETS):
        if 5 < i < PACKETS - 5 and i - 1 not in lost and rng.random() < 0.1:
            lost.add(i)
            continue
        arrivals.setdefault(i + (rng.randint(0, 1) if i >= 3 else 0), []).append(i)
        if rng.random() < 0.12:
            arrivals.setdefault(i + rng.randint(0, 3), []).append(i)
            copies += 1
    for tick, same_tick in arrivals.items():
        if tick >= 3:
            rng.shuffle(same_tick)
    return arrivals, lost, copies


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32))
def test_every_packet_once_in_order_each_loss_concealed_once(seed: int) -> None:
    arrivals, lost, copies = network(seed)
    jb = JitterBuffer(initial_delay_frames=3, min_delay_frames=3)
    out: list[int | str] = []
    for tick in range(PACKETS + 8):
        for i in arrivals.get(tick, []):
            jb.put(packet(i), tick * TICK)
        frame = jb.get(tick * TICK)
        if isinstance(frame, RtpPacket):
            seq = int.from_bytes(frame.payload[:2], "big")
            assert frame.sequence == (60000 + seq) & 0xFFFF
            out.append(seq)
        else:
            out.append("L" if frame is Gap.LOST else "S")
    played = [x for x in out if isinstance(x, int)]
    assert played == sorted(set(range(PACKETS)) - lost)  # each once, in order, none late
    # every loss is concealed exactly once, where its packet would have played
    start = out.index(0)
    assert out[start:start + PACKETS] == ["L" if i in lost else i for i in range(PACKETS)]
    assert jb.stats.lost == len(lost)
    # a copy is a duplicate while its original is held, late once it has been played
    assert jb.stats.duplicates + jb.stats.late == copies
    assert jb.stats.dropped == 0


def test_first_packets_reordered_before_playout_starts_are_all_played() -> None:
    jb = JitterBuffer(initial_delay_frames=3, min_delay_frames=3)
    arrivals = {1: [1, 0], 2: [2], 3: [3], 4: [4], 5: [5]}
    out = []
    for tick in range(7):
        for i in arrivals.get(tick, []):
            jb.put(packet(i), tick * TICK)
        frame = jb.get(tick * TICK)
        if isinstance(frame, RtpPacket):
            out.append(int.from_bytes(frame.payload[:2], "big"))
    assert out[:3] == [0, 1, 2]
