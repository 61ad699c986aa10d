"""RFC 4475 torture messages: valid ones parse, invalid ones get the answer the RFC says."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from softswitch.errors import ProtocolError
from softswitch.sip.message import Request, Response, make_response
from softswitch.sip.parser import StreamParser, parse_message

TORTURE = Path(__file__).parent / "torture"
EXPECTED = tomllib.loads((TORTURE / "expected.toml").read_text())
VALID = sorted((TORTURE / "valid").glob("*.sip"))
INVALID = sorted((TORTURE / "invalid").glob("*.sip"))


def test_every_invalid_message_has_an_expectation_and_vice_versa() -> None:
    assert {p.stem for p in INVALID} == set(EXPECTED)
    assert len(VALID) >= 19


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_message_parses_and_reserializes(path: Path) -> None:
    data = path.read_bytes()
    msg = parse_message(data)
    # every typed view the core relies on is readable
    assert msg.vias and msg.call_id and msg.cseq.seq >= 0
    assert msg.from_.uri is not None and msg.to.uri is not None
    assert isinstance(msg.contacts, list)
    again = parse_message(bytes(msg))
    if "content-length" not in msg.headers:  # serializing always states the length
        assert again.headers.remove("content-length") == 1
    assert again == msg


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_message_gets_the_expected_answer(path: Path) -> None:
    expected = EXPECTED[path.stem]
    data = path.read_bytes()
    if expected["layer"] == "ua":
        msg = parse_message(data)  # well formed: the check belongs above the parser
        assert isinstance(msg, Request)
        return
    with pytest.raises(ProtocolError) as info:
        parse_message(data)
    if expected.get("action") == "drop":
        assert data.startswith(b"SIP/2.0 ")  # only responses are dropped silently
        return
    assert info.value.status == expected["status"], str(info.value)


def test_answerable_errors_carry_the_partial_request() -> None:
    for name in ("badvers", "mismatch01", "unkscm", "clerr", "escruri"):
        with pytest.raises(ProtocolError) as info:
            parse_message((TORTURE / "invalid" / f"{name}.sip").read_bytes())
        partial = info.value.partial
        assert isinstance(partial, Request), name
        assert partial.call_id.startswith(name)


def test_a_request_without_from_to_call_id_cannot_be_answered() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_message((TORTURE / "invalid" / "insuf.sip").read_bytes())
    assert info.value.partial is None


@pytest.mark.parametrize("name", ["scalar02", "badaspec", "baddn", "quotbal", "badinv01"])
def test_malformed_but_present_headers_are_copied_into_the_answer(name: str) -> None:
    """The 400 copies Via/From/To/Call-ID/CSeq verbatim, so they need not be valid."""
    data = (TORTURE / "invalid" / f"{name}.sip").read_bytes()
    with pytest.raises(ProtocolError) as info:
        parse_message(data)
    partial = info.value.partial
    assert isinstance(partial, Request)
    answer = bytes(make_response(partial, info.value.status))
    assert answer.startswith(b"SIP/2.0 400 ")
    for name_ in ("call-id", "cseq"):
        assert partial.headers.lines(name_)[0].encode() in answer


def test_wsinv_details() -> None:
    msg = parse_message((TORTURE / "valid" / "wsinv.sip").read_bytes())
    assert isinstance(msg, Request)
    assert msg.to.tag == "1918181833n"
    assert msg.from_.display == 'J Rosenberg \\"'
    assert msg.from_.tag == "98asjd8"
    assert msg.max_forwards == 68
    assert (msg.cseq.seq, msg.cseq.method) == (9, "INVITE")
    assert [v.host for v in msg.vias] == ["192.0.2.2", "spindle.example.com", "192.168.255.111"]
    assert [v.branch for v in msg.vias] == ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"]
    assert msg.headers.get("subject") == ""
    assert msg.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert msg.headers.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    contact = msg.contacts[0]
    assert contact.display == 'Quoted string ""'
    assert contact.params == {"newparam": "newvalue", "secondparam": None, "q": "0.33"}
    assert len(msg.body) == 150


def test_intmeth_and_escapes() -> None:
    msg = parse_message((TORTURE / "valid" / "intmeth.sip").read_bytes())
    assert isinstance(msg, Request)
    assert msg.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert msg.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"  # type: ignore[union-attr]
    assert msg.to.display == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert msg.from_.display == "token1~` token2'+_ token3*%!.-"
    esc02 = parse_message((TORTURE / "valid" / "esc02.sip").read_bytes())
    assert len(esc02.contacts) == 2  # C%6Fntact is another header
    semi = parse_message((TORTURE / "valid" / "semiuri.sip").read_bytes())
    assert semi.uri.user == "user;par=u%40example.net"  # type: ignore[union-attr]
    assert len(semi.headers.get_all("accept")) == 6


def test_dblreq_ignores_the_trailing_request() -> None:
    msg = parse_message((TORTURE / "valid" / "dblreq.sip").read_bytes())
    assert isinstance(msg, Request) and msg.method == "REGISTER" and msg.body == b""


def test_unreason_keeps_the_utf8_reason() -> None:
    msg = parse_message((TORTURE / "valid" / "unreason.sip").read_bytes())
    assert isinstance(msg, Response)
    assert msg.reason.startswith("= 2**3 * 5**2 но сто")
    assert parse_message((TORTURE / "valid" / "noreason.sip").read_bytes()).reason == ""


def test_all_valid_messages_through_one_stream() -> None:
    with_length = [p.read_bytes() for p in VALID if p.stem not in ("inv2543", "dblreq")]
    parser = StreamParser()
    msgs = []
    for data in with_length:
        msgs += parser.feed(data)
    assert len(msgs) == len(with_length)
