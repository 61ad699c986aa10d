"""Blind transfer and music on hold: the transferee hears music while the target rings,
and the music stops when the target answers, whether the transferor waited for the
outcome or hung up first (found by baresip: the music went on under the target's voice)."""

from __future__ import annotations

from softswitch.call.actions import BridgeMedia, HoldMedia, OpenMedia
from tests.call.b2bua_network import NO_LEAKS, Network
from tests.call.test_b2bua import basic_answered


def _transfer(*, transferor_leaves: bool) -> Network:
    net = Network()
    _alice, bob = basic_answered(net)
    carol = net.phone("1003", 5064)
    alice_leg, bob_leg = (o.leg for o in net.kinds(OpenMedia))
    bob.refer("1003")
    net.run(0.5)
    assert net.kinds(HoldMedia) == [HoldMedia(bob_leg, alice_leg, True)]  # alice: music
    if transferor_leaves:
        bob.bye()
        net.run(0.5)
    carol.answer(200)
    net.run(1)
    carol_leg = net.kinds(OpenMedia)[-1].leg
    assert net.kinds(HoldMedia)[-1] == HoldMedia(bob_leg, alice_leg, False)
    assert net.kinds(BridgeMedia)[-1] == BridgeMedia(alice_leg, carol_leg)
    carol.bye()
    net.run(1)
    net.settle()
    assert net.leaks() == NO_LEAKS
    return net


def test_music_stops_when_the_target_answers() -> None:
    net = _transfer(transferor_leaves=False)
    # the music stops before the transferee is bridged to the target
    music_off = next(i for i, a in enumerate(net.actions)
                     if isinstance(a, HoldMedia) and not a.on)
    last_bridge = max(i for i, a in enumerate(net.actions) if isinstance(a, BridgeMedia))
    assert music_off < last_bridge


def test_music_stops_when_the_transferor_hung_up_first() -> None:
    _transfer(transferor_leaves=True)
