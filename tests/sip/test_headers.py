"""Typed header values: Via, name-addr/addr-spec, CSeq and auth parameters."""

from __future__ import annotations

import pytest

from softswitch.errors import ProtocolError
from softswitch.sip.headers import (
    CSeq,
    NameAddr,
    Via,
    format_auth_params,
    parse_auth_params,
    parse_cseq,
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
