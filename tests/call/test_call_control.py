"""Operator calls over the in-memory network: click-to-dial, hang-up of any call, the
list of live calls. ManualClock, no sockets."""

from __future__ import annotations

import pytest

from softswitch.call.actions import BridgeMedia, LogEvent, WriteCallRecord
from softswitch.call.call_control import (
    OriginateRefused,
    Originator,
    call_rows,
    route_dialled,
)
from softswitch.call.center_calls import CenterCalls
from softswitch.call.center_route import Answered, Refused
from softswitch.call.dialplan import DialPlan
from tests.call.b2bua_network import NO_LEAKS, PASSWORDS, SWITCH, Network


def _operator_network(ring_timeout: float = 30.0) -> tuple[Network, CenterCalls, Originator]:
    net = Network(ring_timeout=ring_timeout)
    center = CenterCalls(layer=net.layer, route=lambda number, user: None,
                         lookup=lambda ext: list(net.bindings.get(ext, [])), ports=net.ports,
                         local={"udp": SWITCH}, domain="pbx.test",
                         settings=net.b2bua.settings)
    net.core.center = center
    originator = Originator(sip=net.b2bua.sip,
                            lookup=lambda ext: list(net.bindings.get(ext, [])),
                            ports=net.ports, settings=net.b2bua.settings, adopt=center.adopt)
    net.core.originator = originator
    return net, center, originator


def _run(net: Network, actions: list) -> None:
    net.actions.extend(actions)
    net.pump()


def test_route_dialled_refuses_unknown_numbers_and_calling_oneself() -> None:
    plan = DialPlan.for_extensions(PASSWORDS)
    assert route_dialled("1002", "1001", None, plan) == "1002"
    with pytest.raises(OriginateRefused, match="no such number"):
        route_dialled("7777", "1001", None, plan)
    with pytest.raises(OriginateRefused, match="itself"):
        route_dialled("1001", "1001", None, plan)
    with pytest.raises(OriginateRefused, match="no number"):
        route_dialled("", "1001", None, plan)
    did = Answered("ivr", "main")
    assert route_dialled("5000", "1001", lambda n, u: did if n == "5000" else None,
                         plan) == did
    with pytest.raises(OriginateRefused, match="refused"):
        route_dialled("*22", "1001", lambda n, u: Refused(404, "x", {}), plan)


def test_click_to_dial_rings_the_extension_then_bridges_the_number() -> None:
    net, center, originator = _operator_network()
    alice = net.phone("1001", 6001)
    bob = net.phone("1002", 6002)
    call_id, actions = originator.originate("1001", "1002", "1002", net.clock.now(),
                                            net.clock.wall())
    _run(net, actions)
    assert len(alice.invites()) == 1 and not bob.invites()
    invite = alice.invites()[0].request
    assert invite.from_.uri.user == "1002" and invite.from_.display == "click-to-dial"
    rows = call_rows(net.b2bua.calls.values(), center.calls.values(),
                     originator.calls.values())
    assert [(r["call_id"], r["kind"], r["caller"], r["callee"]) for r in rows] == [
        (call_id, "originate", "1001", "1002")]
    alice.answer(180)
    net.pump()
    assert originator.calls[call_id].ringing
    alice.answer(200)
    net.pump()
    assert alice.acks, "the switch ACKs the extension's 2xx"
    assert call_id in center.calls and call_id not in originator.calls
    assert len(bob.invites()) == 1
    assert bob.invites()[0].request.from_.uri.user == "1001"
    bob.answer(200)
    net.pump()
    _run(net, center.take())
    assert net.kinds(BridgeMedia), "the two parties are bridged"
    row = call_rows((), center.calls.values(), ())[0]
    assert (row["state"], row["caller"], row["callee"], row["bridged_to"]) == (
        "bridged", "1001", "1002", "1002")
    # the operator hangs it up: both parties get a BYE and the call is gone
    hung = center.hang_up(call_id, net.clock.now(), net.clock.wall())
    assert hung is not None
    _run(net, hung)
    assert any(e.request.method == "BYE" for e in alice.requests)
    assert any(e.request.method == "BYE" for e in bob.requests)
    assert call_id not in center.calls
    assert center.hang_up(call_id, net.clock.now(), net.clock.wall()) is None
    net.settle()
    assert net.ports.in_use == 0


def test_originate_refuses_an_extension_with_no_phone() -> None:
    net, _, originator = _operator_network()
    with pytest.raises(OriginateRefused, match="not registered"):
        originator.originate("1003", "1002", "1002", net.clock.now(), net.clock.wall())
    assert not originator.calls and net.ports.in_use == 0


def test_extension_that_declines_ends_the_origination() -> None:
    net, center, originator = _operator_network()
    alice = net.phone("1001", 6001)
    call_id, actions = originator.originate("1001", "1002", "1002", 0.0, 0.0)
    _run(net, actions)
    alice.answer(486)
    net.pump()
    ended = [a for a in net.kinds(LogEvent) if a.kind == "call.ended"]
    assert ended and ended[-1].fields["disposition"] == "busy"
    assert call_id not in originator.calls and call_id not in center.calls
    net.settle()
    assert net.ports.in_use == 0


def test_ring_timeout_and_operator_hangup_cancel_the_extension() -> None:
    net, _, originator = _operator_network(ring_timeout=5)
    alice = net.phone("1001", 6001)
    call_id, actions = originator.originate("1001", "1002", "1002", net.clock.now(), 0.0)
    _run(net, actions)
    alice.answer(180)
    net.pump()
    assert originator.get_timer() == pytest.approx(5.0)
    assert originator.handle_timer(4.0, 0.0) == []
    _run(net, originator.handle_timer(5.0, 0.0))
    assert alice.cancels, "the extension's ringing is cancelled at the ring timeout"
    ended = [a for a in net.kinds(LogEvent) if a.kind == "call.ended"]
    assert ended[-1].fields["disposition"] == "no-answer" and call_id not in originator.calls
    # an operator's hang-up while it rings
    call_id, actions = originator.originate("1001", "1002", "1002", net.clock.now(), 0.0)
    _run(net, actions)
    alice.answer(180, which=-1)
    net.pump()
    hung = originator.hang_up(call_id, net.clock.now(), 0.0)
    assert hung is not None
    _run(net, hung)
    assert len(alice.cancels) == 2
    assert [a for a in net.kinds(LogEvent) if a.kind == "call.ended"][-1].fields[
        "disposition"] == "cancelled"
    assert originator.hang_up(call_id, net.clock.now(), 0.0) is None
    net.settle()
    assert net.ports.in_use == 0


def test_operator_hangup_of_a_b2bua_call_ringing_and_answered() -> None:
    net = Network()
    alice, bob = net.phone("1001", 6001), net.phone("1002", 6002)
    alice.call("1002")
    net.pump()
    bob.answer(180)
    net.pump()
    call_id = next(iter(net.b2bua.calls.values())).call_id
    rows = call_rows(net.b2bua.calls.values(), (), ())
    assert (rows[0]["caller"], rows[0]["callee"], rows[0]["state"]) == (
        "1001", "1002", "alerting")
    _run(net, net.b2bua.hang_up(call_id, net.clock.now(), 0.0) or [])
    assert 487 in alice.statuses() and bob.cancels
    net.settle()
    assert net.leaks() == NO_LEAKS
    record = net.kinds(WriteCallRecord)[-1].record
    assert (record.disposition.value, record.hangup_side.value) == ("cancelled", "switch")
    # answered: both parties get a BYE
    alice.call("1002")
    net.pump()
    bob.answer(200, which=-1)
    net.pump()
    call_id = next(iter(net.b2bua.calls.values())).call_id
    _run(net, net.b2bua.hang_up(call_id, net.clock.now(), 0.0) or [])
    assert any(e.request.method == "BYE" for e in alice.requests)
    assert any(e.request.method == "BYE" for e in bob.requests)
    assert net.b2bua.hang_up(call_id, net.clock.now(), 0.0) is None
    net.settle()
    assert net.leaks() == NO_LEAKS
    record = net.kinds(WriteCallRecord)[-1].record
    assert (record.disposition.value, record.hangup_side.value) == ("answered", "switch")
