"""SIP URIs: parsing, serialization, and equivalence per RFC 3261 §19.1.4."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.errors import ProtocolError
from softswitch.sip.uri import (
    AbsoluteURI,
    SipURI,
    parse_full_uri,
    parse_sip_uri,
    parse_uri,
    uri_equal,
)


def test_full_uri_parses_into_components() -> None:
    uri = parse_uri("sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr?subject=hi&x=1")
    assert isinstance(uri, SipURI)
    assert (uri.scheme, uri.user, uri.password, uri.host, uri.port) == (
        "sips", "alice", "secret", "atlanta.example.com", 5061)
    assert uri.params == {"transport": "tcp", "lr": None}
    assert uri.headers == {"subject": "hi", "x": "1"}
    assert uri.transport == "tcp"
    assert str(uri) == "sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr?subject=hi&x=1"


def test_ipv6_host_is_stored_without_brackets_and_written_with_them() -> None:
    uri = parse_uri("sip:bob@[2001:db8::10]:5070;maddr=[2001:db8::1]")
    assert isinstance(uri, SipURI)
    assert uri.host == "2001:db8::10" and uri.port == 5070
    assert uri.params["maddr"] == "[2001:db8::1]"
    assert str(uri) == "sip:bob@[2001:db8::10]:5070;maddr=[2001:db8::1]"
    assert SipURI(host="::1").hostport == "[::1]"


def test_other_schemes_are_kept_as_text() -> None:
    uri = parse_uri("tel:+1-201-555-0123;phone-context=example.com")
    assert uri == AbsoluteURI("tel", "tel:+1-201-555-0123;phone-context=example.com")
    assert str(uri) == "tel:+1-201-555-0123;phone-context=example.com"


@pytest.mark.parametrize("text", [
    "", "sip:", "sip:@host", "nocolon", "sip:bob@[2001:db8::1", "sip:bob@[zz::1]",
    "sip:bob@host:99999", "sip:bob@host:5x", "sip:bo b@host", "sip:bob@ho st",
    "sip:bob@host;=x", "sip:bob@host?noequals", "sip:bob@host;a=b c", "sip:bob@-host",
])
def test_malformed_uris_raise_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse_uri(text)


def test_parse_sip_uri_refuses_other_schemes_with_416() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_sip_uri("mailto:bob@example.com")
    assert info.value.status == 416


# The examples of RFC 3261 §19.1.4
@pytest.mark.parametrize(("a", "b"), [
    ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=Tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
    ("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;newparam=5"),
    ("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
     "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"),
    ("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
     "sip:alice@atlanta.com?priority=urgent&subject=project%20x"),
])
def test_equivalent_uris(a: str, b: str) -> None:
    assert uri_equal(parse_uri(a), parse_uri(b))
    assert uri_equal(parse_uri(b), parse_uri(a))


@pytest.mark.parametrize(("a", "b"), [
    ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
    ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
    ("sip:bob@example.com", "sips:bob@example.com"),
    ("sip:bob@example.com;maddr=239.255.255.1", "sip:bob@example.com"),
    ("sip:bob@example.com", "tel:+12015550123"),
])
def test_different_uris(a: str, b: str) -> None:
    assert not uri_equal(parse_uri(a), parse_uri(b))
    assert not uri_equal(parse_uri(b), parse_uri(a))


def test_escaped_null_users_stay_distinct() -> None:
    assert not uri_equal(parse_uri("sip:%00@h.example.com"), parse_uri("sip:%00%00@h.example.com"))


# The one-pass regex for usual sip: URIs must agree with the full grammar on every input:
# same components when both accept, the same status when both refuse.
_PIECES = st.sampled_from([
    "sip:", "sips:", "SIP:", "tel:", "sip", ":", "@", ";", "=", "?", "&", "%41", "%4", "%",
    "[", "]", "[::1]", "::1", ".", "-", "_", "5060", "65535", "65536", "99999", "0",
    "alice", "Bob", "example.com", "a.b-c.", "-x", "192.0.2.1", "lr", "transport=tcp",
    ";maddr=[2001:db8::1]", " ", "\t", '"', "<", ">", ",", "!", "~", "*", "'", "(", ")",
    "$", "+", "/", "é", "user;par=u",
])
_URI_TEXT = st.one_of(
    st.lists(_PIECES, max_size=14).map("".join),
    st.builds(lambda s, u, h, p, prm: s + u + h + p + prm,
              st.sampled_from(["sip:", "sips:", "Sip:"]),
              st.one_of(st.just(""), st.lists(_PIECES, max_size=3).map(
                  lambda x: "".join(x) + "@")),
              st.sampled_from(["example.com", "192.0.2.1", "h", "a-", "[::1]", "x_y.z."]),
              st.one_of(st.just(""), st.integers(0, 99999).map(lambda n: f":{n}")),
              st.lists(_PIECES, max_size=5).map(lambda x: ";" + "".join(x) if x else "")),
)


def _outcome(parse: Callable[[str], object], text: str) -> object:
    try:
        return parse(text)
    except ProtocolError as exc:
        return ("refused", exc.status)


@settings(max_examples=400, deadline=None)
@given(_URI_TEXT)
def test_usual_form_shortcut_agrees_with_the_full_grammar(text: str) -> None:
    assert _outcome(parse_uri, text) == _outcome(parse_full_uri, text)


def test_usual_forms_take_the_shortcut_and_parse_alike() -> None:
    for text in ("sip:201@192.0.2.10:5060;rinstance=6f8f1c2a7e", "sips:pbx.example.com",
                 "sip:user;par=u@h;lr;Transport=TCP", "sip:h:65536"):
        assert _outcome(parse_uri, text) == _outcome(parse_full_uri, text)
    assert parse_uri("sip:h;Transport=TCP").params == {"transport": "TCP"}
