"""parse_message and StreamParser: framing, validation and the status of each error."""

from __future__ import annotations

import pytest

from softswitch.errors import ProtocolError
from softswitch.sip.message import Request, Response
from softswitch.sip.parser import StreamParser, parse_message

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\n"
)

OK = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)


def test_request_parses_into_typed_fields() -> None:
    msg = parse_message(INVITE)
    assert isinstance(msg, Request)
    assert msg.method == "INVITE"
    assert str(msg.uri) == "sip:bob@biloxi.example.com"
    assert msg.top_via.branch == "z9hG4bK776asdhds"
    assert msg.from_.tag == "1928301774"
    assert msg.to.tag is None
    assert msg.cseq.seq == 314159 and msg.cseq.method == "INVITE"
    assert msg.call_id == "a84b4c76e66710@pc33.atlanta.example.com"
    assert msg.max_forwards == 70
    assert msg.body == b"v=0\n"


def test_response_parses() -> None:
    msg = parse_message(OK)
    assert isinstance(msg, Response)
    assert (msg.status, msg.reason) == (200, "OK")
    assert msg.to.tag == "a6c85cf"


def test_serialization_round_trips_byte_exact() -> None:
    assert bytes(parse_message(INVITE)) == INVITE
    assert bytes(parse_message(OK)) == OK


def test_udp_body_longer_than_content_length_is_truncated() -> None:
    assert parse_message(INVITE + b"garbage").body == b"v=0\n"


def test_udp_body_shorter_than_content_length_is_400_with_partial() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_message(INVITE[:-2])
    assert info.value.status == 400
    assert isinstance(info.value.partial, Request)
    assert info.value.partial.call_id == "a84b4c76e66710@pc33.atlanta.example.com"


def test_stream_frames_by_content_length_and_skips_keepalives() -> None:
    parser = StreamParser()
    assert parser.feed(b"\r\n\r\n" + INVITE[:30]) == []
    assert parser.keepalives == 1
    msgs = parser.feed(INVITE[30:] + OK)
    assert [type(m) for m in msgs] == [Request, Response]
    assert parser.buffered == 0


def test_fields_validated_by_the_parser_are_read_from_its_cache_until_headers_change() -> None:
    msg = parse_message(INVITE)
    assert msg.from_ is msg.from_ and msg.top_via is msg.vias[0] and msg.cseq is msg.cseq
    assert msg.contacts[0].uri == parse_message(INVITE).contacts[0].uri
    msg.headers.set("Call-ID", "other@host")
    msg.headers.set("From", "<sip:carol@example.com>;tag=2")
    assert msg.call_id == "other@host" and msg.from_.tag == "2"


def test_request_without_contact_has_none_cached() -> None:
    msg = parse_message(INVITE.replace(b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n", b""))
    assert msg.contacts == [] and not msg.contact_is_wildcard


@pytest.mark.parametrize("contact", [b"<sip:alice@h:99999>", b"<sip:alice@h>;;", b"<sip:a@[zz]>",
                                     b"<sip:a@h>, <sip:b@h:0x>", b"*, <sip:a@h>"])
def test_a_bad_contact_is_refused_at_parse_time(contact: bytes) -> None:
    data = INVITE.replace(b"<sip:alice@pc33.atlanta.example.com>", contact)
    with pytest.raises(ProtocolError) as info:
        parse_message(data)
    assert info.value.status == 400


def test_a_usual_contact_is_checked_at_parse_time_and_read_later() -> None:
    data = INVITE.replace(b"<sip:alice@pc33.atlanta.example.com>",
                          b'"Alice" <sip:alice@192.0.2.4:5070;transport=tcp>;expires=60')
    contact = parse_message(data).contacts[0]
    assert (contact.display, contact.params) == ("Alice", {"expires": "60"})
    assert str(contact.uri) == "sip:alice@192.0.2.4:5070;transport=tcp"
