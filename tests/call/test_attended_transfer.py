"""Attended transfer (REFER with Replaces) through the B2BUA on a ManualClock: the
transferor talks to A, then to C, and REFERs A to C replacing its dialog with C."""

from __future__ import annotations

from urllib.parse import quote

from softswitch.call.actions import BridgeMedia, HoldMedia, OpenMedia, WriteCallRecord
from softswitch.call.attended_transfer import Replaces, parse_replaces, replaces_of
from softswitch.sip.dialog import Dialog, DialogId
from softswitch.sip.message import Headers, Request
from softswitch.sip.uri import parse_uri
from tests.call.b2bua_network import NO_LEAKS, Network, Phone
from tests.call.test_b2bua import basic_answered


def refer_with_replaces(phone: Phone, on: Dialog, naming: DialogId,
                        target: str = "1003", swap: bool = False) -> None:
    to_tag, from_tag = naming.remote_tag, naming.local_tag
    if swap:
        to_tag, from_tag = from_tag, to_tag
    replaces = quote(f"{naming.call_id};to-tag={to_tag};from-tag={from_tag}", safe="")
    request = on.create_request(
        "REFER", via=f"SIP/2.0/UDP {phone.address[0]}:{phone.address[1]};rport",
        headers=[("Refer-To", f"<sip:{target}@pbx.test?Replaces={replaces}>")])
    phone.layer.send_request(request, phone.net.switch_dest, phone.net.clock.now())


def two_calls(net: Network):
    """A (1001) talks to B (1002); B calls C (1003), who answers."""
    alice, bob = basic_answered(net)
    carol = net.phone("1003", 5064)
    bob.call("1003")
    net.run(0.5)
    carol.answer(200)
    net.run(0.5)
    assert bob.statuses()[-1] == 200
    return alice, bob, carol


def refer_statuses(phone: Phone) -> list[int]:
    return [r.status for r in phone.responses if r.cseq.method == "REFER"]


def byes(phone: Phone) -> int:
    return sum(e.request.method == "BYE" for e in phone.requests)


def test_replaces_header_is_read_from_the_refer_to_uri() -> None:
    assert parse_replaces("abc@h;to-tag=1;from-tag=2") == Replaces("abc@h", "1", "2")
    assert parse_replaces("abc;from-tag=2;to-tag=1;early-only").early_only
    for broken in ("", "abc", "abc;to-tag=1", "abc;to-tag=;from-tag=2", ";to-tag=1;from-tag=2"):
        assert parse_replaces(broken) is None, broken
    headers = Headers([("Refer-To", "<sip:1003@h?Replaces=x%40y%3Bto-tag%3D1%3Bfrom-tag%3D2>")])
    request = Request("REFER", parse_uri("sip:1002@h"), headers, b"")
    assert replaces_of(request) == Replaces("x@y", "1", "2")
    blind = Request("REFER", parse_uri("sip:1002@h"),
                    Headers([("Refer-To", "<sip:1003@h>")]), b"")
    assert replaces_of(blind) is None
    dialog = DialogId("x@y", "2", "1")
    assert Replaces("x@y", "1", "2").names(dialog) and Replaces("x@y", "2", "1").names(dialog)
    assert not Replaces("x@z", "1", "2").names(dialog)


def test_attended_transfer_bridges_a_with_c_and_hangs_up_both_legs_of_b() -> None:
    net = Network()
    alice, bob, carol = two_calls(net)
    with_alice, with_carol = bob.dialogs[0], bob.dialogs[-1]
    refer_with_replaces(bob, with_alice, with_carol.id)
    net.run(0.5)
    assert refer_statuses(bob) == [202]
    assert bob.notifications() == [b"SIP/2.0 200 OK\r\n"]
    assert byes(bob) == 2 and byes(alice) == 0 and byes(carol) == 0
    opened = net.kinds(OpenMedia)
    alice_leg, carol_leg = opened[0].leg, opened[-1].leg
    last = net.kinds(BridgeMedia)[-1]
    assert {last.a, last.b} == {alice_leg, carol_leg}
    assert all(not h.on for h in net.kinds(HoldMedia))  # nobody left hearing music
    assert "call.transferred" in net.events()
    net.clock.advance(5)
    carol.bye()
    net.run(1)
    assert byes(alice) == 1
    net.settle()
    assert net.leaks() == NO_LEAKS
    records = [a.record for a in net.kinds(WriteCallRecord)]
    assert len(records) == 2
    first = next(r for r in records if r.caller == "1001")
    assert len(first.legs) == 3  # A, B, then C who took B's place


def test_tags_in_either_order_name_the_dialog() -> None:
    net = Network()
    alice, bob, carol = two_calls(net)
    refer_with_replaces(bob, bob.dialogs[0], bob.dialogs[-1].id, swap=True)
    net.run(0.5)
    assert refer_statuses(bob) == [202]
    alice.bye()
    net.settle()
    assert byes(carol) == 1
    assert net.leaks() == NO_LEAKS


def test_replaces_naming_no_dialog_gets_481_and_both_calls_go_on() -> None:
    net = Network()
    alice, bob, carol = two_calls(net)
    refer_with_replaces(bob, bob.dialogs[0], DialogId("nope", "a", "b"))
    net.run(0.5)
    assert refer_statuses(bob) == [481]
    assert byes(alice) == byes(bob) == byes(carol) == 0
    alice.bye()
    bob.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_replaces_naming_the_same_call_is_refused() -> None:
    net = Network()
    alice, bob = basic_answered(net)
    refer_with_replaces(bob, bob.dialogs[0], bob.dialogs[0].id)
    net.run(0.5)
    assert refer_statuses(bob) == [403]
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_replaces_naming_a_call_still_ringing_is_declined() -> None:
    net = Network()
    alice, bob = basic_answered(net)
    carol = net.phone("1003", 5064)
    bob.call("1003")
    net.run(0.5)
    carol.answer(180)
    net.run(0.5)
    caller_leg = next(leg for call in net.b2bua.calls.values() for leg in call.legs
                      if leg.invite.call_id == bob._outgoing.call_id)
    # a dialog still early has no id we know; naming its Call-ID gets 481 or 603
    refer_with_replaces(bob, bob.dialogs[0],
                        DialogId(caller_leg.invite.call_id, caller_leg.local_tag or "",
                                 caller_leg.invite.from_.tag))
    net.run(0.5)
    assert refer_statuses(bob)[0] in (481, 603)
    bob.cancel()
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS
