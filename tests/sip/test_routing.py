"""Response routing (RFC 3261 §18.2, RFC 3581) and the rule: never send where a message
merely says to."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.sip.headers import parse_via
from softswitch.sip.message import Request, make_response
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import (
    Destination,
    Source,
    is_reliable,
    response_destination,
    stamp_request,
    stamped_via,
)
from softswitch.sip.transaction import TransactionLayer
from softswitch.sip.transaction_events import RequestReceived


def options(via: str) -> Request:
    text = (
        "OPTIONS sip:switch@127.0.0.1 SIP/2.0\r\n"
        f"Via: {via}\r\n"
        "Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKdeeper\r\n"
        "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:switch@127.0.0.1>\r\n"
        "Call-ID: r1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    message = parse_message(text.encode())
    assert isinstance(message, Request)
    return message


def test_received_is_added_when_sent_by_is_another_host() -> None:
    via = stamped_via(parse_via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1"),
                      Source("udp", "127.0.0.1", 40000))
    assert via.received == "127.0.0.1"
    assert via.rport is None and not via.has_rport


def test_received_is_not_added_for_the_same_host_and_a_forged_one_is_dropped() -> None:
    source = Source("udp", "127.0.0.1", 5062)
    via = stamped_via(parse_via("SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1"), source)
    assert "received" not in via.params
    forged = stamped_via(
        parse_via("SIP/2.0/UDP 127.0.0.1:5062;received=198.51.100.7;branch=z9hG4bK1"), source)
    assert "received" not in forged.params
    forged_foreign = stamped_via(
        parse_via("SIP/2.0/UDP 192.0.2.1;received=198.51.100.7;branch=z9hG4bK1"), source)
    assert forged_foreign.received == "127.0.0.1"


def test_empty_rport_is_filled_with_the_source_port_and_a_filled_one_kept() -> None:
    source = Source("udp", "127.0.0.1", 40000)
    via = stamped_via(parse_via("SIP/2.0/UDP 10.1.1.1:5060;rport;branch=z9hG4bK1"), source)
    assert via.rport == 40000 and via.received == "127.0.0.1"
    assert str(via).endswith(";received=127.0.0.1;rport=40000")
    already = stamped_via(parse_via("SIP/2.0/UDP 127.0.0.1:5060;rport=1234;branch=z9hG4bK1"),
                          source)
    assert already.rport == 1234


def test_stamp_request_rewrites_only_the_top_via_in_place() -> None:
    request = options("SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKtop")
    stamp_request(request, Source("udp", "127.0.0.1", 40000))
    vias = request.vias
    assert len(vias) == 2
    assert vias[0].received == "127.0.0.1" and vias[0].rport == 40000
    assert vias[0].branch == "z9hG4bKtop"
    assert vias[1].branch == "z9hG4bKdeeper" and "received" not in vias[1].params
    response = make_response(request, 200)  # the response echoes the stamped Via
    assert response.top_via.received == "127.0.0.1"


def test_stamp_request_with_two_vias_on_one_line() -> None:
    text = (
        "OPTIONS sip:switch@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa, SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKb\r\n"
        "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:switch@127.0.0.1>\r\n"
        "Call-ID: r2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    request = parse_message(text.encode())
    assert isinstance(request, Request)
    stamp_request(request, Source("udp", "127.0.0.1", 5999))
    assert [v.branch for v in request.vias] == ["z9hG4bKa", "z9hG4bKb"]
    assert request.vias[0].received == "127.0.0.1"


def test_foreign_sent_by_over_udp_is_answered_to_the_real_source() -> None:
    """A request naming 192.0.2.1:5060 that came from 127.0.0.1:40000 is answered there."""
    via = parse_via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1")
    source = Source("udp", "127.0.0.1", 40000)
    assert response_destination(via, source) == Destination("udp", "127.0.0.1", 40000)
    stamped = stamped_via(via, source)
    assert response_destination(stamped, source) == Destination("udp", "127.0.0.1", 40000)


def test_maddr_and_forged_received_never_redirect_a_response() -> None:
    via = parse_via(
        "SIP/2.0/UDP 192.0.2.1:5060;maddr=203.0.113.5;received=198.51.100.7;branch=z9hG4bK1")
    source = Source("udp", "127.0.0.1", 40000)
    assert response_destination(via, source) == Destination("udp", "127.0.0.1", 40000)


def test_rport_requested_answers_to_the_source_port() -> None:
    via = parse_via("SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bK1")
    source = Source("udp", "127.0.0.1", 40000)
    assert response_destination(via, source) == Destination("udp", "127.0.0.1", 40000)


def test_same_host_without_rport_answers_to_the_sent_by_port_or_5060() -> None:
    source = Source("udp", "127.0.0.1", 40000)
    with_port = parse_via("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1")
    assert response_destination(with_port, source) == Destination("udp", "127.0.0.1", 5070)
    without_port = parse_via("SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1")
    assert response_destination(without_port, source) == Destination("udp", "127.0.0.1", 5060)


def test_reliable_transport_answers_on_the_same_connection() -> None:
    via = parse_via("SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK1")
    source = Source("tcp", "127.0.0.1", 40000, connection=12)
    destination = response_destination(via, source)
    assert destination.connection == 12
    assert destination.host == "127.0.0.1"  # a reconnection goes to the source, not 192.0.2.1
    assert is_reliable("TCP") and not is_reliable("udp")


def test_the_layer_answers_a_foreign_via_to_the_source_address_and_port() -> None:
    layer = TransactionLayer()
    request = options("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKforeign")
    source = Source("udp", "127.0.0.1", 40000)
    layer.receive(request, source, 0)
    event = layer.next_event()
    assert isinstance(event, RequestReceived)
    assert event.request.top_via.received == "127.0.0.1"
    layer.respond(event.tid, make_response(event.request, 200), 0)
    out = layer.next_send()
    assert out is not None
    assert out.destination == Destination("udp", "127.0.0.1", 40000)
    assert b"received=127.0.0.1" in out.data


HOSTS = st.sampled_from(["192.0.2.1", "127.0.0.1", "phone.example.com", "10.0.0.7",
                         "[2001:db8::1]"])


@settings(max_examples=300, deadline=None)
@given(host=HOSTS, port=st.none() | st.integers(1, 65535), rport=st.booleans(),
       received=st.none() | HOSTS, maddr=st.none() | HOSTS,
       transport=st.sampled_from(["UDP", "TCP"]),
       source_host=st.sampled_from(["127.0.0.1", "10.0.0.7"]),
       source_port=st.integers(1024, 65535))
def test_a_response_only_ever_goes_to_the_source_address(
        host: str, port: int | None, rport: bool, received: str | None, maddr: str | None,
        transport: str, source_host: str, source_port: int) -> None:
    text = f"SIP/2.0/{transport} {host}" + (f":{port}" if port else "")
    if rport:
        text += ";rport"
    if received:
        text += f";received={received.strip('[]')}"
    if maddr:
        text += f";maddr={maddr}"
    via = parse_via(text + ";branch=z9hG4bKprop")
    source = Source(transport.lower(), source_host, source_port, 3 if transport == "TCP" else None)
    for candidate in (via, stamped_via(via, source)):
        destination = response_destination(candidate, source)
        assert destination.host == source_host
        if transport == "UDP" and (rport or host.strip("[]") != source_host):
            assert destination.port == source_port
        if transport == "TCP":
            assert destination.connection == 3
