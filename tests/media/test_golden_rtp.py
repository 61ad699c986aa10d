"""The golden path: a prompt played to a real RTP socket decodes back into the same samples."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator

import numpy as np
import pytest

from softswitch.clock import ManualClock
from softswitch.codecs import PCMA, PCMU
from softswitch.media.engine import FRAME, MediaEngine
from softswitch.media.packetize import packetize
from softswitch.media.prompts import PromptLibrary
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
