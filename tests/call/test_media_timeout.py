"""The RTP inactivity timeout: the decision (MediaWatch) and the B2BUA ending a call
whose phone went silent, on the in-memory network."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.call.actions import CloseMedia, LogEvent, OpenMedia, WriteCallRecord
from softswitch.call.cdr import Disposition, HangupSide
from softswitch.call.media_timeout import MediaWatch, is_silent, offer_holds
from softswitch.sdp.description import SessionDescription
from tests.call.b2bua_network import NO_LEAKS, Network, sdp_offer
from tests.call.test_b2bua import basic_answered, record
from tests.call.test_early_media import _progress


def test_a_leg_silent_for_the_timeout_is_due_and_one_that_sent_is_not() -> None:
    watch = MediaWatch(60)
    heard = {1: 100.0, 2: 150.0}
    assert watch.check(heard, 159.9) == []
    assert watch.check(heard, 160.0) == [1]
    assert watch.check(heard, 210.0) == [1, 2]


def test_excused_silence_counts_again_from_the_excuse() -> None:
    watch = MediaWatch(10)
    heard = {7: 0.0}
    assert watch.check(heard, 10.0) == [7]
    watch.excuse(7, 10.0)
    assert watch.check(heard, 19.0) == []
    assert watch.next_check(heard) == 20.0
    assert watch.check(heard, 20.0) == [7]
    heard[7] = 25.0  # a packet after the excuse counts from the packet
    assert watch.check(heard, 30.0) == []
    assert watch.next_check(heard) == 35.0


def test_a_closed_leg_is_forgotten_with_its_excuse() -> None:
    watch = MediaWatch(10)
    watch.excuse(3, 50.0)
    assert watch.check({}, 100.0) == []
    assert watch.check({3: 0.0}, 10.0) == [3]  # a new leg with a reused id starts clean


def test_zero_turns_the_watch_off_and_a_negative_timeout_is_refused() -> None:
    off = MediaWatch(0)
    assert not off.enabled
    assert off.check({1: 0.0}, 1e9) == [] and off.next_check({1: 0.0}) is None
    assert not is_silent(0.0, None, 1e9, 0)
    with pytest.raises(ValueError, match="0 \\(off\\) or more"):
        MediaWatch(-1)


def test_next_check_is_the_quietest_legs_deadline() -> None:
    watch = MediaWatch(5)
    assert watch.next_check({}) is None
    assert watch.next_check({1: 3.0, 2: 1.0, 3: 7.0}) == 6.0


@settings(max_examples=300, deadline=None)
@given(heard=st.dictionaries(st.integers(0, 50), st.floats(0, 1000), max_size=20),
       timeout=st.floats(0.5, 100), now=st.floats(0, 2000))
def test_due_exactly_when_now_reaches_next_check(heard: dict[int, float], timeout: float,
                                                 now: float) -> None:
    watch = MediaWatch(timeout)
    due = watch.check(heard, now)
    assert due == [leg for leg, at in heard.items() if now - at >= timeout]
    deadline = watch.next_check(heard)
    assert (deadline is not None and deadline <= now) == bool(due) or not heard


def test_offer_holds_for_sendonly_inactive_and_zero_address_only() -> None:
    plain = sdp_offer(40000).decode()
    parse = SessionDescription.parse
    assert not offer_holds(parse(plain))
    assert not offer_holds(None)
    assert offer_holds(parse(plain.replace("a=sendrecv", "a=sendonly")))
    assert offer_holds(parse(plain.replace("a=sendrecv", "a=inactive")))
    assert not offer_holds(parse(plain.replace("a=sendrecv", "a=recvonly")))
    assert offer_holds(parse(plain.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0")))


# -- the B2BUA ------------------------------------------------------------------------------


def _timeout(net: Network, leg: int) -> list | None:
    actions = net.b2bua.media_timeout(leg, net.clock.now(), net.clock.wall())
    if actions:
        net.actions.extend(actions)
    return actions


def test_an_answered_call_whose_callee_went_silent_ends_with_bye_to_both() -> None:
    net = Network()
    alice, bob = basic_answered(net)
    caller_leg, callee_leg = (o.leg for o in net.kinds(OpenMedia))
    net.clock.advance(60)
    assert _timeout(net, callee_leg)
    net.run(1)
    assert any(e.request.method == "BYE" for e in alice.requests)
    assert any(e.request.method == "BYE" for e in bob.requests)
    assert {c.leg for c in net.kinds(CloseMedia)} == {caller_leg, callee_leg}
    timed_out = [a for a in net.kinds(LogEvent) if a.kind == "call.media_timeout"]
    assert len(timed_out) == 1 and timed_out[0].fields["leg"] == callee_leg
    assert timed_out[0].fields["role"] == "callee"
    cdr = record(net)
    assert cdr.hangup_side is HangupSide.MEDIA_TIMEOUT
    assert cdr.disposition is Disposition.ANSWERED
    ended = [a for a in net.kinds(LogEvent) if a.kind == "call.ended"][-1]
    assert ended.fields["hangup"] == "media_timeout"
    assert _timeout(net, callee_leg) is None  # gone: no longer the B2BUA's
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_a_dead_callee_that_never_answers_the_bye_still_ends_the_call() -> None:
    net = Network()
    alice, bob = basic_answered(net)
    _caller_leg, callee_leg = (o.leg for o in net.kinds(OpenMedia))
    del net.phones[bob.address]  # the phone is gone: nothing it is sent arrives
    assert _timeout(net, callee_leg)
    net.run(1)  # the caller's BYE is answered; the dead phone's is not waited for
    assert any(e.request.method == "BYE" for e in alice.requests)
    assert len(net.kinds(WriteCallRecord)) == 1
    assert net.b2bua.calls == {} and net.ports.in_use == 0
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_silence_while_ringing_or_on_hold_is_allowed() -> None:
    net = Network()
    alice = net.phone("1001", 5061)
    bob = net.phone("1002", 5062)
    alice.call("1002")
    net.run(0.5)
    _progress(bob, sdp_offer(30000 + 5062))  # early media: legs open, unanswered
    net.run(0.5)
    early = [o.leg for o in net.kinds(OpenMedia)]
    assert len(early) == 2
    for leg in early:
        assert _timeout(net, leg) == []
    bob.answer(200)
    net.run(0.5)
    held = sdp_offer(40000 + 5061).replace(b"a=sendrecv", b"a=inactive")
    alice.reinvite(held)
    net.run(1)
    caller_leg, callee_leg = [o.leg for o in net.kinds(OpenMedia)][:2]
    assert _timeout(net, caller_leg) == [] and _timeout(net, callee_leg) == []
    alice.reinvite(sdp_offer(40000 + 5061))  # resumed: silence counts again
    net.run(1)
    assert _timeout(net, caller_leg)
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_a_leg_the_b2bua_does_not_know_is_not_its_to_end() -> None:
    net = Network()
    assert _timeout(net, 12345) is None
