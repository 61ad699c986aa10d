"""Forwarding and do-not-disturb: the rules, the feature codes, and the B2BUA following
them on a ManualClock."""

from __future__ import annotations

from softswitch.call.actions import BridgeMedia, LogEvent, Respond, WriteCallRecord
from softswitch.call.cdr import Disposition
from softswitch.call.center_route import FeatureCall
from softswitch.call.feature_codes import DEFAULT_TABLE, Feature
from softswitch.call.forwarding import (
    MAX_HOPS,
    Diversion,
    Forwarding,
    ForwardRules,
    Reason,
    forwarding_codes,
)
from softswitch.sip.message import make_response
from tests.call.b2bua_network import NO_LEAKS, Network

KNOWN = {"1001", "1002", "1003"}.__contains__


def test_always_chains_are_followed_but_never_round_a_loop() -> None:
    rules = Forwarding({"1001": ForwardRules(always="1002"),
                        "1002": ForwardRules(always="1003"),
                        "1003": ForwardRules(always="1001")})
    route = rules.at_offer("1001")
    assert route.extension == "1003" and route.via == ("1001", "1002")
    chain = Forwarding({str(n): ForwardRules(always=str(n + 1)) for n in range(10)})
    assert len(chain.at_offer("0").via) == MAX_HOPS


def test_dnd_is_that_of_the_extension_reached() -> None:
    rules = Forwarding({"1001": ForwardRules(always="1002", dnd=False),
                        "1002": ForwardRules(dnd=True)})
    assert rules.at_offer("1001").dnd
    assert not rules.at_offer("1003").dnd


def test_feature_codes_change_the_rules_and_report_each_change() -> None:
    changes: list[tuple[str, ForwardRules]] = []
    rules = Forwarding(on_change=lambda ext, r: changes.append((ext, r)))
    assert rules.apply(Feature.FORWARD_ALWAYS, "1001", "1003", KNOWN) == ""
    assert rules.at_offer("1001").extension == "1003"
    assert rules.apply(Feature.DND_ON, "1002", "", KNOWN) == ""
    assert rules.rules("1002").dnd
    assert rules.apply(Feature.FORWARD_CANCEL, "1001", "", KNOWN) == ""
    assert rules.apply(Feature.DND_OFF, "1002", "", KNOWN) == ""
    assert rules.at_offer("1001").extension == "1001"
    assert [ext for ext, _ in changes] == ["1001", "1002", "1001", "1002"]
    assert changes[-1][1] == ForwardRules()


def test_bad_forward_requests_are_refused_and_change_nothing() -> None:
    rules = Forwarding()
    assert "no number" in rules.apply(Feature.FORWARD_ALWAYS, "1001", "", KNOWN)
    assert "itself" in rules.apply(Feature.FORWARD_ALWAYS, "1001", "1001", KNOWN)
    assert "9999" in rules.apply(Feature.FORWARD_ALWAYS, "1001", "9999", KNOWN)
    assert rules.apply(Feature.PARK, "1001", "", KNOWN) != ""
    assert rules.rules("1001") == ForwardRules()


def test_restored_rules_win_over_the_configured_ones() -> None:
    rules = Forwarding({"1001": ForwardRules(busy="1003")})
    rules.restore([("1001", ForwardRules(always="1002")), ("1002", ForwardRules())])
    assert rules.rules("1001") == ForwardRules(always="1002")


def test_the_route_wrapper_answers_forwarding_codes_and_passes_the_rest_on() -> None:
    rules = Forwarding()
    route = forwarding_codes(lambda number, user: ("inner", number), DEFAULT_TABLE, rules,
                             KNOWN, FeatureCall)
    assert route("*721003", "1001") == FeatureCall("forward_always", "", "1003")
    assert rules.at_offer("1001").extension == "1003"
    assert route("*72*1002", "1003") == FeatureCall("forward_always", "", "1002")
    refused = route("*72", "1002")
    assert isinstance(refused, FeatureCall) and refused.refused
    assert route("*78", "1002") == FeatureCall("dnd_on", "", "")
    assert rules.rules("1002").dnd
    assert route("1002", "1001") == ("inner", "1002")
    assert route("*45", "1001") == ("inner", "*45")


# -- the B2BUA following the rules ------------------------------------------------------


def forwarding_net(rules: dict[str, ForwardRules], **kw) -> Network:
    net = Network(**kw)
    net.b2bua.forwarding = Forwarding(rules)
    return net


def test_forward_always_rings_the_target_instead() -> None:
    net = forwarding_net({"1002": ForwardRules(always="1003")})
    alice, bob, carol = net.phone("1001", 5061), net.phone("1002", 5062), \
        net.phone("1003", 5063)
    alice.call("1002")
    net.run(0.5)
    assert not bob.invites() and len(carol.invites()) == 1
    carol.answer(200)
    net.run(0.5)
    assert alice.statuses()[-1] == 200
    assert len(net.kinds(BridgeMedia)) == 1
    forwarded = [a for a in net.kinds(LogEvent) if a.kind == "call.forwarded"]
    assert forwarded[0].fields == {"from": "1002", "to": "1003", "reason": "always"}
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS
    assert net.kinds(WriteCallRecord)[0].record.callee == "1003"


def test_dnd_gives_486_without_ringing() -> None:
    net = forwarding_net({"1002": ForwardRules(dnd=True)})
    alice, bob = net.phone("1001", 5061), net.phone("1002", 5062)
    alice.call("1002")
    net.run(0.5)
    assert not bob.invites()
    assert alice.statuses()[-1] == 486
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_forward_busy_rings_the_target_when_the_phone_is_busy() -> None:
    net = forwarding_net({"1002": ForwardRules(busy="1003")})
    alice, bob, carol = net.phone("1001", 5061), net.phone("1002", 5062), \
        net.phone("1003", 5063)
    alice.call("1002")
    net.run(0.5)
    bob.answer(486)
    net.run(0.5)
    assert len(carol.invites()) == 1 and 486 not in alice.statuses()
    carol.answer(180)
    carol.answer(200)
    net.run(0.5)
    assert alice.statuses()[-1] == 200
    carol.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS
    cdr = net.kinds(WriteCallRecord)[0].record
    assert cdr.disposition is Disposition.ANSWERED and cdr.callee == "1003"


def test_forward_no_answer_cancels_the_phone_and_rings_the_target() -> None:
    net = forwarding_net({"1002": ForwardRules(no_answer="1003")}, ring_timeout=10)
    alice, bob, carol = net.phone("1001", 5061), net.phone("1002", 5062), \
        net.phone("1003", 5063)
    alice.call("1002")
    net.run(0.5)
    bob.answer(180)
    net.run(10)
    assert len(bob.cancels) == 1 and len(carol.invites()) == 1
    assert 480 not in alice.statuses()
    net.run(10.5)  # the target rings its own full timeout, then the caller gets 480
    assert alice.statuses()[-1] == 480
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_forward_busy_to_a_target_without_phone_gives_the_caller_busy() -> None:
    net = forwarding_net({"1002": ForwardRules(busy="1003")})
    alice, bob = net.phone("1001", 5061), net.phone("1002", 5062)
    alice.call("1002")
    net.run(0.5)
    bob.answer(486)
    net.run(0.5)
    assert alice.statuses()[-1] == 486
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_busy_forwards_that_go_round_stop_after_the_hop_limit() -> None:
    net = forwarding_net({"1002": ForwardRules(busy="1003"),
                          "1003": ForwardRules(busy="1002")})
    alice, bob, carol = net.phone("1001", 5061), net.phone("1002", 5062), \
        net.phone("1003", 5063)
    alice.call("1002")
    answered: set[int] = set()
    for _ in range(MAX_HOPS + 2):
        net.run(0.5)
        for phone in (bob, carol):  # every INVITE not answered yet gets a 486
            for event in phone.invites():
                if id(event) not in answered:
                    answered.add(id(event))
                    phone.layer.respond(event.tid, make_response(
                        event.request, 486, to_tag="busy"), net.clock.now())
    net.run(1)
    assert alice.statuses()[-1] == 486
    assert len(bob.invites()) + len(carol.invites()) == MAX_HOPS + 1
    net.settle()
    assert net.leaks() == NO_LEAKS


# -- the voicemail hook ---------------------------------------------------------------


def test_dnd_and_no_answer_go_to_the_voicemail_hook_when_it_takes_them() -> None:
    net = forwarding_net({"1002": ForwardRules(dnd=True)}, ring_timeout=5)
    seen: list[Diversion] = []

    def voicemail(diversion: Diversion, now: float, wall: float) -> list:
        seen.append(diversion)
        request = diversion.offered.request
        return [Respond(diversion.offered.tid, make_response(request, 603, to_tag="vm"))]

    net.b2bua.voicemail = voicemail
    alice, net_bob = net.phone("1001", 5061), net.phone("1002", 5062)
    net.phone("1003", 5063)
    alice.call("1002")
    net.run(0.5)
    assert [d.reason for d in seen] == [Reason.DND] and seen[0].mailbox == "1002"
    assert alice.statuses()[-1] == 603 and not net_bob.invites()
    alice.call("1003")
    net.run(6)
    assert [d.reason for d in seen] == [Reason.DND, Reason.NO_ANSWER]
    assert seen[1].offered.request.call_id == alice._outgoing.call_id
    # the hook's actions come out of the B2BUA's timer, for the edge to carry out
    assert [a.response.status for a in net.kinds(Respond)] == [603]
    for action in net.kinds(Respond):
        net.layer.respond(action.tid, action.response, net.clock.now())
    net.run(0.5)
    assert alice.statuses()[-1] == 603
    assert "call.diverted" in net.events()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_a_voicemail_hook_that_declines_leaves_the_usual_answers() -> None:
    net = forwarding_net({"1002": ForwardRules(dnd=True)}, ring_timeout=5)
    net.b2bua.voicemail = lambda diversion, now, wall: None
    alice = net.phone("1001", 5061)
    net.phone("1002", 5062)
    net.phone("1003", 5063)
    alice.call("1002")
    net.run(0.5)
    assert alice.statuses()[-1] == 486
    alice.call("1003")
    net.run(6)
    assert 480 in alice.statuses()
    net.settle()
    assert net.leaks() == NO_LEAKS
