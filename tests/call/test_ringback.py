"""The switch's own ringback (`[calls] ringback = "switch"`): while the callee rings with
a bare 180 the caller gets our 183 with SDP and hears the tone on its channel; the tone
stops when the callee answers (the same channel is bridged) or brings early media (that
is bridged instead), goes on across forwarding and forks, and "phone" keeps the 180."""

from __future__ import annotations

from dataclasses import replace

from softswitch.call.actions import BridgeMedia, CloseMedia, LogEvent, OpenMedia
from softswitch.call.forwarding import Forwarding, ForwardRules
from softswitch.call.ringback import Ringback, RingbackMode
from softswitch.sip.message import make_response
from tests.call.b2bua_network import NO_LEAKS, Network, Phone, sdp_offer


def _switch_rings(net: Network) -> Network:
    net.b2bua.settings = replace(net.b2bua.settings, ringback=RingbackMode.SWITCH)
    return net


def _progress(phone: Phone, body: bytes) -> None:
    event = phone.invites()[-1]
    response = make_response(event.request, 183, to_tag=phone._tag_for(event.request),
                             headers=[("Contact", f"<{phone.contact}>"),
                                      ("Content-Type", "application/sdp")])
    response.body = body
    phone.layer.respond(event.tid, response, phone.net.clock.now())


def _ringing(net: Network) -> tuple[Phone, Phone, int]:
    """alice calls bob, bob's phone sends a bare 180: the caller leg's id."""
    alice, bob = net.phone("1001", 5061), net.phone("1002", 5062)
    alice.call("1002")
    net.run(0.5)
    bob.answer(180)
    net.run(0.5)
    opened = net.kinds(OpenMedia)
    assert len(opened) == 1  # the caller's channel alone: bob has no early media
    return alice, bob, opened[0].leg


def _index(net: Network, action: object) -> int:
    return net.actions.index(action)


def test_phone_mode_passes_the_180_and_plays_nothing() -> None:
    net = Network()
    alice, bob = net.phone("1001", 5061), net.phone("1002", 5062)
    alice.call("1002")
    net.run(0.5)
    bob.answer(180)
    net.run(0.5)
    assert alice.statuses()[-1] == 180 and 183 not in alice.statuses()
    assert not net.kinds(Ringback) and not net.kinds(OpenMedia)
    alice.cancel()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_caller_hears_the_tone_while_the_callee_rings_and_is_bridged_at_answer() -> None:
    net = _switch_rings(Network())
    alice, bob, caller = _ringing(net)
    assert 180 not in alice.statuses()
    progress = [r for r in alice.responses if r.status == 183]
    assert len(progress) == 1 and b"m=audio" in progress[0].body
    port = net.kinds(OpenMedia)[0].port
    assert f"m=audio {port} ".encode() in progress[0].body  # the caller's own channel
    assert net.kinds(Ringback) == [Ringback(caller, True)]
    ringing = [a for a in net.kinds(LogEvent) if a.kind == "call.ringing"]
    assert len(ringing) == 1 and ringing[0].fields == {"ringback": "switch"}
    bob.answer(180)  # a repeated 180 changes nothing
    net.run(0.5)
    assert [r.status for r in alice.responses].count(183) == 1
    assert net.kinds(Ringback) == [Ringback(caller, True)]
    bob.answer(200)
    net.run(0.5)
    ok = [r for r in alice.responses if r.status == 200][-1]
    assert ok.body == progress[0].body  # the 200 repeats the 183's answer
    stop = Ringback(caller, False)
    assert net.kinds(Ringback)[-1] == stop
    bridge = net.kinds(BridgeMedia)
    assert len(bridge) == 1 and caller in (bridge[0].a, bridge[0].b)
    assert _index(net, stop) < _index(net, bridge[0])
    assert sum(1 for o in net.kinds(OpenMedia) if o.leg == caller) == 1  # same channel
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_callee_early_media_replaces_the_tone() -> None:
    net = _switch_rings(Network())
    alice, bob, caller = _ringing(net)
    _progress(bob, sdp_offer(30001))
    net.run(0.5)
    assert [r.status for r in alice.responses].count(183) == 1  # our answer stands
    assert net.kinds(Ringback) == [Ringback(caller, True), Ringback(caller, False)]
    bridges = net.kinds(BridgeMedia)
    assert len(bridges) == 1 and caller in (bridges[0].a, bridges[0].b)
    assert _index(net, Ringback(caller, False)) < _index(net, bridges[0])
    assert "call.early_media" in net.events()
    bob.answer(200, body=sdp_offer(30001))
    net.run(0.5)
    assert len(net.kinds(BridgeMedia)) == 1 and len(net.kinds(Ringback)) == 2
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_the_tone_goes_on_across_a_forward_on_no_answer() -> None:
    net = _switch_rings(Network(ring_timeout=10))
    net.b2bua.forwarding = Forwarding({"1002": ForwardRules(no_answer="1003")})
    carol = net.phone("1003", 5063)
    alice, bob, caller = _ringing(net)
    net.run(10.5)
    assert len(bob.cancels) == 1 and len(carol.invites()) == 1
    carol.answer(180)
    net.run(0.5)
    assert net.kinds(Ringback) == [Ringback(caller, True)]
    assert 180 not in alice.statuses()
    assert [r.status for r in alice.responses].count(183) == 1
    carol.answer(200)
    net.run(0.5)
    assert alice.statuses()[-1] == 200
    assert net.kinds(Ringback)[-1] == Ringback(caller, False)
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_two_phones_of_one_extension_make_one_tone() -> None:
    net = _switch_rings(Network())
    alice = net.phone("1001", 5061)
    desk, mobile = net.phone("1002", 5062), net.phone("1002", 5072)
    alice.call("1002")
    net.run(0.5)
    desk.answer(180)
    mobile.answer(180)
    net.run(0.5)
    assert [r.status for r in alice.responses].count(183) == 1
    assert len(net.kinds(Ringback)) == 1
    mobile.answer(200)
    net.run(0.5)
    assert len(desk.cancels) == 1
    assert len(net.kinds(Ringback)) == 2 and len(net.kinds(BridgeMedia)) == 1
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_cancel_while_the_tone_plays_closes_the_caller_channel() -> None:
    net = _switch_rings(Network())
    alice, bob, caller = _ringing(net)
    alice.cancel()
    net.run(1)
    assert alice.statuses()[-1] == 487 and len(bob.cancels) == 1
    assert CloseMedia(caller) in net.kinds(CloseMedia)
    ended = [a for a in net.kinds(LogEvent) if a.kind == "call.ended"]
    assert ended and ended[0].fields["disposition"] == "cancelled"
    net.settle()
    assert net.leaks() == NO_LEAKS
    assert not net.b2bua._ringback


def test_late_offer_caller_gets_the_180() -> None:
    net = _switch_rings(Network())
    alice, bob = net.phone("1001", 5061), net.phone("1002", 5062)
    alice.call("1002", body=b"")
    net.run(0.5)
    bob.answer(180)
    net.run(0.5)
    assert alice.statuses()[-1] == 180 and not net.kinds(Ringback)
    alice.cancel()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_no_answer_to_voicemail_closes_the_tone_s_channel() -> None:
    net = _switch_rings(Network(ring_timeout=10))
    diverted: list[str] = []
    net.b2bua.voicemail = lambda diversion, now, wall: diverted.append(
        diversion.mailbox) or []
    alice, bob, caller = _ringing(net)
    net.run(10.5)
    assert diverted == ["1002"] and len(bob.cancels) == 1
    assert 480 not in alice.statuses()  # the voicemail answers it
    assert CloseMedia(caller) in net.kinds(CloseMedia)
    assert not net.b2bua._ringback


def test_the_tone_comes_back_when_an_early_media_callee_is_forwarded_away() -> None:
    net = _switch_rings(Network(ring_timeout=10))
    net.b2bua.forwarding = Forwarding({"1002": ForwardRules(no_answer="1003")})
    alice, bob = net.phone("1001", 5061), net.phone("1002", 5062)
    carol = net.phone("1003", 5063)
    alice.call("1002")
    net.run(0.5)
    _progress(bob, sdp_offer(30001))  # bob's announcement, bridged: no tone
    net.run(0.5)
    assert not net.kinds(Ringback) and len(net.kinds(BridgeMedia)) == 1
    caller = next(o.leg for o in net.kinds(OpenMedia) if o.params.remote != ("127.0.0.1",
                                                                             30001))
    net.run(10.5)
    assert len(bob.cancels) == 1 and len(carol.invites()) == 1
    carol.answer(180)
    net.run(0.5)
    assert net.kinds(Ringback) == [Ringback(caller, True)]
    assert [r.status for r in alice.responses].count(183) == 1
    carol.answer(200)
    net.run(0.5)
    assert net.kinds(Ringback)[-1] == Ringback(caller, False)
    assert alice.statuses()[-1] == 200
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS
