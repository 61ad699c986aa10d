"""Matching requests and responses to transactions (RFC 3261 §17.1.3, §17.2.3, §9.2)."""

from __future__ import annotations

from softswitch.sip.message import Request, Response, make_response
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import Source
from softswitch.sip.transaction import TransactionLayer
from softswitch.sip.transaction_events import (
    AckReceived,
    CancelReceived,
    RequestReceived,
    TransactionTerminated,
)
from softswitch.sip.transaction_matching import (
    client_key,
    is_rfc3261_branch,
    new_branch,
    server_key,
)

SOURCE = Source("udp", "127.0.0.1", 5080)


def request(method: str, *, branch: str | None, via_host: str = "127.0.0.1:5080",
            cseq: int = 1, to_tag: str | None = None, uri: str = "sip:bob@127.0.0.1",
            from_tag: str = "ftag", call_id: str = "m1") -> Request:
    branch_param = f";branch={branch}" if branch else ""
    to = "<sip:bob@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    text = (
        f"{method} {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {via_host}{branch_param}\r\n"
        f"From: <sip:alice@127.0.0.1>;tag={from_tag}\r\nTo: {to}\r\n"
        f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
    )
    message = parse_message(text.encode())
    assert isinstance(message, Request)
    return message


def events(layer: TransactionLayer) -> list[object]:
    out = []
    while (event := layer.next_event()) is not None:
        out.append(event)
    return out


def sends(layer: TransactionLayer) -> list[bytes]:
    out = []
    while (item := layer.next_send()) is not None:
        out.append(item.data)
    return out


def test_new_branches_carry_the_magic_cookie_and_differ() -> None:
    branches = {new_branch() for _ in range(100)}
    assert len(branches) == 100
    assert all(is_rfc3261_branch(b) for b in branches)
    assert not is_rfc3261_branch("1234") and not is_rfc3261_branch(None)
    assert not is_rfc3261_branch("z9hG4bK")


def test_ack_is_keyed_as_its_invite_and_cancel_separately() -> None:
    invite = request("INVITE", branch="z9hG4bKx")
    ack = request("ACK", branch="z9hG4bKx")
    cancel = request("CANCEL", branch="z9hG4bKx")
    assert server_key(ack) == server_key(invite)
    assert server_key(cancel) != server_key(invite)
    assert server_key(cancel, "INVITE") == server_key(invite)


def test_same_branch_from_another_sent_by_is_another_transaction() -> None:
    layer = TransactionLayer()
    layer.receive(request("OPTIONS", branch="z9hG4bKsame"), SOURCE, 0)
    layer.receive(request("OPTIONS", branch="z9hG4bKsame", via_host="127.0.0.1:5090"),
                  Source("udp", "127.0.0.1", 5090), 0)
    received = [e for e in events(layer) if isinstance(e, RequestReceived)]
    assert len(received) == 2 and received[0].tid != received[1].tid


def test_same_branch_other_method_is_another_transaction() -> None:
    layer = TransactionLayer()
    layer.receive(request("OPTIONS", branch="z9hG4bKsame"), SOURCE, 0)
    layer.receive(request("INFO", branch="z9hG4bKsame"), SOURCE, 0)
    assert len([e for e in events(layer) if isinstance(e, RequestReceived)]) == 2


def test_client_key_is_branch_and_cseq_method() -> None:
    sent = request("INVITE", branch="z9hG4bKc")
    response = make_response(sent, 180)
    assert client_key(response) == ("z9hG4bKc", "INVITE")
    assert client_key(request("INVITE", branch=None)) is None


def test_rfc2543_retransmission_matches_and_resends_the_response() -> None:
    layer = TransactionLayer()
    layer.receive(request("INVITE", branch=None), SOURCE, 0)
    [received] = events(layer)
    assert isinstance(received, RequestReceived)
    ringing = make_response(received.request, 180, to_tag="srv")
    layer.respond(received.tid, ringing, 0.05)
    assert sends(layer) == [bytes(ringing)]
    layer.receive(request("INVITE", branch=None), SOURCE, 0.5)
    assert sends(layer) == [bytes(ringing)]
    assert events(layer) == []
    # an old-style branch without the cookie is matched the RFC 2543 way too
    layer.receive(request("OPTIONS", branch="1234"), SOURCE, 0.6)
    layer.receive(request("OPTIONS", branch="1234"), SOURCE, 0.7)
    assert len([e for e in events(layer) if isinstance(e, RequestReceived)]) == 1


def test_rfc2543_differences_make_new_transactions() -> None:
    layer = TransactionLayer()
    layer.receive(request("INVITE", branch=None), SOURCE, 0)
    variants = [
        request("INVITE", branch=None, uri="sip:carol@127.0.0.1"),
        request("INVITE", branch=None, from_tag="other"),
        request("INVITE", branch=None, call_id="m2"),
        request("INVITE", branch=None, cseq=2),
        request("INVITE", branch=None, via_host="127.0.0.1:5099"),
    ]
    for variant in variants:
        layer.receive(variant, SOURCE, 0.1)
    received = [e for e in events(layer) if isinstance(e, RequestReceived)]
    assert len(received) == 1 + len(variants)


def test_rfc2543_ack_matches_by_the_to_tag_of_the_response() -> None:
    layer = TransactionLayer()
    layer.receive(request("INVITE", branch=None), SOURCE, 0)
    [received] = events(layer)
    assert isinstance(received, RequestReceived)
    layer.respond(received.tid, make_response(received.request, 404, to_tag="srv"), 0)
    sends(layer)
    wrong = request("ACK", branch=None, to_tag="someone-else")
    layer.receive(wrong, SOURCE, 0.1)
    assert events(layer) == [AckReceived(wrong, SOURCE)]
    layer.receive(request("ACK", branch=None, to_tag="srv"), SOURCE, 0.2)
    assert events(layer) == []
    assert layer.next_event() is None
    layer.handle_timer(100)
    assert events(layer) == [TransactionTerminated(received.tid)]
    assert len(layer) == 0


def test_rfc2543_cancel_finds_its_invite() -> None:
    layer = TransactionLayer()
    layer.receive(request("INVITE", branch=None), SOURCE, 0)
    [received] = events(layer)
    assert isinstance(received, RequestReceived)
    cancel = request("CANCEL", branch=None)
    layer.receive(cancel, SOURCE, 0.1)
    [ok] = [parse_message(data) for data in sends(layer)]
    assert isinstance(ok, Response) and ok.status == 200
    assert events(layer) == [CancelReceived(received.tid, cancel)]


def test_cancel_for_another_branch_gets_481_and_leaves_the_invite_alone() -> None:
    layer = TransactionLayer()
    layer.receive(request("INVITE", branch="z9hG4bKinv"), SOURCE, 0)
    events(layer)
    layer.receive(request("CANCEL", branch="z9hG4bKother"), SOURCE, 0.1)
    [answer] = [parse_message(data) for data in sends(layer)]
    assert isinstance(answer, Response) and answer.status == 481
    assert events(layer) == []
