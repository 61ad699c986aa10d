"""The header multimap, typed accessors, serialization and make_response."""

from __future__ import annotations

import pytest

from softswitch.errors import ProtocolError
from softswitch.sip.message import Headers, Request, make_response
from softswitch.sip.parser import parse_message
from softswitch.sip.uri import SipURI


def _headers() -> Headers:
    return Headers([
        ("v", "SIP/2.0/UDP a.example.com;branch=z9hG4bK1, "
              "SIP/2.0/TCP b.example.com;branch=z9hG4bK2"),
        ("Via", "SIP/2.0/UDP c.example.com;branch=z9hG4bK3"),
        ("From", '"Doe, John" <sip:john@example.com>;tag=1'),
        ("t", "<sip:jane@example.com>"),
        ("i", "abc@host"),
        ("CSeq", "7 INVITE"),
        ("Contact", '"A, B" <sip:a@h1>;q=0.5, <sip:b,c@h2;x=1>'),
        ("Date", "Sat, 13 Nov 2010 23:29:00 GMT"),
        ("WWW-Authenticate", 'Digest realm="r", nonce="n", qop="auth,auth-int"'),
        ("X-Custom", "keep  this ,verbatim"),
    ])


def test_names_match_case_insensitively_and_compact_forms_expand() -> None:
    h = _headers()
    assert h.get("VIA") == "SIP/2.0/UDP a.example.com;branch=z9hG4bK1"
    assert h.get("to") == h.get("T") == "<sip:jane@example.com>"
    assert h.get("call-id") == "abc@host"
    assert "CONTACT" in h and "m" in h and "Route" not in h
    assert h.get("route") is None


def test_get_all_splits_only_list_headers_respecting_quotes_and_brackets() -> None:
    h = _headers()
    assert len(h.get_all("via")) == 3
    assert h.get_all("contact") == ['"A, B" <sip:a@h1>;q=0.5', "<sip:b,c@h2;x=1>"]
    assert h.get_all("date") == ["Sat, 13 Nov 2010 23:29:00 GMT"]
    assert len(h.get_all("www-authenticate")) == 1
    assert h.get_all("x-custom") == ["keep  this ,verbatim"]
    assert h.lines("via")[0].count(",") == 1


def test_add_prepend_set_remove_keep_order_and_names() -> None:
    h = _headers()
    h.prepend("Via", "SIP/2.0/UDP proxy.example.com;branch=z9hG4bK0")
    assert h.items()[0] == ("Via", "SIP/2.0/UDP proxy.example.com;branch=z9hG4bK0")
    h.prepend("Route", "<sip:edge;lr>")  # absent: goes to the very top
    assert h.items()[0][0] == "Route"
    h.set("CSeq", "8 INVITE")
    assert h.get("cseq") == "8 INVITE" and h.count("cseq") == 1
    assert [n for n, _ in h.items()].index("CSeq") == 7  # where the old one was
    assert h.remove("via") == 3 and h.get("via") is None
    assert h.remove("via") == 0
    h.add("X-New", "1")
    assert h.items()[-1] == ("X-New", "1")


def test_remove_first_takes_one_element_of_a_combined_line() -> None:
    h = _headers()
    assert h.remove_first("via") == "SIP/2.0/UDP a.example.com;branch=z9hG4bK1"
    assert h.get_all("via")[0] == "SIP/2.0/TCP b.example.com;branch=z9hG4bK2"
    assert h.remove_first("via") == "SIP/2.0/TCP b.example.com;branch=z9hG4bK2"
    assert h.remove_first("via") == "SIP/2.0/UDP c.example.com;branch=z9hG4bK3"
    assert h.remove_first("via") is None


def test_typed_accessors_are_cached_until_headers_change() -> None:
    req = Request("INVITE", SipURI(host="example.com", user="jane"), _headers())
    first = req.vias
    assert req.vias is first
    assert [v.branch for v in first] == ["z9hG4bK1", "z9hG4bK2", "z9hG4bK3"]
    assert req.from_.display == "Doe, John" and req.from_.tag == "1"
    assert [str(c.uri) for c in req.contacts] == ["sip:a@h1", "sip:b,c@h2;x=1"]
    req.headers.remove_first("via")
    assert len(req.vias) == 2


def test_contact_wildcard_and_numeric_headers() -> None:
    req = Request("REGISTER", SipURI(host="example.com"),
                  Headers([("Contact", "*"), ("Expires", "0"), ("Max-Forwards", "70")]))
    assert req.contact_is_wildcard and req.contacts == []
    assert (req.expires, req.max_forwards) == (0, 70)
    req.headers.set("Max-Forwards", "256")
    with pytest.raises(ProtocolError):
        req.max_forwards  # noqa: B018
    req.headers.set("Contact", "*, <sip:a@b>")
    with pytest.raises(ProtocolError):
        req.contacts  # noqa: B018
    with pytest.raises(ProtocolError):
        Request("OPTIONS", SipURI(host="x")).call_id  # noqa: B018


def test_serialization_sets_content_length_once() -> None:
    req = Request("MESSAGE", SipURI(host="example.com"),
                  Headers([("l", "99"), ("Content-Length", "1")]), b"hello")
    data = bytes(req)
    assert data == b"MESSAGE sip:example.com SIP/2.0\r\nl: 5\r\n\r\nhello"
    req2 = Request("OPTIONS", SipURI(host="example.com"))
    assert bytes(req2).endswith(b"Content-Length: 0\r\n\r\n")


INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1\r\n"
    b"Record-Route: <sip:proxy.example.com;lr>\r\n"
    b"Max-Forwards: 69\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Timestamp: 54\r\n"
    b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def test_make_response_copies_what_rfc_3261_says() -> None:
    req = parse_message(INVITE)
    assert isinstance(req, Request)
    ringing = make_response(req, 180, to_tag="a6c85cf")
    assert ringing.reason == "Ringing"
    names = [n for n, _ in ringing.headers.items()]
    assert names == ["Via", "Via", "Record-Route", "To", "From", "Call-ID", "CSeq"]
    assert ringing.headers.lines("via") == req.headers.lines("via")  # verbatim, in order
    assert ringing.to.tag == "a6c85cf"
    assert ringing.headers.get("to") == "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf"
    trying = make_response(req, 100)
    assert trying.headers.get("timestamp") == "54" and "record-route" not in trying.headers
    busy = make_response(req, 486, headers=[("Retry-After", "60")], to_tag="x")
    assert "record-route" not in busy.headers and busy.headers.get("retry-after") == "60"
    assert make_response(req, 499).reason == "Client Error"
    again = parse_message(bytes(ringing))
    assert again.headers.remove("content-length") == 1  # stated on the wire
    assert again == ringing


def test_make_response_keeps_an_existing_to_tag() -> None:
    req = parse_message(INVITE.replace(b"To: Bob <sip:bob@biloxi.example.com>",
                                       b"To: Bob <sip:bob@biloxi.example.com>;tag=old"))
    assert isinstance(req, Request)
    assert make_response(req, 200, to_tag="new").to.tag == "old"
    with pytest.raises(ValueError):
        make_response(req, 700)
