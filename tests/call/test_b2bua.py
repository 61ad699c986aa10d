"""The B2BUA on a ManualClock: calls between scripted phones, in every order of events."""

from __future__ import annotations

from softswitch.call.actions import (
    BridgeMedia,
    CloseMedia,
    OpenMedia,
    UpdateMedia,
    WriteCallRecord,
)
from softswitch.call.cdr import Disposition, HangupSide
from tests.call.b2bua_network import NO_LEAKS, Network, sdp_offer


def record(net: Network):
    records = net.kinds(WriteCallRecord)
    assert len(records) == 1, records
    return records[0].record


def basic_answered(net: Network):
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.call("1002")
    net.run(0.5)
    assert [r.status for r in alice.responses][:2] == [401, 100]
    assert len(bob.invites()) == 1
    bob.answer(180)
    net.run(0.5)
    bob.answer(200)
    net.run(0.5)
    return alice, bob


def test_basic_call_bridges_media_and_records_it() -> None:
    net = Network()
    alice, bob = basic_answered(net)
    assert alice.statuses()[-3:] == [100, 180, 200]
    assert len(bob.acks) == 1
    opened = net.kinds(OpenMedia)
    assert len(opened) == 2 and opened[0].port != opened[1].port
    bridge = net.kinds(BridgeMedia)[0]
    assert {bridge.a, bridge.b} == {o.leg for o in opened}
    net.clock.advance(10)
    alice.bye()
    net.run(1)
    assert any(e.request.method == "BYE" for e in bob.requests)
    assert {c.leg for c in net.kinds(CloseMedia)} == {o.leg for o in opened}
    cdr = record(net)
    assert cdr.disposition is Disposition.ANSWERED
    assert cdr.hangup_side is HangupSide.CALLER
    assert cdr.caller == "1001" and cdr.callee == "1002"
    assert 10 <= cdr.talk_seconds < 12
    assert net.events() == ["call.offered", "call.ringing", "call.answered", "call.ended"]
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_callee_hangs_up() -> None:
    net = Network()
    alice, bob = basic_answered(net)
    bob.bye()
    net.run(1)
    assert any(e.request.method == "BYE" for e in alice.requests)
    assert record(net).hangup_side is HangupSide.CALLEE
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_busy_is_passed_through() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.call("1002")
    net.run(0.5)
    bob.answer(486)
    net.run(1)
    assert alice.statuses()[-1] == 486
    assert record(net).disposition is Disposition.BUSY
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_no_answer_times_out_with_480_and_cancels_the_callee() -> None:
    net = Network(ring_timeout=5)
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.call("1002")
    net.run(0.5)
    bob.answer(180)
    net.run(4.0)
    assert alice.statuses()[-1] == 180
    net.run(1.5)
    assert alice.statuses()[-1] == 480
    assert len(bob.cancels) == 1
    assert record(net).disposition is Disposition.NO_ANSWER
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_caller_cancels_while_ringing() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.call("1002")
    net.run(0.5)
    bob.answer(180)
    net.run(0.5)
    alice.cancel()
    net.run(1)
    assert alice.statuses()[-1] == 487
    cdr = record(net)
    assert cdr.disposition is Disposition.CANCELLED
    assert cdr.hangup_side is HangupSide.CALLER
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_unknown_number_gets_404_and_offline_user_480() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    alice.call("999")
    net.run(1)
    assert alice.statuses()[-1] == 404
    alice.call("1003")  # a user with no registration
    net.run(1)
    assert alice.statuses()[-1] == 480
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_unauthenticated_invite_goes_no_further() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.password = "wrong"
    alice.call("1002")
    net.run(1)
    assert alice.statuses() == [401, 401]
    assert bob.invites() == []
    assert net.leaks() == {**NO_LEAKS, "transactions": net.leaks()["transactions"]}


def test_forking_first_answer_wins_and_the_other_branch_is_cancelled() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    desk = net.phone("1002", 5062)
    soft = net.phone("1002", 5063)
    alice.call("1002")
    net.run(0.5)
    assert len(desk.invites()) == 1 and len(soft.invites()) == 1
    desk.answer(180)
    soft.answer(180)
    net.run(0.5)
    soft.answer(200)
    net.run(1)
    assert alice.statuses()[-1] == 200
    assert len(desk.cancels) == 1 and soft.cancels == []
    alice.bye()
    net.run(1)
    assert any(e.request.method == "BYE" for e in soft.requests)
    assert not any(e.request.method == "BYE" for e in desk.requests)
    net.settle()
    assert net.leaks() == NO_LEAKS
    assert record(net).disposition is Disposition.ANSWERED


def test_late_2xx_from_a_cancelled_branch_gets_ack_and_bye() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    desk = net.phone("1002", 5062)
    soft = net.phone("1002", 5063)
    alice.call("1002")
    net.run(0.5)
    desk.answer(180)
    soft.answer(180)
    net.pump()
    soft.answer(200)
    desk.answer(200)  # crosses the CANCEL the switch sends when the first 200 arrives
    net.run(1)
    assert len(desk.acks) == 1 and len(soft.acks) == 1
    byes = [any(e.request.method == "BYE" for e in p.requests) for p in (desk, soft)]
    assert sorted(byes) == [False, True]  # the loser is hung up, the winner talks
    assert alice.statuses()[-1] == 200
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_bye_crossing_the_200() -> None:
    """The callee hangs up before the caller's ACK came: the caller's BYE waits for it."""
    net = Network()
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.auto_ack = False
    alice.call("1002")
    net.run(0.5)
    bob.answer(200)
    net.pump()
    bob.bye()
    net.pump()
    assert not any(e.request.method == "BYE" for e in alice.requests)
    alice.auto_ack = True
    net.run(1)  # the 200 is retransmitted; now alice ACKs it; then the BYE goes
    assert any(e.request.method == "BYE" for e in alice.requests)
    net.settle()
    assert net.leaks() == NO_LEAKS
    assert record(net).hangup_side is HangupSide.CALLEE


def test_cancel_crossing_the_200() -> None:
    net = Network()
    bob = net.phone("1002", 5062)  # pumped first: its 200 reaches the switch before the CANCEL
    alice = net.phone("1001", 5061)
    alice.call("1002")
    net.run(0.5)
    bob.answer(180)
    net.pump()
    bob.answer(200)
    alice.cancel()
    net.run(1)
    # the caller got its 200 (the CANCEL was too late); it hangs up as RFC 3261 §9.1 says
    assert alice.statuses()[-1] == 200
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_ack_lost_ends_the_call_with_bye_on_both_sides() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.auto_ack = False
    alice.call("1002")
    net.run(0.5)
    bob.answer(200)
    net.run(40)
    assert any(e.request.method == "BYE" for e in bob.requests)
    assert any(e.request.method == "BYE" for e in alice.requests)
    assert record(net).hangup_side is HangupSide.SWITCH
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_ack_with_a_wrong_to_tag_is_tolerated() -> None:
    """pyVoIP's ACK carries a fresh To tag: the call must not drop at 32 s."""
    net = Network()
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.ack_to_tag = "random-pyvoip-tag"
    alice.call("1002")
    net.run(0.5)
    bob.answer(200)
    net.run(40)
    assert not any(e.request.method == "BYE" for e in bob.requests)
    assert len(alice.strays) == 0  # the 200 was not retransmitted
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_reinvite_and_update_are_answered_in_the_dialog() -> None:
    net = Network()
    alice, _bob = basic_answered(net)
    alice.reinvite(sdp_offer(41000))
    net.run(1)
    reinvite_answers = [r for r in alice.responses if r.cseq.method == "INVITE"
                        and r.cseq.seq > 2]
    assert reinvite_answers and reinvite_answers[-1].status == 200
    assert b"m=audio" in reinvite_answers[-1].body
    caller_leg = net.kinds(OpenMedia)[0].leg
    moved = net.kinds(UpdateMedia)
    assert [(m.leg, m.params.remote) for m in moved] == [(caller_leg, ("127.0.0.1", 41000))]
    alice.reinvite(sdp_offer(41002), method="UPDATE")
    net.run(1)
    updates = [r.status for r in alice.responses if r.cseq.method == "UPDATE"]
    assert updates == [200]
    assert net.kinds(UpdateMedia)[-1].params.remote == ("127.0.0.1", 41002)
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_request_in_unknown_dialog_gets_481() -> None:
    net = Network()
    alice, _bob = basic_answered(net)
    alice.bye()
    net.run(1)
    alice.dialogs[-1].state = alice.dialogs[-1].state.__class__.CONFIRMED
    alice.bye()
    net.run(1)
    byes = [r.status for r in alice.responses if r.cseq.method == "BYE"]
    assert byes == [200, 481]


def test_calls_under_loss_complete_and_leak_nothing() -> None:
    net = Network(loss=0.1, seed=7)
    phones = [net.phone("1001", 5061 + i) for i in range(3)]
    bobs = [net.phone("1002", 6061 + i, register=False) for i in range(3)]
    net.bindings["1002"] = [bobs[0].binding()]
    for phone in phones:
        phone.call("1002")
    net.run(3)
    for invite_index in range(len(bobs[0].invites())):
        bobs[0].answer(200, which=invite_index)
    net.run(5)
    for phone in phones:
        if phone.dialogs:
            phone.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS
    assert len(net.kinds(WriteCallRecord)) == 3


def test_caller_gets_the_callee_codec_when_it_offered_it_so_the_bridge_relays() -> None:
    from softswitch.sdp.negotiation import DEFAULT_CODECS

    net = Network()
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    pcma_first = (DEFAULT_CODECS[1], DEFAULT_CODECS[0], DEFAULT_CODECS[2])
    alice.call("1002", body=sdp_offer(40000, pcma_first))
    net.run(0.5)
    assert b"RTP/AVP 8 0" in bob.invites()[0].request.body  # the caller's order is kept
    bob.answer(200, body=sdp_offer(30000, (DEFAULT_CODECS[0],)))  # bob can only do PCMU
    net.run(0.5)
    opened = {o.leg: o.params.codec for o in net.kinds(OpenMedia)}
    assert sorted(opened.values()) == ["PCMU", "PCMU"]


def test_broken_sdp_offer_gets_488() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    net.phone("1002", 5062)
    alice.call("1002", body=b"v=0\r\nthis is not sdp\r\n")
    net.run(1)
    assert alice.statuses()[-1] in (400, 488)
    video_only = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                  "t=0 0\r\nm=video 5000 RTP/AVP 96\r\n")
    alice.call("1002", body=video_only.encode())
    net.run(1)
    assert alice.statuses()[-1] == 488
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_hold_and_resume_by_reinvite() -> None:
    from softswitch.call.actions import HoldMedia

    net = Network()
    alice, _bob = basic_answered(net)
    held = sdp_offer(40000 + 5061).replace(b"a=sendrecv", b"a=sendonly")
    alice.reinvite(held)
    net.run(1)
    answer = [r for r in alice.responses if r.cseq.method == "INVITE"][-1]
    assert answer.status == 200 and b"a=recvonly" in answer.body
    caller_leg, callee_leg = (o.leg for o in net.kinds(OpenMedia))
    assert net.kinds(HoldMedia) == [HoldMedia(caller_leg, callee_leg, True)]
    alice.reinvite(held)  # a refresh that changes nothing is no second hold
    net.run(1)
    assert len(net.kinds(HoldMedia)) == 1
    alice.reinvite(sdp_offer(40000 + 5061))
    net.run(1)
    assert net.kinds(HoldMedia)[-1] == HoldMedia(caller_leg, callee_leg, False)
    assert "call.held" in net.events() and "call.resumed" in net.events()
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_blind_transfer_by_the_callee() -> None:
    net = Network()
    alice, bob = basic_answered(net)
    carol = net.phone("1003", 5064)
    bob.refer("1003")
    net.run(0.5)
    assert [r.status for r in bob.responses if r.cseq.method == "REFER"] == [202]
    assert bob.notifications() == [b"SIP/2.0 100 Trying\r\n"]
    assert len(carol.invites()) == 1
    invite = carol.invites()[0].request
    assert invite.from_.uri.user == "1001"  # carol sees who is being transferred to her
    carol.answer(200)
    net.run(1)
    assert bob.notifications()[-1] == b"SIP/2.0 200 OK\r\n"
    assert any(e.request.method == "BYE" for e in bob.requests)
    assert not any(e.request.method == "BYE" for e in alice.requests)
    bridges = net.kinds(BridgeMedia)
    carol_leg = net.kinds(OpenMedia)[-1].leg
    assert carol_leg in (bridges[-1].a, bridges[-1].b)
    alice.bye()
    net.run(1)
    assert any(e.request.method == "BYE" for e in carol.requests)
    assert "call.transferred" in net.events()
    net.settle()
    assert net.leaks() == NO_LEAKS
    cdr = record(net)
    assert cdr.disposition is Disposition.ANSWERED and len(cdr.legs) == 3


def test_transfer_to_a_busy_target_ends_the_call_and_tells_the_transferor() -> None:
    net = Network()
    alice, bob = basic_answered(net)
    carol = net.phone("1003", 5064)
    bob.refer("1003")
    net.run(0.5)
    carol.answer(486)
    net.run(1)
    assert bob.notifications()[-1].startswith(b"SIP/2.0 503")
    assert any(e.request.method == "BYE" for e in alice.requests)
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_refer_to_nowhere_is_refused_and_the_call_goes_on() -> None:
    net = Network()
    alice, bob = basic_answered(net)
    bob.refer("999")
    bob.refer("1003")  # nobody registered as 1003
    net.run(1)
    assert [r.status for r in bob.responses if r.cseq.method == "REFER"] == [404, 480]
    assert not any(e.request.method == "BYE" for e in alice.requests)
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_transferor_hangs_up_before_the_target_answers() -> None:
    net = Network()
    alice, bob = basic_answered(net)
    carol = net.phone("1003", 5064)
    bob.refer("1003")
    net.run(0.2)
    bob.bye()
    net.run(0.5)
    assert not any(e.request.method == "BYE" for e in alice.requests)
    carol.answer(200)
    net.run(1)
    assert len(carol.acks) == 1
    carol.bye()
    net.run(1)
    assert any(e.request.method == "BYE" for e in alice.requests)
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_our_lost_ack_is_sent_again_when_the_callee_repeats_its_200() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.call("1002")
    net.run(0.5)
    net.drop_once = lambda data, src, dst: data.startswith(b"ACK") and dst == bob.address
    bob.answer(200)
    net.run(0.2)
    assert bob.acks == []
    net.run(2)  # bob's transaction re-sends the 200; the switch answers with its ACK
    assert len(bob.acks) == 1
    net.run(40)
    assert not any(e.request.method == "BYE" for e in bob.requests)  # the call survived
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_no_rtp_port_left_gets_503_and_leaks_nothing() -> None:
    from softswitch.call.ports import PortRange

    net = Network(ports=PortRange(20000, 20003))  # room for the two legs of one call
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    carol = net.phone("1003", 5063)
    alice.call("1002")
    net.run(0.5)
    bob.answer(200)
    net.run(0.5)
    carol.call("1001")
    net.run(0.5)
    assert carol.statuses()[-1] == 503
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS
