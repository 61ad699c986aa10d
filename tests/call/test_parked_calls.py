"""Call parking over the B2BUA, on the in-memory network: park by REFER, the slot
announced, retrieval by dialling the slot, ring-back at the timeout."""

from __future__ import annotations

from softswitch.call.actions import BridgeMedia, HoldMedia, OpenMedia
from softswitch.call.center_calls import PlayPrompts, StopPrompts
from softswitch.call.feature_codes import DEFAULT_CODES, FeatureTable
from softswitch.call.parked_calls import ParkedCalls
from softswitch.call.parking import ParkingLot
from tests.call.b2bua_network import NO_LEAKS, Network
from tests.call.test_b2bua import basic_answered


def _parking(net: Network, timeout: float = 60.0) -> ParkedCalls:
    lot = ParkingLot(("701", "702"), timeout, FeatureTable(dict(DEFAULT_CODES)))
    return ParkedCalls(net.b2bua, lot, has_prompt=lambda name: True)


def _run(net: Network, actions: list) -> None:
    net.actions.extend(actions)
    net.run(0.5)


def _parked_by_bob(net: Network, parking: ParkedCalls):
    alice, bob = basic_answered(net)
    bob.refer("*70")
    net.run(0.5)
    assert [r.status for r in bob.responses if r.cseq.method == "REFER"] == [202]
    assert bob.notifications() == [b"SIP/2.0 100 Trying\r\n"]
    [said] = net.kinds(PlayPrompts)
    assert said.names == ("en/7", "en/0", "en/1")
    assert parking.announcing(said.leg)
    return alice, bob, said.leg


def test_a_refer_to_the_park_code_parks_the_other_party_with_music() -> None:
    net = Network()
    parking = _parking(net)
    alice, bob, bob_leg = _parked_by_bob(net, parking)
    [hold] = net.kinds(HoldMedia)
    assert hold.leg == bob_leg and hold.on  # alice hears music on hold
    assert "call.parked" in net.events()
    _run(net, parking.prompt_finished(bob_leg, net.clock.now(), net.clock.wall()))
    assert bob.notifications()[-1] == b"SIP/2.0 200 OK\r\n"
    assert any(e.request.method == "BYE" for e in bob.requests)
    assert not any(e.request.method == "BYE" for e in alice.requests)
    assert len(parking) == 1 and len(net.b2bua.calls) == 1


def test_dialling_the_slot_bridges_the_retriever_to_the_parked_party() -> None:
    net = Network()
    parking = _parking(net)
    alice, _bob, bob_leg = _parked_by_bob(net, parking)
    _run(net, parking.prompt_finished(bob_leg, net.clock.now(), net.clock.wall()))
    carol = net.phone("1003", 5064)
    carol.call("701")
    net.run(0.5)
    assert [r.status for r in carol.responses][-1] == 200
    alice_leg = net.b2bua.calls[next(iter(net.b2bua.calls))].caller_leg.id
    carol_leg = net.kinds(OpenMedia)[-1].leg
    assert net.kinds(StopPrompts)[-1] == StopPrompts(alice_leg)  # the music stops
    assert net.kinds(BridgeMedia)[-1] == BridgeMedia(alice_leg, carol_leg)
    assert "call.retrieved" in net.events() and len(parking) == 0
    alice.bye()
    net.run(1)
    assert any(e.request.method == "BYE" for e in carol.requests)
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_an_empty_slot_is_not_found_and_a_parked_caller_leaving_frees_its_slot() -> None:
    net = Network()
    parking = _parking(net)
    alice, bob, _bob_leg = _parked_by_bob(net, parking)
    bob.bye()  # the parker hangs up before hearing the slot: the call stays parked
    net.run(0.5)
    assert not any(e.request.method == "BYE" for e in alice.requests)
    alice.bye()
    net.run(0.5)
    carol = net.phone("1003", 5064)
    carol.call("701")
    net.run(0.5)
    assert [r.status for r in carol.responses][-1] == 404
    assert "call.park_abandoned" in net.events() and len(parking) == 0
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_a_call_left_parked_rings_its_parker_back() -> None:
    net = Network()
    parking = _parking(net, timeout=30.0)
    alice, bob, bob_leg = _parked_by_bob(net, parking)
    _run(net, parking.prompt_finished(bob_leg, net.clock.now(), net.clock.wall()))
    invites_before = len(bob.invites())
    net.run(29.0)
    assert parking.get_timer() is not None and parking.get_timer() <= net.clock.now() + 1
    net.clock.set(parking.get_timer())
    _run(net, parking.handle_timer(net.clock.now(), net.clock.wall()))
    assert "call.park_timeout" in net.events() and len(parking) == 0
    assert len(bob.invites()) == invites_before + 1  # bob's phone rings again
    bob.answer(200)
    net.run(0.5)
    alice_leg = net.b2bua.calls[next(iter(net.b2bua.calls))].caller_leg.id
    assert alice_leg in (net.kinds(BridgeMedia)[-1].a, net.kinds(BridgeMedia)[-1].b)
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_a_taken_slot_refuses_the_refer_and_other_refers_still_transfer() -> None:
    net = Network()
    parking = _parking(net)
    alice, bob = basic_answered(net)
    bob.refer("*70703")  # not a slot
    net.run(0.5)
    assert [r.status for r in bob.responses if r.cseq.method == "REFER"] == [486]
    assert len(parking) == 0
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS
