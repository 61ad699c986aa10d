"""The four RFC 3261 §17 transaction machines, driven by hand-stepped time."""

from __future__ import annotations

import itertools

import pytest

from softswitch.clock import ManualClock
from softswitch.errors import ProtocolError
from softswitch.sip.message import Headers, Request, Response, make_response
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import Destination, Source
from softswitch.sip.transaction import (
    Kind,
    State,
    TimerSettings,
    TransactionError,
    TransactionLayer,
)
from softswitch.sip.transaction_events import (
    AckReceived,
    CancelReceived,
    Outgoing,
    RequestReceived,
    ResponseReceived,
    StrayResponse,
    TransactionTerminated,
    TransactionTimeout,
)

PEER = Destination("udp", "127.0.0.1", 5080)
PEER_TCP = Destination("tcp", "127.0.0.1", 5080, connection=7)
FROM_PEER = Source("udp", "127.0.0.1", 5080)
FROM_PEER_TCP = Source("tcp", "127.0.0.1", 40123, connection=7)


def request(method: str = "INVITE", *, branch: str | None = "z9hG4bKclient1",
            transport: str = "UDP", cseq: int = 1, to_tag: str | None = None,
            uri: str = "sip:bob@127.0.0.1:5060", via_host: str = "127.0.0.1:5080",
            call_id: str = "call-1@127.0.0.1", from_tag: str = "ftag") -> Request:
    branch_param = f";branch={branch}" if branch else ""
    to = "<sip:bob@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    text = (
        f"{method} {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} {via_host}{branch_param}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:alice@127.0.0.1>;tag={from_tag}\r\n"
        f"To: {to}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    message = parse_message(text.encode())
    assert isinstance(message, Request)
    return message


def answer(req: Request, status: int, to_tag: str | None = "totag") -> Response:
    """A response as it comes back over the wire (serialized and parsed again)."""
    built = make_response(req, status, to_tag=to_tag if status > 100 else None)
    message = parse_message(bytes(built))
    assert isinstance(message, Response)
    return message


def wire(data: bytes) -> Request | Response:
    return parse_message(data)


def drain_sends(layer: TransactionLayer) -> list[Outgoing]:
    out = []
    while (item := layer.next_send()) is not None:
        out.append(item)
    return out


def drain_events(layer: TransactionLayer) -> list[object]:
    out = []
    while (event := layer.next_event()) is not None:
        out.append(event)
    return out


def run_timers(layer: TransactionLayer, clock: ManualClock,
               until: float) -> list[tuple[float, Outgoing]]:
    """Step the clock from deadline to deadline up to `until`, collecting what is sent."""
    sent: list[tuple[float, Outgoing]] = []
    while (when := layer.get_timer()) is not None and when <= until:
        clock.set(when)
        layer.handle_timer(clock.now())
        sent.extend((clock.now(), item) for item in drain_sends(layer))
    return sent


def assert_empty(layer: TransactionLayer) -> None:
    assert len(layer) == 0
    assert all(count == 0 for count in layer.counts().values())
    assert layer.get_timer() is None


# -- INVITE client ---------------------------------------------------------------------

def test_invite_client_retransmits_by_timer_a_and_times_out_by_timer_b() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    tid = layer.send_request(request(), PEER, clock.now())
    first = drain_sends(layer)
    assert [o.destination for o in first] == [PEER]
    sent = run_timers(layer, clock, 100)
    assert [t for t, _ in sent] == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert all(o.data == first[0].data for _, o in sent)
    assert clock.now() == 32.0
    assert drain_events(layer) == [TransactionTimeout(tid), TransactionTerminated(tid)]
    assert_empty(layer)


def test_invite_client_over_tcp_never_retransmits_but_still_times_out() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    tid = layer.send_request(request(transport="TCP"), PEER_TCP, clock.now())
    assert len(drain_sends(layer)) == 1
    assert run_timers(layer, clock, 100) == []
    assert clock.now() == 32.0
    assert drain_events(layer) == [TransactionTimeout(tid), TransactionTerminated(tid)]


def test_configured_t1_scales_every_timer() -> None:
    layer, clock = TransactionLayer(TimerSettings(t1=0.1, t2=4, t4=5)), ManualClock()
    layer.send_request(request(), PEER, clock.now())
    drain_sends(layer)
    sent = run_timers(layer, clock, 100)
    assert [round(t, 6) for t, _ in sent] == [0.1, 0.3, 0.7, 1.5, 3.1, 6.3]
    assert clock.now() == pytest.approx(6.4)


def test_invalid_timer_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        TimerSettings(t1=5, t2=4)


def test_2xx_to_invite_ends_the_client_transaction_and_reaches_the_tu() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    sent_invite = request()
    tid = layer.send_request(sent_invite, PEER, clock.now())
    drain_sends(layer)
    ringing = answer(sent_invite, 180)
    layer.receive(ringing, FROM_PEER, 0.2)
    assert layer.state_of(tid) is State.PROCEEDING
    assert run_timers(layer, clock, 10) == []  # no retransmission once proceeding
    ok = answer(sent_invite, 200)
    layer.receive(ok, FROM_PEER, 11)
    assert drain_events(layer) == [ResponseReceived(tid, ringing), ResponseReceived(tid, ok),
                                   TransactionTerminated(tid)]
    assert_empty(layer)
    # a retransmitted 2xx finds no transaction and goes to the UAC core
    layer.receive(answer(sent_invite, 200), FROM_PEER, 12)
    assert drain_events(layer) == [StrayResponse(ok)]
    assert drain_sends(layer) == []


def test_non_2xx_final_is_acked_by_the_transaction_and_absorbed_until_timer_d() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    sent_invite = request(uri="sip:bob@127.0.0.1:5060;transport=udp")
    tid = layer.send_request(sent_invite, PEER, clock.now())
    drain_sends(layer)
    busy = answer(sent_invite, 486)
    clock.set(1.0)
    layer.receive(busy, FROM_PEER, clock.now())
    assert drain_events(layer) == [ResponseReceived(tid, busy)]
    [ack_out] = drain_sends(layer)
    ack = wire(ack_out.data)
    assert isinstance(ack, Request) and ack.method == "ACK"
    assert ack_out.destination == PEER
    assert str(ack.uri) == str(sent_invite.uri)
    assert ack.top_via.branch == sent_invite.top_via.branch  # same transaction
    assert len(ack.vias) == 1
    assert ack.cseq.seq == sent_invite.cseq.seq and ack.cseq.method == "ACK"
    assert ack.to.tag == "totag" and ack.from_.tag == "ftag"
    # the 486 is retransmitted: the ACK is sent again, the TU hears nothing
    layer.receive(answer(sent_invite, 486), FROM_PEER, 2.0)
    assert [o.data for o in drain_sends(layer)] == [ack_out.data]
    assert drain_events(layer) == []
    assert run_timers(layer, clock, 100) == []
    assert clock.now() == 33.0  # timer D: 32 s after the final response
    assert drain_events(layer) == [TransactionTerminated(tid)]
    assert_empty(layer)


def test_timer_d_is_zero_over_tcp() -> None:
    layer = TransactionLayer()
    sent_invite = request(transport="TCP")
    tid = layer.send_request(sent_invite, PEER_TCP, 0)
    drain_sends(layer)
    layer.receive(answer(sent_invite, 603), FROM_PEER_TCP, 1)
    assert len(drain_sends(layer)) == 1  # the ACK
    assert drain_events(layer)[-1] == TransactionTerminated(tid)
    assert_empty(layer)


def test_a_branch_is_added_when_the_tu_gave_none() -> None:
    branches = iter(["z9hG4bKfixed1"])
    layer = TransactionLayer(branch_factory=lambda: next(branches))
    layer.send_request(request(branch=None), PEER, 0)
    [out] = drain_sends(layer)
    assert wire(out.data).top_via.branch == "z9hG4bKfixed1"


def test_send_request_refuses_ack_and_duplicate_branches() -> None:
    layer = TransactionLayer()
    with pytest.raises(TransactionError):
        layer.send_request(request("ACK"), PEER, 0)
    layer.send_request(request("OPTIONS"), PEER, 0)
    with pytest.raises(TransactionError):
        layer.send_request(request("OPTIONS"), PEER, 0)


def test_responses_match_by_branch_and_cseq_method() -> None:
    layer = TransactionLayer()
    sent = request("OPTIONS", branch="z9hG4bKone")
    tid = layer.send_request(sent, PEER, 0)
    other = request("OPTIONS", branch="z9hG4bKtwo")
    layer.receive(answer(other, 200), FROM_PEER, 0.1)  # another branch: dropped
    wrong_method = answer(request("INFO", branch="z9hG4bKone"), 200)
    layer.receive(wrong_method, FROM_PEER, 0.1)  # same branch, other method: dropped
    assert drain_events(layer) == []
    assert layer.dropped == 2
    assert layer.state_of(tid) is State.TRYING


# -- non-INVITE client -----------------------------------------------------------------

def test_non_invite_client_backs_off_to_t2_and_times_out_by_timer_f() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    tid = layer.send_request(request("OPTIONS"), PEER, clock.now())
    drain_sends(layer)
    sent = run_timers(layer, clock, 100)
    times = [t for t, _ in sent]
    assert times[:5] == [0.5, 1.5, 3.5, 7.5, 11.5]  # 0.5, 1, 2, 4, then capped at T2=4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap == 4.0 for gap in gaps[3:])
    assert clock.now() == 32.0
    assert drain_events(layer) == [TransactionTimeout(tid), TransactionTerminated(tid)]
    assert_empty(layer)


def test_non_invite_client_in_proceeding_retransmits_every_t2() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    sent_request = request("REGISTER", uri="sip:127.0.0.1")
    tid = layer.send_request(sent_request, PEER, clock.now())
    drain_sends(layer)
    run_timers(layer, clock, 0.5)  # E fired once; next at 1.5
    layer.receive(answer(sent_request, 100), FROM_PEER, 0.6)
    assert layer.state_of(tid) is State.PROCEEDING
    sent = run_timers(layer, clock, 10)
    assert [t for t, _ in sent] == [1.5, 5.5, 9.5]


def test_non_invite_final_response_waits_timer_k_absorbing_retransmissions() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    sent_request = request("OPTIONS")
    tid = layer.send_request(sent_request, PEER, clock.now())
    drain_sends(layer)
    clock.set(0.2)
    ok = answer(sent_request, 200)
    layer.receive(ok, FROM_PEER, clock.now())
    assert drain_events(layer) == [ResponseReceived(tid, ok)]
    layer.receive(answer(sent_request, 200), FROM_PEER, 1.0)
    assert drain_events(layer) == []
    assert run_timers(layer, clock, 100) == []
    assert clock.now() == pytest.approx(5.2)  # timer K = T4 after the response
    assert drain_events(layer) == [TransactionTerminated(tid)]
    assert_empty(layer)


def test_timer_k_is_zero_over_tcp() -> None:
    layer = TransactionLayer()
    sent_request = request("OPTIONS", transport="TCP")
    tid = layer.send_request(sent_request, PEER_TCP, 0)
    layer.receive(answer(sent_request, 404), FROM_PEER_TCP, 0.1)
    assert drain_events(layer)[-1] == TransactionTerminated(tid)
    assert_empty(layer)


# -- INVITE server ---------------------------------------------------------------------

def test_invite_server_sends_100_trying_after_200_ms_without_an_answer() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    invite = request()
    layer.receive(invite, FROM_PEER, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived) and received.source == FROM_PEER
    sent = run_timers(layer, clock, 0.2)
    assert [t for t, _ in sent] == [0.2]
    trying = wire(sent[0][1].data)
    assert isinstance(trying, Response) and trying.status == 100
    assert trying.to.tag is None
    assert sent[0][1].destination == Destination("udp", "127.0.0.1", 5080)
    # a retransmitted INVITE re-sends the last provisional
    layer.receive(request(), FROM_PEER, 0.5)
    assert [o.data for o in drain_sends(layer)] == [sent[0][1].data]
    assert drain_events(layer) == []


def test_invite_server_answered_quickly_sends_no_100() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    invite = request()
    layer.receive(invite, FROM_PEER, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    clock.set(0.1)
    ringing = make_response(received.request, 180, to_tag="srv")
    layer.respond(received.tid, ringing, clock.now())
    assert [wire(o.data).status for o in drain_sends(layer)] == [180]  # type: ignore[union-attr]
    assert run_timers(layer, clock, 10) == []
    layer.receive(request(), FROM_PEER, 11)
    assert [o.data for o in drain_sends(layer)] == [bytes(ringing)]


def test_invite_server_2xx_is_retransmitted_until_the_ack_which_goes_to_the_tu() -> None:
    """RFC 6026 Accepted: the 2xx is re-sent (T1 doubling to T2) until its ACK, the ACK
    reaches the TU, retransmitted INVITEs are absorbed, and L ends it 64*T1 later."""
    layer, clock = TransactionLayer(), ManualClock()
    layer.receive(request(), FROM_PEER, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    clock.set(0.1)
    ok = make_response(received.request, 200, to_tag="srv")
    layer.respond(received.tid, ok, clock.now())
    assert [o.data for o in drain_sends(layer)] == [bytes(ok)]
    assert layer.state_of(received.tid) is State.ACCEPTED
    sent = run_timers(layer, clock, 4)
    assert [round(t, 6) for t, _ in sent] == [0.6, 1.6, 3.6]
    assert all(o.data == bytes(ok) for _, o in sent)
    layer.receive(request(), FROM_PEER, 4)  # a retransmitted INVITE: not a new call
    assert drain_events(layer) == [] and drain_sends(layer) == []
    clock.set(4.0)
    ack = request("ACK", branch="z9hG4bKnewbranch", to_tag="srv")
    layer.receive(ack, FROM_PEER, clock.now())
    assert drain_events(layer) == [AckReceived(ack, FROM_PEER)]
    assert run_timers(layer, clock, 100) == []  # no more 2xx once acknowledged
    assert clock.now() == pytest.approx(32.1)  # timer L = 64*T1 after the 2xx
    assert drain_events(layer) == [TransactionTerminated(received.tid)]
    assert_empty(layer)
    with pytest.raises(TransactionError):
        layer.respond(received.tid, make_response(received.request, 200), 40)


def test_invite_server_2xx_never_acknowledged_times_out_for_the_tu() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    layer.receive(request(), FROM_PEER, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    layer.respond(received.tid, make_response(received.request, 200, to_tag="srv"), 0)
    drain_sends(layer)
    sent = run_timers(layer, clock, 100)
    assert [t for t, _ in sent][:5] == [0.5, 1.5, 3.5, 7.5, 11.5]
    assert drain_events(layer) == [TransactionTimeout(received.tid),
                                   TransactionTerminated(received.tid)]
    assert_empty(layer)


def test_ack_for_2xx_with_another_to_tag_does_not_stop_the_retransmissions() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    layer.receive(request(), FROM_PEER, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    layer.respond(received.tid, make_response(received.request, 200, to_tag="srv"), 0)
    drain_sends(layer)
    stranger = request("ACK", branch="z9hG4bKstranger", to_tag="other")
    layer.receive(stranger, FROM_PEER, 0.1)
    assert drain_events(layer) == [AckReceived(stranger, FROM_PEER)]
    assert len(run_timers(layer, clock, 0.5)) == 1
    assert layer.state_of(received.tid) is State.ACCEPTED


def test_a_later_request_in_the_dialog_stops_the_2xx_like_an_ack() -> None:
    """The ACK was lost but the BYE came: the peer has the 2xx, stop re-sending it."""
    layer, clock = TransactionLayer(), ManualClock()
    layer.receive(request(), FROM_PEER, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    layer.respond(received.tid, make_response(received.request, 200, to_tag="srv"), 0)
    drain_sends(layer)
    other_dialog = request("BYE", branch="z9hG4bKother", cseq=2, to_tag="not-ours")
    layer.receive(other_dialog, FROM_PEER, 0.1)
    assert layer.state_of(received.tid) is State.ACCEPTED
    bye = request("BYE", branch="z9hG4bKbye", cseq=2, to_tag="srv")
    layer.receive(bye, FROM_PEER, 0.2)
    assert layer.state_of(received.tid) is State.CONFIRMED
    events = drain_events(layer)
    assert [type(e) for e in events] == [RequestReceived, RequestReceived]
    for event in events:
        assert isinstance(event, RequestReceived)
        layer.respond(event.tid, make_response(event.request, 200), 0.3)
    drain_sends(layer)
    assert run_timers(layer, clock, 100) == []  # no 2xx re-sent, no timeout reported
    assert TransactionTimeout(received.tid) not in drain_events(layer)
    assert_empty(layer)


def test_invite_server_over_tcp_sends_the_2xx_once() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    layer.receive(request(transport="TCP"), FROM_PEER_TCP, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    layer.respond(received.tid, make_response(received.request, 200, to_tag="s"), 0)
    assert len(drain_sends(layer)) == 1
    layer.receive(request("ACK", transport="TCP", branch="z9hG4bKack", to_tag="s"),
                  FROM_PEER_TCP, 0.1)
    assert run_timers(layer, clock, 100) == []
    assert_empty(layer)


def test_lost_connection_fails_the_client_transactions_on_it() -> None:
    layer = TransactionLayer()
    on_it = layer.send_request(request("OPTIONS", transport="TCP", branch="z9hG4bK1"),
                               PEER_TCP, 0)
    elsewhere = layer.send_request(
        request("OPTIONS", transport="TCP", branch="z9hG4bK2"),
        Destination("tcp", "127.0.0.1", 5090, connection=8), 0)
    layer.receive(request("INVITE", transport="TCP", branch="z9hG4bK3"), FROM_PEER_TCP, 0)
    drain_events(layer)
    layer.connection_lost(7, 1)
    assert drain_events(layer) == [TransactionTimeout(on_it), TransactionTerminated(on_it)]
    assert layer.state_of(elsewhere) is State.TRYING
    assert layer.counts()[Kind.INVITE_SERVER] == 1


def test_invite_server_non_2xx_retransmits_by_g_until_the_ack_then_waits_i() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    layer.receive(request(), FROM_PEER, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    busy = make_response(received.request, 486, to_tag="srv")
    layer.respond(received.tid, busy, clock.now())
    assert [o.data for o in drain_sends(layer)] == [bytes(busy)]
    sent = run_timers(layer, clock, 12)
    assert [t for t, _ in sent] == [0.5, 1.5, 3.5, 7.5, 11.5]  # G doubles to T2
    assert all(o.data == bytes(busy) for _, o in sent)
    layer.receive(request(), FROM_PEER, 12)  # a retransmitted INVITE re-sends the 486
    assert [o.data for o in drain_sends(layer)] == [bytes(busy)]
    clock.set(12.5)
    ack = request("ACK", to_tag="srv")
    layer.receive(ack, FROM_PEER, clock.now())
    assert layer.state_of(received.tid) is State.CONFIRMED
    layer.receive(request("ACK", to_tag="srv"), FROM_PEER, 13)  # absorbed again
    assert drain_events(layer) == []  # the ACK for a non-2xx never reaches the TU
    assert run_timers(layer, clock, 100) == []
    assert clock.now() == 17.5  # timer I = T4
    assert drain_events(layer) == [TransactionTerminated(received.tid)]
    assert_empty(layer)


def test_invite_server_timer_h_gives_up_without_ack() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    layer.receive(request(), FROM_PEER, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    layer.respond(received.tid, make_response(received.request, 404, to_tag="s"), 0)
    run_timers(layer, clock, 100)
    assert clock.now() == 32.0
    assert drain_events(layer) == [TransactionTimeout(received.tid),
                                   TransactionTerminated(received.tid)]
    assert_empty(layer)


def test_invite_server_over_tcp_has_no_g_and_zero_i() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    layer.receive(request(transport="TCP"), FROM_PEER_TCP, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    layer.respond(received.tid, make_response(received.request, 480, to_tag="s"), 0)
    [out] = drain_sends(layer)
    assert out.destination == Destination("tcp", "127.0.0.1", 5080, connection=7)
    assert layer.get_timer() == 32.0  # only H runs
    layer.receive(request("ACK", transport="TCP", to_tag="s"), FROM_PEER_TCP, 1)
    assert drain_events(layer) == [TransactionTerminated(received.tid)]
    assert_empty(layer)


def test_the_tu_cannot_answer_twice() -> None:
    layer = TransactionLayer()
    layer.receive(request(), FROM_PEER, 0)
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    busy = make_response(received.request, 486, to_tag="s")
    layer.respond(received.tid, busy, 0)
    drain_sends(layer)
    with pytest.raises(TransactionError, match="completed"):
        layer.respond(received.tid, make_response(received.request, 200, to_tag="s"), 0.1)
    layer.receive(request(), FROM_PEER, 0.2)
    assert [o.data for o in drain_sends(layer)] == [bytes(busy)]  # still the 486


def test_respond_on_a_client_transaction_is_refused() -> None:
    layer = TransactionLayer()
    sent = request("OPTIONS")
    tid = layer.send_request(sent, PEER, 0)
    with pytest.raises(TransactionError, match="client"):
        layer.respond(tid, make_response(sent, 200), 0)
    with pytest.raises(TransactionError):
        layer.cancel(tid, 0)


# -- non-INVITE server -----------------------------------------------------------------

def test_non_invite_server_absorbs_until_answered_then_resends_until_timer_j() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    layer.receive(request("OPTIONS"), FROM_PEER, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    layer.receive(request("OPTIONS"), FROM_PEER, 0.5)  # in Trying: nothing to re-send
    assert drain_sends(layer) == [] and drain_events(layer) == []
    clock.set(1)
    ok = make_response(received.request, 200, to_tag="s")
    layer.respond(received.tid, ok, clock.now())
    assert [o.data for o in drain_sends(layer)] == [bytes(ok)]
    layer.receive(request("OPTIONS"), FROM_PEER, 2)
    assert [o.data for o in drain_sends(layer)] == [bytes(ok)]
    assert drain_events(layer) == []
    run_timers(layer, clock, 100)
    assert clock.now() == 33.0  # J = 64*T1
    assert drain_events(layer) == [TransactionTerminated(received.tid)]
    assert_empty(layer)


def test_non_invite_server_provisional_is_resent_on_retransmission() -> None:
    layer = TransactionLayer()
    layer.receive(request("SUBSCRIBE"), FROM_PEER, 0)
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    trying = make_response(received.request, 100)
    layer.respond(received.tid, trying, 0.1)
    drain_sends(layer)
    layer.receive(request("SUBSCRIBE"), FROM_PEER, 0.6)
    assert [o.data for o in drain_sends(layer)] == [bytes(trying)]


def test_non_invite_server_over_tcp_ends_when_answered() -> None:
    layer = TransactionLayer()
    layer.receive(request("BYE", transport="TCP", to_tag="t"), FROM_PEER_TCP, 0)
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    layer.respond(received.tid, make_response(received.request, 200), 0)
    assert drain_events(layer) == [TransactionTerminated(received.tid)]
    assert_empty(layer)


def test_non_invite_server_the_tu_never_answers_ends_after_64_t1() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    layer.receive(request("OPTIONS"), FROM_PEER, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    run_timers(layer, clock, 100)
    assert clock.now() == 32.0
    assert drain_events(layer) == [TransactionTimeout(received.tid),
                                   TransactionTerminated(received.tid)]
    assert_empty(layer)


# -- CANCEL ----------------------------------------------------------------------------

def test_cancel_received_is_answered_200_and_the_tu_answers_the_invite_487() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    layer.receive(request(), FROM_PEER, clock.now())
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    layer.respond(received.tid, make_response(received.request, 180, to_tag="srv"), 0.1)
    drain_sends(layer)
    cancel = request("CANCEL")
    layer.receive(cancel, FROM_PEER, 1)
    [ok] = [wire(o.data) for o in drain_sends(layer)]
    assert isinstance(ok, Response) and ok.status == 200 and ok.cseq.method == "CANCEL"
    assert ok.to.tag == "srv"
    assert drain_events(layer) == [CancelReceived(received.tid, cancel)]
    # a retransmitted CANCEL gets the same 200 and is not reported again
    layer.receive(request("CANCEL"), FROM_PEER, 1.5)
    assert [wire(o.data) for o in drain_sends(layer)] == [ok]
    assert drain_events(layer) == []
    layer.respond(received.tid, make_response(received.request, 487, to_tag="srv"), 1.6)
    layer.receive(request("ACK", to_tag="srv"), FROM_PEER, 1.7)
    run_timers(layer, clock, 100)
    assert drain_events(layer) == [TransactionTerminated(received.tid)]
    assert_empty(layer)


def test_cancel_without_a_matching_invite_gets_481() -> None:
    layer = TransactionLayer()
    layer.receive(request("CANCEL", branch="z9hG4bKnothing"), FROM_PEER, 0)
    [out] = [wire(o.data) for o in drain_sends(layer)]
    assert isinstance(out, Response) and out.status == 481
    assert drain_events(layer) == []


def test_cancel_after_the_final_response_gets_200_but_no_event() -> None:
    layer = TransactionLayer()
    layer.receive(request(), FROM_PEER, 0)
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    layer.respond(received.tid, make_response(received.request, 486, to_tag="s"), 0)
    drain_sends(layer)
    layer.receive(request("CANCEL"), FROM_PEER, 0.1)
    assert [wire(o.data).status for o in drain_sends(layer)] == [200]  # type: ignore[union-attr]
    assert drain_events(layer) == []


def test_cancel_sent_by_the_client_waits_for_a_provisional() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    sent_invite = request(branch="z9hG4bKinv")
    tid = layer.send_request(sent_invite, PEER, clock.now())
    drain_sends(layer)
    layer.cancel(tid, 0.1)
    assert drain_sends(layer) == []  # §9.1: not before a provisional response
    layer.receive(answer(sent_invite, 180), FROM_PEER, 0.3)
    [cancel_out] = drain_sends(layer)
    cancel = wire(cancel_out.data)
    assert isinstance(cancel, Request) and cancel.method == "CANCEL"
    assert cancel.top_via.branch == "z9hG4bKinv" and len(cancel.vias) == 1
    assert cancel.cseq.seq == sent_invite.cseq.seq and cancel.cseq.method == "CANCEL"
    assert str(cancel.uri) == str(sent_invite.uri) and cancel.to.tag is None
    assert cancel_out.destination == PEER
    layer.cancel(tid, 0.4)  # asking twice sends one CANCEL
    assert drain_sends(layer) == []
    layer.receive(answer(cancel, 200), FROM_PEER, 0.5)
    terminated = answer(sent_invite, 487)
    layer.receive(terminated, FROM_PEER, 0.6)
    events = drain_events(layer)
    assert ResponseReceived(tid, terminated) in events
    assert len(drain_sends(layer)) == 1  # the ACK for the 487
    run_timers(layer, clock, 100)
    assert drain_events(layer)[-1] == TransactionTerminated(tid)
    assert_empty(layer)


def test_cancel_retransmits_and_the_invite_ends_64_t1_later_without_answer() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    sent_invite = request()
    tid = layer.send_request(sent_invite, PEER, clock.now())
    layer.receive(answer(sent_invite, 183), FROM_PEER, 0.1)
    drain_sends(layer)
    drain_events(layer)
    clock.set(1)
    layer.cancel(tid, clock.now())
    assert [wire(o.data).method for o in drain_sends(layer)] == ["CANCEL"]  # type: ignore[union-attr]
    sent = run_timers(layer, clock, 100)
    assert [t for t, _ in sent][:3] == [1.5, 2.5, 4.5]  # the CANCEL's own timer E
    assert clock.now() == 33.0
    events = drain_events(layer)
    assert events[-2:] == [TransactionTimeout(tid), TransactionTerminated(tid)]
    assert_empty(layer)


def test_cancel_is_not_sent_when_a_final_response_comes_first() -> None:
    layer, clock = TransactionLayer(), ManualClock()
    sent_invite = request()
    tid = layer.send_request(sent_invite, PEER, clock.now())
    layer.cancel(tid, 0.1)
    layer.receive(answer(sent_invite, 200), FROM_PEER, 0.2)
    assert [wire(o.data).method for o in drain_sends(layer)] == ["INVITE"]  # type: ignore[union-attr]
    layer.cancel(tid, 0.3)  # gone: nothing to cancel, nothing raised
    assert_empty(layer)


def test_counts_by_kind() -> None:
    layer = TransactionLayer()
    layer.send_request(request("INVITE", branch="z9hG4bKa"), PEER, 0)
    layer.send_request(request("OPTIONS", branch="z9hG4bKb"), PEER, 0)
    layer.receive(request("INVITE", branch="z9hG4bKc"), FROM_PEER, 0)
    layer.receive(request("BYE", branch="z9hG4bKd"), FROM_PEER, 0)
    layer.receive(request("MESSAGE", branch="z9hG4bKe"), FROM_PEER, 0)
    assert layer.counts() == {Kind.INVITE_CLIENT: 1, Kind.NON_INVITE_CLIENT: 1,
                              Kind.INVITE_SERVER: 1, Kind.NON_INVITE_SERVER: 2}


def test_bad_input_gets_a_protocol_error_or_a_transaction_error() -> None:
    layer = TransactionLayer()
    no_via = Request("OPTIONS", request().uri, Headers([("Call-ID", "x"), ("CSeq", "1 OPTIONS")]))
    with pytest.raises(ProtocolError):
        layer.receive(no_via, FROM_PEER, 0)
    with pytest.raises(TransactionError):
        layer.send_request(no_via, PEER, 0)
    mismatched = request("OPTIONS")
    mismatched.method = "INFO"
    with pytest.raises(TransactionError, match="CSeq"):
        layer.send_request(mismatched, PEER, 0)
    layer.receive(request("OPTIONS"), FROM_PEER, 0)
    [received] = drain_events(layer)
    assert isinstance(received, RequestReceived)
    with pytest.raises(TransactionError, match="range"):
        layer.respond(received.tid, Response(700, "Nope", received.request.headers.copy()), 0)
    with pytest.raises(TransactionError, match="no transaction"):
        layer.respond(999, make_response(received.request, 200), 0)
    assert len(layer) == 1  # the failed calls changed nothing
