"""Random event sequences through every kind of transaction: the layer never raises
anything but TransactionError (for a TU asking the impossible), and once the TU and the
peer have said their last word every transaction ends when its timers run out."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.sip.message import Request, Response, make_response
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import Destination, Source
from softswitch.sip.transaction import State, TransactionError, TransactionLayer
from softswitch.sip.transaction_events import (
    RequestReceived,
    TransactionTerminated,
    TransactionTimeout,
)

STATUSES = st.sampled_from([100, 180, 183, 200, 202, 302, 404, 486, 487, 500, 603])
TRANSPORTS = st.sampled_from(["udp", "tcp"])


def request(method: str, transport: str, to_tag: str | None = None) -> Request:
    to = "<sip:bob@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    text = (
        f"{method} sip:bob@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport.upper()} 127.0.0.1:5080;branch=z9hG4bKfuzz\r\n"
        f"From: <sip:alice@127.0.0.1>;tag=f\r\nTo: {to}\r\n"
        f"Call-ID: fuzz\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    )
    message = parse_message(text.encode())
    assert isinstance(message, Request)
    return message


def response(to: Request, status: int) -> Response:
    return make_response(to, status, to_tag=None if status == 100 else "t")


def settle(layer: TransactionLayer, now: float) -> float:
    """Run every timer to the end; returns the final time."""
    for _ in range(10_000):
        when = layer.get_timer()
        if when is None:
            return now
        now = max(now, when)
        layer.handle_timer(now)
    raise AssertionError("timers never stopped")


def finish(layer: TransactionLayer, tids: set[int], terminated: list[int],
           timeouts: list[int]) -> None:
    while (event := layer.next_event()) is not None:
        if isinstance(event, TransactionTerminated):
            terminated.append(event.tid)
        elif isinstance(event, TransactionTimeout):
            timeouts.append(event.tid)
    assert len(layer) == 0
    assert layer.get_timer() is None
    assert sorted(terminated) == sorted(tids)  # each exactly once
    assert all(tid in tids for tid in timeouts)


CLIENT_STEP = st.one_of(
    st.tuples(st.just("response"), STATUSES),
    st.tuples(st.just("wait"), st.floats(0, 40)),
    st.tuples(st.just("cancel"), st.none()),
    st.tuples(st.just("cancel_response"), STATUSES),
)


@settings(max_examples=300, deadline=None)
@given(method=st.sampled_from(["INVITE", "OPTIONS"]), transport=TRANSPORTS,
       steps=st.lists(CLIENT_STEP, max_size=20), last_status=STATUSES)
def test_client_transactions_always_end(method: str, transport: str,
                                        steps: list[tuple[str, object]],
                                        last_status: int) -> None:
    layer, now = TransactionLayer(), 0.0
    sent = request(method, transport)
    tid = layer.send_request(sent, Destination(transport, "127.0.0.1", 5080, 1), now)
    source = Source(transport, "127.0.0.1", 5080, 1)
    for kind, value in steps:
        if kind == "response":
            assert isinstance(value, int)
            layer.receive(response(sent, value), source, now)
        elif kind == "wait":
            assert isinstance(value, float)
            now += value
            layer.handle_timer(now)
        elif kind == "cancel":
            if method == "INVITE" or layer.state_of(tid) is State.TERMINATED:
                layer.cancel(tid, now)  # a gone transaction has nothing left to cancel
            else:
                with pytest.raises(TransactionError):
                    layer.cancel(tid, now)
        else:
            assert isinstance(value, int)
            layer.receive(response(request("CANCEL", transport), max(value, 200)), source, now)
    layer.receive(response(sent, max(last_status, 200)), source, now)
    settle(layer, now)
    finish(layer, {tid}, [], [])


SERVER_STEP = st.one_of(
    st.tuples(st.just("answer"), STATUSES),
    st.tuples(st.just("retransmit"), st.none()),
    st.tuples(st.just("ack"), st.none()),
    st.tuples(st.just("cancel"), st.none()),
    st.tuples(st.just("wait"), st.floats(0, 40)),
)


@settings(max_examples=300, deadline=None)
@given(method=st.sampled_from(["INVITE", "BYE"]), transport=TRANSPORTS,
       steps=st.lists(SERVER_STEP, max_size=20), last_status=STATUSES)
def test_server_transactions_always_end(method: str, transport: str,
                                        steps: list[tuple[str, object]],
                                        last_status: int) -> None:
    layer, now = TransactionLayer(), 0.0
    source = Source(transport, "127.0.0.1", 5080, 1)
    layer.receive(request(method, transport), source, now)
    first = layer.next_event()
    assert isinstance(first, RequestReceived)
    tids = {first.tid}
    for kind, value in steps:
        if kind == "answer":
            assert isinstance(value, int)
            try:
                layer.respond(first.tid, response(first.request, value), now)
            except TransactionError:
                pass
        elif kind == "retransmit":
            layer.receive(request(method, transport), source, now)
        elif kind == "ack":
            layer.receive(request("ACK", transport, to_tag="t"), source, now)
        elif kind == "cancel":
            layer.receive(request("CANCEL", transport), source, now)
        else:
            assert isinstance(value, float)
            now += value
            layer.handle_timer(now)
    try:
        layer.respond(first.tid, response(first.request, max(last_status, 200)), now)
    except TransactionError:
        pass
    settle(layer, now)
    terminated: list[int] = []
    timeouts: list[int] = []
    while (event := layer.next_event()) is not None:
        if isinstance(event, RequestReceived):
            tids.add(event.tid)  # a retransmission after the end is a new transaction
        elif isinstance(event, TransactionTerminated):
            terminated.append(event.tid)
        elif isinstance(event, TransactionTimeout):
            timeouts.append(event.tid)
    # transactions opened by late retransmissions are answered and must end too
    for tid in tids - {first.tid} - set(terminated):
        try:
            layer.respond(tid, response(first.request, 500), now)
        except TransactionError:
            pass
    settle(layer, now)
    finish(layer, tids, terminated, timeouts)
