"""The golden path: a prompt played to a real RTP socket decodes back into the same samples."""

from __future__ import annotations

import itertools
import socket
import wave
from collections.abc import Iterator

import numpy as np
import pytest

from softswitch.clock import ManualClock
from softswitch.codecs import PCMA, PCMU
from softswitch.media.dtmf import dtmf_tone
from softswitch.media.engine import FRAME, InbandDigit, MediaEngine
from softswitch.media.packetize import packetize
from softswitch.media.prompts import PromptLibrary
from softswitch.media.recorder import WavRecorder
from softswitch.rtp.packet import RtpPacket
from softswitch.rtp.session import RtpSession


@pytest.fixture
def sockets() -> Iterator[tuple[socket.socket, socket.socket]]:
    switch = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    phone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for s in (switch, phone):
        s.bind(("127.0.0.1", 0))
        s.settimeout(2.0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    yield switch, phone
    switch.close()
    phone.close()


@pytest.mark.parametrize("codec", [PCMU, PCMA])
def test_prompt_over_a_real_udp_socket(sockets, codec) -> None:
    switch, phone = sockets
    prompt = PromptLibrary()["en/thank_you"]
    engine = MediaEngine()
    engine.add_prompt("thank_you", prompt)
    channel = engine.open_channel(codec)
    session = RtpSession(payload_type=codec.payload_type, remote=phone.getsockname())
    engine.play(channel, "thank_you")
    clock = ManualClock()
    sent = 0
    while engine.is_playing(channel):
        for ch, datagram in packetize(engine.tick(clock.now()).packets, {channel: session},
                                      clock.now()):
            assert ch == channel
            switch.sendto(datagram, phone.getsockname())
            sent += 1
        clock.advance(0.02)
    packets = [RtpPacket.parse(phone.recv(2048)) for _ in range(sent)]
    first = min(packets, key=lambda p: p.timestamp - packets[0].timestamp).sequence
    packets.sort(key=lambda p: (p.sequence - first) & 0xFFFF)  # loopback may reorder
    assert {p.payload_type for p in packets} == {codec.payload_type}
    assert len({p.ssrc for p in packets}) == 1
    steps = {(b.timestamp - a.timestamp) & 0xFFFFFFFF for a, b in itertools.pairwise(packets)}
    assert steps == {FRAME}
    audio = np.concatenate([codec.decode(p.payload) for p in packets])
    assert len(audio) == -(-len(prompt) // FRAME) * FRAME
    assert np.array_equal(audio[:len(prompt)], codec.decode(codec.encode(prompt)))


def test_received_rtp_is_relayed_to_the_other_leg(sockets) -> None:
    """A bridged call: the peer's datagrams come in through a session, go out renumbered."""
    switch, phone = sockets
    engine = MediaEngine()
    a, b = engine.open_channel(PCMU), engine.open_channel(PCMU)
    engine.bridge(a, b)
    inbound = RtpSession(payload_type=0)
    outbound = RtpSession(payload_type=0, remote=phone.getsockname())
    peer = RtpSession(payload_type=0)
    rng = np.random.default_rng(2)
    voice = rng.integers(-8000, 8000, 5 * FRAME).astype(np.int16)
    clock = ManualClock()
    for n in range(5):
        phone.sendto(peer.send_audio(PCMU.encode(voice[n * FRAME:(n + 1) * FRAME]), clock.now()),
                     switch.getsockname())
        data, addr = switch.recvfrom(2048)
        packet = inbound.receive(data, addr, clock.now())
        assert packet is not None
        relayed = engine.receive(a, packet.payload)
        assert relayed is not None and relayed.relayed
        (_, datagram), = packetize([relayed], {b: outbound}, clock.now())
        switch.sendto(datagram, phone.getsockname())
        clock.advance(0.02)
    got = [RtpPacket.parse(phone.recv(2048)) for _ in range(5)]
    assert {p.ssrc for p in got} == {outbound.ssrc} != {peer.ssrc}
    heard = np.concatenate([PCMU.decode(p.payload) for p in got])
    assert np.array_equal(heard, PCMU.decode(PCMU.encode(voice)))


def test_batched_packets_go_to_the_socket_row_by_row(sockets) -> None:
    """The batched edge: each row of a tick's datagram array is handed to sendto as it is."""
    switch, phone = sockets
    prompt = PromptLibrary()["en/thank_you"]
    engine = MediaEngine()
    engine.add_prompt("thank_you", prompt)
    channel = engine.open_channel(PCMA, ssrc=77)
    engine.play(channel, "thank_you")
    sent = 0
    while engine.is_playing(channel):
        for block in engine.tick_batch(0.0).sends:
            for row in block.datagrams:
                switch.sendto(row, phone.getsockname())
                sent += 1
    packets = [RtpPacket.parse(phone.recv(2048)) for _ in range(sent)]
    first = packets[0].sequence
    packets.sort(key=lambda p: (p.sequence - first + 0x8000) & 0xFFFF)  # loopback may reorder
    assert {p.ssrc for p in packets} == {77}
    assert [p.marker for p in packets].count(True) == 1
    audio = np.concatenate([PCMA.decode(p.payload) for p in packets])
    assert len(audio) == -(-len(prompt) // FRAME) * FRAME
    assert np.array_equal(audio[:len(prompt)], PCMA.decode(PCMA.encode(prompt)))
    assert np.array_equal(audio[len(prompt):], PCMA.decode(PCMA.encode(np.zeros(
        len(audio) - len(prompt), np.int16))))  # A-law silence decodes to +8


def ticks_over_udp(sockets, signal: np.ndarray, engine: MediaEngine, channel: int,
                   lost: frozenset[int] = frozenset()) -> list:
    """The phone sends `signal` as RTP, one packet a tick (except `lost`); the switch takes
    each datagram through its session into the engine and ticks."""
    switch, phone = sockets
    phone_session = RtpSession(payload_type=0)
    switch_session = RtpSession(payload_type=0)
    codec = engine.codec_of(channel)
    clock = ManualClock()
    batches = []
    for n in range(len(signal) // FRAME):
        datagram = phone_session.send_audio(codec.encode(signal[n * FRAME:(n + 1) * FRAME]),
                                            clock.now())
        if n not in lost:
            phone.sendto(datagram, switch.getsockname())
            data, addr = switch.recvfrom(2048)
            packet = switch_session.receive(data, addr, clock.now())
            assert packet is not None
            rows = np.frombuffer(packet.payload, dtype=np.uint8).reshape(1, -1)
            engine.receive_many(np.array([channel]), rows)
        batches.append(engine.tick_batch(clock.now()))
        clock.advance(0.02)
    return batches


def test_inband_key_presses_over_rtp_are_each_detected_once(sockets) -> None:
    engine = MediaEngine()
    channel = engine.open_channel(PCMU, detect_inband=True)
    keys = "159#00"
    gap = np.zeros(int(0.08 * 8000), np.int16)
    signal = np.concatenate([gap] + [part for key in keys
                                     for part in (dtmf_tone(key, 0.09, -12), gap)]
                            + [np.zeros(4 * FRAME, np.int16)])
    batches = ticks_over_udp(sockets, signal, engine, channel)
    digits = [e for b in batches for e in b.events if isinstance(e, InbandDigit)]
    assert [d.event.digit for d in digits] == list(keys)
    assert {(d.channel, d.event.source) for d in digits} == {(channel, "inband")}


def test_peer_audio_is_recorded_without_gaps(sockets, tmp_path) -> None:
    """A peer's voice over real RTP into a WAV: exact length, aligned, lost packets silent."""
    engine = MediaEngine()
    caller, agent = engine.open_channel(PCMU), engine.open_channel(PCMU)
    engine.bridge(caller, agent)
    recording = engine.record(caller, stereo=True)
    rng = np.random.default_rng(9)
    ticks = 60
    voice = (rng.standard_normal(ticks * FRAME) * 2500).astype(np.int16)
    lost = frozenset({17, 41})
    path = tmp_path / "call.wav"
    with WavRecorder(path, channels=2) as wav:
        for batch in ticks_over_udp(sockets, voice, engine, caller, lost):
            assert batch.recordings is not None
            for block in batch.recordings.blocks():
                assert block.recording == recording
                wav.write(block.samples)
    with wave.open(str(path)) as f:
        assert f.getnframes() == ticks * FRAME
        audio = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2").reshape(-1, 2)
    expected = PCMU.decode(PCMU.encode(voice))
    for n in lost:
        expected[n * FRAME:(n + 1) * FRAME] = 0
    received = audio[:, 0].astype(np.float64)
    corr = np.correlate(received, expected.astype(np.float64), mode="full")
    assert int(np.argmax(corr)) - (len(expected) - 1) == 0  # aligned: no gap, no slip
    assert np.array_equal(audio[:, 0], expected)
    assert not audio[:, 1].any()  # the agent said nothing
