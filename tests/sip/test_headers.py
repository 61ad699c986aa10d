"""Typed header values: Via, name-addr/addr-spec, CSeq and auth parameters."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.errors import ProtocolError
from softswitch.sip.headers import (
    CSeq,
    NameAddr,
    Via,
    format_auth_params,
    is_usual_sip_name_addr,
    parse_auth_params,
    parse_cseq,
    parse_full_name_addr,
    parse_full_via,
    parse_name_addr,
    parse_via,
)
from softswitch.sip.uri import SipURI


def test_via_with_params_and_rport() -> None:
    via = parse_via("SIP/2.0/udp 192.0.2.1:5062;branch=z9hG4bK776;rport;received=10.0.0.1")
    assert (via.transport, via.host, via.port) == ("UDP", "192.0.2.1", 5062)
    assert via.branch == "z9hG4bK776" and via.received == "10.0.0.1"
    assert via.has_rport and via.rport is None
    assert parse_via("SIP/2.0/UDP h;rport=5099").rport == 5099
    assert str(via) == "SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK776;rport;received=10.0.0.1"


def test_via_ipv6_and_lws() -> None:
    via = parse_via("SIP / 2.0 / TCP [2001:db8::9:1] : 5070 ; branch = z9hG4bKx")
    assert (via.host, via.port, via.branch) == ("2001:db8::9:1", 5070, "z9hG4bKx")
    assert str(via) == "SIP/2.0/TCP [2001:db8::9:1]:5070;branch=z9hG4bKx"
    assert str(Via("UDP", "::1", 5060)) == "SIP/2.0/UDP [::1]:5060"


@pytest.mark.parametrize("value", [
    "", "SIP/2.0/UDP", "HTTP/1.1/TCP host", "SIP/2.0/UDP host;;", "SIP/2.0/UDP host:port",
    "SIP/2.0/UDP [::1", "SIP/2.0/UDP host;branch=",
])
def test_malformed_via(value: str) -> None:
    with pytest.raises(ProtocolError):
        parse_via(value)


def test_name_addr_forms() -> None:
    quoted = parse_name_addr('"Alice \\"A\\" Smith" <sip:alice@example.com>;tag=88;x')
    assert quoted.display == 'Alice "A" Smith' and quoted.tag == "88"
    assert quoted.params == {"tag": "88", "x": None}
    assert str(quoted) == '"Alice \\"A\\" Smith" <sip:alice@example.com>;tag=88;x'
    tokens = parse_name_addr("Bob  Jones<sip:bob@example.com>")
    assert tokens.display == "Bob Jones"
    spec = parse_name_addr("sip:carol@example.com;tag=9")
    assert spec.display is None and spec.tag == "9"
    assert isinstance(spec.uri, SipURI) and spec.uri.params == {}  # params belong to header
    assert parse_name_addr("<sip:x@y;lr>").uri.params == {"lr": None}  # type: ignore[union-attr]


def test_usual_name_addr_check() -> None:
    assert is_usual_sip_name_addr('"A" <sip:a@192.0.2.1:5060;lr>;expires=60')
    for value in ("<sip:a@h:65536>", "<sip:a@h>;;", "<tel:+1>", "sip:a@h", "<sip:a@[::1]>"):
        assert not is_usual_sip_name_addr(value), value


def test_with_tag_adds_tag_without_mutating() -> None:
    addr = NameAddr(SipURI(host="example.com", user="bob"))
    tagged = addr.with_tag("abc")
    assert tagged.tag == "abc" and addr.tag is None
    assert str(tagged) == "<sip:bob@example.com>;tag=abc"


@pytest.mark.parametrize("value", [
    "", '"unterminated <sip:a@b>', "Bell, Alexander <sip:a@b>", "< sip:a@b >",
    "<sip:a@b", "<sip:a@b> junk", "sip:a@b?x=y", '"name" sip:a@b', "<sip:a@b>;;",
])
def test_malformed_addresses(value: str) -> None:
    with pytest.raises(ProtocolError):
        parse_name_addr(value)


def test_cseq() -> None:
    assert parse_cseq(" 0009   INVITE ") == CSeq(9, "INVITE")
    assert str(CSeq(1, "BYE")) == "1 BYE"
    for bad in ("", "INVITE", "1", "-1 INVITE", "2147483648 INVITE", "1 INV ITE", "x1 BYE"):
        with pytest.raises(ProtocolError):
            parse_cseq(bad)


def test_auth_params() -> None:
    scheme, params = parse_auth_params(
        'Digest username="bob", realm="biloxi.com", nonce="dcd98b,7102dd2", '
        'uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", '
        'response="6629fae49393a05397450978507c4ef1", opaque="5ccc\\"069c"')
    assert scheme == "Digest"
    assert params["nonce"] == "dcd98b,7102dd2"  # comma inside quotes does not split
    assert params["qop"] == "auth" and params["nc"] == "00000001"
    assert params["opaque"] == '5ccc"069c'
    text = format_auth_params("Digest", {"realm": "x", "qop": "auth", "nc": "00000001"})
    assert text == 'Digest realm="x", qop=auth, nc=00000001'
    assert parse_auth_params(text)[1] == {"realm": "x", "qop": "auth", "nc": "00000001"}
    for bad in ("", "Digest realm", 'Digest realm="x', '"Digest" realm=x', "Digest =x"):
        with pytest.raises(ProtocolError):
            parse_auth_params(bad)


# The one-pass regexes for the usual Via and address forms must agree with the full
# parsers on every input: same value when both accept, the same status when both refuse.
_PIECES = st.sampled_from([
    " ", "  ", "\t", '"', '\\"', "<", ">", ";", "=", ",", ":", "@", "?", "/", "%41", "[", "]",
    "sip:", "sips:", "SIP:", "tel:+1", "alice", "Bob", "example.com", "192.0.2.1", "[::1]",
    "5060", "99999", "tag=9f", "branch=z9hG4bK1", "rport", "lr", "q=0.5", '"x y"', "é", "*",
    "SIP/2.0/UDP ", "SIP/2.0/udp ", "SIP / 2.0 / TCP ", "SIP/3.0/UDP ", "-", ".", "_", "!",
])
_RANDOM = st.lists(_PIECES, max_size=12).map("".join)
_PARAMS_TEXT = st.lists(st.sampled_from([";tag=9f", ";lr", ";X=Y", ";rport", ";q=0.5",
                                         ";a=", ";=b", ";;", '; p="q"', ";maddr=[::1]",
                                         ";e=%41"]), max_size=3).map("".join)
_URI = st.sampled_from(["sip:bob@example.com", "sip:bob@192.0.2.1:5060;lr", "sips:h",
                        "tel:+1-555", "sip:b%6Fb@h", "sip:h:99999", "sip:[::1]:5",
                        "sip:bob:pw@h", "sip:h?x=y", "SIP:h", "sip:-h"])
_NAME_ADDRS = st.one_of(
    _RANDOM,
    st.builds(lambda d, u, p: f"{d}<{u}>{p}",
              st.sampled_from(["", '"Bob" ', '"" ', "Bob ", "Bob Jones ", "Bob  Jones", '"a\\"b" ',
                               '"Bob"', "<", '"unterminated ']),
              _URI, _PARAMS_TEXT),
    st.builds(lambda u, p: u + p, _URI, _PARAMS_TEXT),
)
_VIAS = st.one_of(
    _RANDOM,
    st.builds(lambda proto, host, port, p: f"{proto}{host}{port}{p}",
              st.sampled_from(["SIP/2.0/UDP ", "SIP/2.0/TLS ", "sip/2.0/udp ", "SIP/2.0/UDP  ",
                               "SIP/1.0/UDP ", "SIP/2.0/WSS "]),
              st.sampled_from(["192.0.2.1", "pc33.example.com", "[2001:db8::1]", "h_1", "-h"]),
              st.sampled_from(["", ":5060", ":0", ":65536", ": 5060", ":x"]),
              _PARAMS_TEXT),
)


def _outcome(parse: Callable[[str], object], text: str) -> object:
    try:
        return parse(text)
    except ProtocolError as exc:
        return ("refused", exc.status)


@settings(max_examples=400, deadline=None)
@given(_NAME_ADDRS)
def test_name_addr_shortcuts_agree_with_the_full_parser(value: str) -> None:
    outcome = _outcome(parse_full_name_addr, value)
    assert _outcome(parse_name_addr, value) == outcome
    if is_usual_sip_name_addr(value):  # the parser's check-only path promises a parse
        assert isinstance(outcome, NameAddr) and isinstance(outcome.uri, SipURI)


@settings(max_examples=300, deadline=None)
@given(_VIAS)
def test_via_shortcut_agrees_with_the_full_parser(value: str) -> None:
    assert _outcome(parse_via, value) == _outcome(parse_full_via, value)
