"""Late offer: an INVITE without SDP is answered with the switch's offer in the 200 and
the caller's answer in the ACK; an ACK without a usable answer ends the call."""

from __future__ import annotations

from softswitch.call.actions import BridgeMedia, CloseMedia, OpenMedia, WriteCallRecord
from softswitch.call.cdr import Disposition, HangupSide
from softswitch.call.late_offer import answer_in_ack, is_late_offer, offer_body
from softswitch.sdp.description import SessionDescription
from softswitch.sdp.negotiation import DEFAULT_CODECS, LocalSdp
from softswitch.sip.message import Headers, Request
from softswitch.sip.uri import parse_uri
from tests.call.b2bua_network import NO_LEAKS, Network, Phone, sdp_offer


def _request(method: str, body: bytes = b"", content_type: str = "application/sdp") -> Request:
    headers = Headers([("Via", "SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1"),
                       ("From", "<sip:1001@pbx.test>;tag=a"), ("To", "<sip:1002@pbx.test>"),
                       ("Call-ID", "x"), ("CSeq", f"1 {method}"), ("Max-Forwards", "70")])
    if body:
        headers.add("Content-Type", content_type)
    return Request(method, parse_uri("sip:1002@pbx.test"), headers, body)


def test_is_late_offer_only_without_an_sdp_body() -> None:
    assert is_late_offer(_request("INVITE"))
    assert not is_late_offer(_request("INVITE", sdp_offer(4000)))


def test_offer_body_lists_the_codecs_in_order() -> None:
    body = offer_body(LocalSdp("127.0.0.1", 7), 20000, list(reversed(DEFAULT_CODECS)))
    sdp = SessionDescription.parse(body)
    assert sdp.media[0].port == 20000
    names = [c.name.lower() for c in reversed(DEFAULT_CODECS)]
    assert b"RTP/AVP" in body and names[0] in body.decode().lower()


def test_answer_in_ack_reads_the_media_or_refuses() -> None:
    params = answer_in_ack(_request("ACK", sdp_offer(4002, (DEFAULT_CODECS[1],))),
                           DEFAULT_CODECS)
    assert params is not None and params.remote == ("127.0.0.1", 4002)
    assert params.codec == DEFAULT_CODECS[1].name.upper()
    assert answer_in_ack(_request("ACK"), DEFAULT_CODECS) is None
    assert answer_in_ack(_request("ACK", b"v=0\r\nnot sdp\r\n"), DEFAULT_CODECS) is None
    video = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
             b"t=0 0\r\nm=video 5000 RTP/AVP 96\r\n")
    assert answer_in_ack(_request("ACK", video), DEFAULT_CODECS) is None


# -- through the B2BUA ----------------------------------------------------------------


def _ack_with(phone: Phone, body: bytes) -> None:
    dialog = phone.dialogs[-1]
    response = [r for r in phone.responses if r.status == 200][-1]
    ack = dialog.create_request(
        "ACK", via=f"SIP/2.0/UDP {phone.address[0]}:{phone.address[1]};rport",
        cseq=response.cseq.seq, body=body, content_type="application/sdp" if body else None)
    phone.layer.send_message(ack, phone.net.switch_dest)


def _late_call(net: Network) -> tuple[Phone, Phone]:
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.auto_ack = False
    alice.call("1002", body=b"")
    net.run(0.5)
    assert len(bob.invites()) == 1, alice.statuses()
    assert bob.invites()[0].request.body  # the switch offers to the callee as always
    bob.answer(180)
    net.run(0.5)
    bob.answer(200)
    net.run(0.5)
    return alice, bob


def test_invite_without_sdp_gets_the_offer_in_the_200_and_bridges_at_the_ack() -> None:
    net = Network()
    alice, _bob = _late_call(net)
    assert alice.statuses()[-1] == 200
    ok = [r for r in alice.responses if r.status == 200][-1]
    offered = SessionDescription.parse(ok.body)  # our offer, our port
    opened = net.kinds(OpenMedia)
    assert [o.port for o in opened] != [] and offered.media[0].port not in [
        o.port for o in opened]  # the caller's media waits for its answer
    assert not net.kinds(BridgeMedia)
    _ack_with(alice, sdp_offer(41111, (DEFAULT_CODECS[0],)))
    net.run(0.5)
    opened = net.kinds(OpenMedia)
    assert len(opened) == 2
    caller_media = next(o for o in opened if o.port == offered.media[0].port)
    assert caller_media.params.remote == ("127.0.0.1", 41111)
    assert caller_media.params.codec == DEFAULT_CODECS[0].name.upper()
    bridge = net.kinds(BridgeMedia)
    assert len(bridge) == 1 and {bridge[0].a, bridge[0].b} == {o.leg for o in opened}
    alice.bye()
    net.run(1)
    assert net.kinds(WriteCallRecord)[0].record.disposition is Disposition.ANSWERED
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_ack_without_the_answer_ends_the_call_with_bye() -> None:
    net = Network()
    alice, bob = _late_call(net)
    _ack_with(alice, b"")
    net.run(1)
    assert any(e.request.method == "BYE" for e in alice.requests)
    assert any(e.request.method == "BYE" for e in bob.requests)
    assert not net.kinds(BridgeMedia)
    assert "call.no_answer_sdp" in net.events()
    cdr = net.kinds(WriteCallRecord)[0].record
    assert cdr.disposition is Disposition.FAILED
    assert cdr.hangup_side is HangupSide.SWITCH
    assert {c.leg for c in net.kinds(CloseMedia)} == {o.leg for o in net.kinds(OpenMedia)}
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_ack_with_an_unusable_answer_ends_the_call_too() -> None:
    net = Network()
    alice, bob = _late_call(net)
    video = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
             b"t=0 0\r\nm=video 5000 RTP/AVP 96\r\n")
    _ack_with(alice, video)
    net.run(1)
    assert any(e.request.method == "BYE" for e in alice.requests)
    assert any(e.request.method == "BYE" for e in bob.requests)
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_late_offer_caller_hanging_up_before_its_ack_leaves_nothing() -> None:
    net = Network()
    alice, bob = _late_call(net)
    bob.bye()  # the callee leaves before the caller's ACK: BYE waits for it
    net.run(0.2)
    assert not any(e.request.method == "BYE" for e in alice.requests)
    _ack_with(alice, sdp_offer(41111))
    net.run(1)
    assert any(e.request.method == "BYE" for e in alice.requests)
    assert not net.kinds(BridgeMedia)
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_late_offer_forwarded_on_no_answer_still_works() -> None:
    from softswitch.call.forwarding import Forwarding, ForwardRules
    net = Network(ring_timeout=5)
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    carol = net.phone("1003", 5063)
    net.b2bua.forwarding = Forwarding({"1002": ForwardRules(no_answer="1003")})
    alice.auto_ack = False
    alice.call("1002", body=b"")
    net.run(0.5)
    bob.answer(180)
    net.run(6)
    assert len(carol.invites()) == 1
    carol.answer(200)
    net.run(0.5)
    assert alice.statuses()[-1] == 200
    _ack_with(alice, sdp_offer(41111))
    net.run(0.5)
    assert len(net.kinds(BridgeMedia)) == 1
    net.settle()


# -- calls the switch answers itself (a conference room here; voicemail and the call
# center share the same steps through late_offer.session_body/take_answer) -----------


def _room_calls(net: Network):
    from softswitch.call.conference import ConferenceRooms
    from softswitch.call.conference_calls import ConferenceCalls
    from tests.call.b2bua_network import SWITCH
    calls = ConferenceCalls(layer=net.layer, rooms=ConferenceRooms(("800",), None),
                            ports=net.ports, local={"udp": SWITCH},
                            has_prompt=lambda name: True)
    net.core.rooms = calls
    return calls


def test_a_room_answers_a_late_offer_and_takes_the_answer_from_the_ack() -> None:
    from softswitch.call.actions import UpdateMedia
    net = Network()
    _room_calls(net)
    alice = net.phone("1001", 5061)
    alice.auto_ack = False
    alice.call("800", body=b"")
    net.run(0.5)
    assert alice.statuses()[-1] == 200
    ok = [r for r in alice.responses if r.status == 200][-1]
    assert SessionDescription.parse(ok.body).media[0].port == net.kinds(OpenMedia)[0].port
    assert net.kinds(OpenMedia)[0].params.remote is None  # nowhere to send before the ACK
    _ack_with(alice, sdp_offer(41111, (DEFAULT_CODECS[1],)))
    net.run(0.5)
    [update] = net.kinds(UpdateMedia)
    assert update.params.remote == ("127.0.0.1", 41111)
    assert update.params.codec == DEFAULT_CODECS[1].name.upper()
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_a_room_hangs_up_a_late_offer_whose_ack_has_no_answer() -> None:
    net = Network()
    rooms = _room_calls(net)
    alice = net.phone("1001", 5061)
    alice.auto_ack = False
    alice.call("800", body=b"")
    net.run(0.5)
    _ack_with(alice, b"")
    net.run(1)
    assert any(e.request.method == "BYE" for e in alice.requests)
    net.settle()
    assert not rooms.legs
    assert net.leaks() == NO_LEAKS
