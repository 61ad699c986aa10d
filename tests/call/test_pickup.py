"""Call pickup: the choice of call (pure), and a pickup through the B2BUA on a ManualClock."""

from __future__ import annotations

from softswitch.call.actions import BridgeMedia, LogEvent, OpenMedia, WriteCallRecord
from softswitch.call.feature_codes import FeatureTable
from softswitch.call.pickup import (
    NO_GROUP,
    NOT_IN_GROUP,
    NOTHING_RINGING,
    PickUp,
    PickupGroups,
    RingingCall,
)
from tests.call.b2bua_network import NO_LEAKS, Network

GROUPS = PickupGroups.of_users(
    [("1001", None), ("1002", "sales"), ("1003", "sales"), ("1004", "support"),
     ("1005", "sales")], FeatureTable())


def ringing(*items: tuple[int, str, float]) -> list[RingingCall]:
    return [RingingCall(key, callee, "2000", started) for key, callee, started in items]


def test_the_pickup_code_with_or_without_digits_is_a_target() -> None:
    assert GROUPS.target("*8") == PickUp("*8")
    assert GROUPS.target("*81002") == PickUp("*81002")
    assert GROUPS.target("*8*1002") == PickUp("*8*1002")
    assert GROUPS.target("1002") is None
    assert GROUPS.target("*70") is None


def test_group_pickup_takes_the_longest_ringing_call_in_the_group() -> None:
    calls = ringing((1, "1004", 0.0), (2, "1005", 5.0), (3, "1002", 3.0))
    chosen = GROUPS.choose("1003", "*8", calls)
    assert isinstance(chosen, RingingCall) and chosen.key == 3


def test_group_pickup_ignores_the_pickers_own_ringing_and_other_groups() -> None:
    assert GROUPS.choose("1003", "*8", ringing((1, "1003", 0.0), (2, "1004", 0.0))) \
        is NOTHING_RINGING


def test_directed_pickup_takes_that_extensions_call_only_within_the_group() -> None:
    calls = ringing((1, "1002", 0.0), (2, "1005", 1.0), (3, "1004", 0.0))
    chosen = GROUPS.choose("1003", "*81005", calls)
    assert isinstance(chosen, RingingCall) and chosen.key == 2
    assert GROUPS.choose("1003", "*81004", calls) is NOT_IN_GROUP
    assert GROUPS.choose("1003", "*81001", calls) is NOT_IN_GROUP


def test_a_phone_in_no_group_picks_up_nothing() -> None:
    assert GROUPS.choose("1001", "*8", ringing((1, "1002", 0.0))) is NO_GROUP


def test_a_caller_cannot_pick_up_its_own_call() -> None:
    calls = [RingingCall(1, "1002", "1003", 0.0)]
    assert GROUPS.choose("1003", "*8", calls) is NOTHING_RINGING


def network() -> Network:
    net = Network()
    net.b2bua.pickup = PickupGroups.of_users(
        [("1001", None), ("1002", "sales"), ("1003", "sales")], FeatureTable())
    return net


def test_pickup_cancels_the_ringing_phone_and_bridges_the_caller_to_the_picker() -> None:
    net = network()
    alice, bob, carol = net.phone("1001", 5061), net.phone("1002", 5062), net.phone("1003", 5063)
    alice.call("1002")
    net.run(0.5)
    bob.answer(180)
    net.run(2)
    carol.call("*8")
    net.run(1)
    assert carol.statuses()[-1] == 200 and alice.statuses()[-1] == 200
    assert len(bob.cancels) == 1
    opened = {o.leg for o in net.kinds(OpenMedia)}
    bridge = net.kinds(BridgeMedia)[-1]
    assert {bridge.a, bridge.b} == opened and len(opened) == 2
    picked = [a for a in net.actions if isinstance(a, LogEvent) and a.kind == "call.picked_up"]
    assert picked[0].fields == {"by": "1003", "ringing": "1002"}
    assert "call.answered" in net.events()
    net.clock.advance(5)
    carol.bye()
    net.run(1)
    assert any(e.request.method == "BYE" for e in alice.requests)
    cdr = net.kinds(WriteCallRecord)[0].record
    assert cdr.caller == "1001" and cdr.answered_at is not None
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_the_caller_hangs_up_after_a_pickup_and_the_picker_gets_bye() -> None:
    net = network()
    alice, bob, carol = net.phone("1001", 5061), net.phone("1002", 5062), net.phone("1003", 5063)
    alice.call("1002")
    net.run(0.5)
    bob.answer(180)
    net.run(0.5)
    carol.call("*81002")
    net.run(1)
    alice.bye()
    net.run(1)
    assert any(e.request.method == "BYE" for e in carol.requests)
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_pickup_with_nothing_ringing_or_outside_the_group_is_refused() -> None:
    net = network()
    alice, carol = net.phone("1001", 5061), net.phone("1003", 5063)
    carol.call("*8")
    net.run(1)
    assert carol.statuses()[-1] == 404
    alice.call("*8")
    net.run(1)
    assert alice.statuses()[-1] == 403
    assert net.events().count("call.pickup_refused") == 2
    net.settle()
    assert net.leaks() == NO_LEAKS
