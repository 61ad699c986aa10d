"""Early media: a callee's 183 with SDP is bridged to the caller before the 200 (the
caller gets the switch's 183 with SDP), a bare 180 stays a 180, and the 200 reuses the
channels and the SDP of the 183."""

from __future__ import annotations

from softswitch.call.actions import BridgeMedia, CloseMedia, OpenMedia, UpdateMedia
from softswitch.call.early_media import early_params
from softswitch.sdp.negotiation import DEFAULT_CODECS
from softswitch.sip.message import Headers, Request, Response, make_response
from softswitch.sip.uri import parse_uri
from tests.call.b2bua_network import NO_LEAKS, Network, Phone, sdp_offer


def _invite() -> Request:
    headers = Headers([("Via", "SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1"),
                       ("From", "<sip:1001@pbx.test>;tag=a"), ("To", "<sip:1002@pbx.test>"),
                       ("Call-ID", "x"), ("CSeq", "1 INVITE"), ("Max-Forwards", "70")])
    return Request("INVITE", parse_uri("sip:1002@pbx.test"), headers, b"")


def _provisional(status: int, body: bytes = b"") -> Response:
    response = make_response(_invite(), status, to_tag="b")
    if body:
        response.headers.add("Content-Type", "application/sdp")
        response.body = body
    return response


def test_early_params_only_for_a_provisional_with_usable_sdp() -> None:
    params = early_params(_provisional(183, sdp_offer(7000)), DEFAULT_CODECS)
    assert params is not None and params.remote == ("127.0.0.1", 7000)
    assert early_params(_provisional(180), DEFAULT_CODECS) is None
    assert early_params(_provisional(183), DEFAULT_CODECS) is None
    assert early_params(_provisional(183, b"v=0\r\nbroken\r\n"), DEFAULT_CODECS) is None
    assert early_params(_provisional(200, sdp_offer(7000)), DEFAULT_CODECS) is None


# -- through the B2BUA ----------------------------------------------------------------


def _progress(phone: Phone, body: bytes, status: int = 183, which: int = -1) -> None:
    event = phone.invites()[which]
    response = make_response(event.request, status, to_tag=phone._tag_for(event.request),
                             headers=[("Contact", f"<{phone.contact}>"),
                                      ("Content-Type", "application/sdp")])
    response.body = body
    phone.layer.respond(event.tid, response, phone.net.clock.now())


def _ringing_call(net: Network) -> tuple[Phone, Phone]:
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.call("1002")
    net.run(0.5)
    assert len(bob.invites()) == 1
    return alice, bob


def test_183_with_sdp_is_bridged_before_the_200_and_reused_after() -> None:
    net = Network()
    alice, bob = _ringing_call(net)
    _progress(bob, sdp_offer(30001))
    net.run(0.5)
    progress = [r for r in alice.responses if r.status == 183]
    assert len(progress) == 1 and progress[0].body  # the switch's SDP, not bob's
    assert b"30001" not in progress[0].body
    assert 180 not in alice.statuses()
    opened = net.kinds(OpenMedia)
    assert len(opened) == 2
    assert str(next(o.port for o in opened if o.params.remote != ("127.0.0.1", 30001))
               ).encode() in progress[0].body
    bridges = net.kinds(BridgeMedia)
    assert len(bridges) == 1 and {bridges[0].a, bridges[0].b} == {o.leg for o in opened}
    assert "call.early_media" in net.events()
    bob.answer(200, body=sdp_offer(30001))
    net.run(0.5)
    ok = [r for r in alice.responses if r.status == 200][-1]
    assert ok.body == progress[0].body  # the same answer, the same channels
    assert len(net.kinds(OpenMedia)) == 2 and len(net.kinds(BridgeMedia)) == 1
    assert not net.kinds(UpdateMedia)
    alice.bye()
    net.run(1)
    assert {c.leg for c in net.kinds(CloseMedia)} == {o.leg for o in opened}
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_180_without_sdp_stays_a_180_with_no_early_media() -> None:
    net = Network()
    alice, bob = _ringing_call(net)
    bob.answer(180)
    net.run(0.5)
    _progress(bob, b"", status=183)
    net.run(0.5)
    assert alice.statuses()[-1] == 180 and 183 not in alice.statuses()
    assert not net.kinds(OpenMedia)
    bob.answer(200)
    net.run(0.5)
    assert len(net.kinds(BridgeMedia)) == 1
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_200_moving_the_early_media_updates_the_leg() -> None:
    net = Network()
    alice, bob = _ringing_call(net)
    _progress(bob, sdp_offer(30001))
    net.run(0.5)
    bob.answer(200, body=sdp_offer(30555))
    net.run(0.5)
    updates = net.kinds(UpdateMedia)
    assert len(updates) == 1 and updates[0].params.remote == ("127.0.0.1", 30555)
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_early_media_then_busy_closes_everything() -> None:
    net = Network()
    alice, bob = _ringing_call(net)
    _progress(bob, sdp_offer(30001))
    net.run(0.5)
    bob.answer(486)
    net.run(1)
    assert alice.statuses()[-1] == 486
    assert {c.leg for c in net.kinds(CloseMedia)} == {o.leg for o in net.kinds(OpenMedia)}
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_cancel_during_early_media() -> None:
    net = Network()
    alice, bob = _ringing_call(net)
    _progress(bob, sdp_offer(30001))
    net.run(0.5)
    alice.cancel()
    net.run(1)
    assert alice.statuses()[-1] == 487 and len(bob.cancels) == 1
    assert {c.leg for c in net.kinds(CloseMedia)} == {o.leg for o in net.kinds(OpenMedia)}
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_fork_other_phone_answers_after_the_first_gave_early_media() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    desk = net.phone("1002", 5062)
    mobile = net.phone("1002", 5072)
    alice.call("1002")
    net.run(0.5)
    _progress(desk, sdp_offer(30001))
    net.run(0.5)
    _progress(mobile, sdp_offer(30002))  # a second early source is not bridged
    net.run(0.5)
    assert [r.status for r in alice.responses].count(183) == 1
    assert len(net.kinds(BridgeMedia)) == 1
    mobile.answer(200, body=sdp_offer(30002))
    net.run(0.5)
    assert len(desk.cancels) == 1
    bridges = net.kinds(BridgeMedia)
    assert len(bridges) == 2
    opened = {o.params.remote: o.leg for o in net.kinds(OpenMedia)}
    assert {bridges[-1].a, bridges[-1].b} >= {opened[("127.0.0.1", 30002)]}
    ok = [r for r in alice.responses if r.status == 200][-1]
    assert ok.body == next(r.body for r in alice.responses if r.status == 183)
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_late_offer_caller_gets_180_not_early_media() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.call("1002", body=b"")
    net.run(0.5)
    _progress(bob, sdp_offer(30001))
    net.run(0.5)
    assert alice.statuses()[-1] == 180
    assert not net.kinds(BridgeMedia)
    alice.cancel()
    net.settle()
    assert net.leaks() == NO_LEAKS
