"""Properties: valid messages survive a round trip; any input parses or raises ProtocolError."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softswitch.errors import ProtocolError
from softswitch.sip.message import Headers, Request, Response
from softswitch.sip.parser import StreamParser, _parse, parse_message
from softswitch.sip.uri import SipURI

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

token = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~",
                min_size=1, max_size=12)
alnum = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
host = st.one_of(
    st.builds(lambda a, b: f"{a}.{b}", alnum, st.sampled_from(["com", "net", "example.org"])),
    st.builds(lambda a, b, c, d: f"{a}.{b}.{c}.{d}", *[st.integers(0, 255)] * 4),
    st.sampled_from(["::1", "2001:db8::7", "fe80::1:2"]),
)
port = st.one_of(st.none(), st.integers(1, 65535))
uri_params = st.dictionaries(alnum, st.one_of(st.none(), alnum), max_size=3)
sip_uri = st.builds(lambda u, h, p, prm: SipURI(host=h, user=u, port=p, params=prm),
                    st.one_of(st.none(), alnum), host, port, uri_params)
display = st.one_of(st.none(), st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters="\x7f"),
    max_size=12))
method = st.one_of(st.sampled_from(["INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS"]),
                   token)
# header values of unknown headers: printable, no leading/trailing space, no line breaks
value = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
                max_size=30).map(str.strip).filter(bool)
extra = st.lists(st.tuples(st.builds(lambda t: "X-" + t, token), value), max_size=4)
body = st.binary(max_size=200)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def requests(draw: st.DrawFn) -> Request:
    m = draw(method)
    uri = draw(sip_uri)
    disp = draw(display)
    name = "" if disp is None else _quote(disp) + " "
    via_host = draw(host)
    via_host = f"[{via_host}]" if ":" in via_host else via_host
    headers = Headers([
        ("Via", f"SIP/2.0/UDP {via_host}:5060;branch=z9hG4bK{draw(alnum)}"),
        (draw(st.sampled_from(["From", "f"])), f"{name}<{draw(sip_uri)}>;tag={draw(alnum)}"),
        (draw(st.sampled_from(["To", "t"])), f"<{uri}>"),
        (draw(st.sampled_from(["Call-ID", "i"])), f"{draw(alnum)}@{draw(alnum)}"),
        ("CSeq", f"{draw(st.integers(0, 2**31 - 1))} {m}"),
        ("Max-Forwards", str(draw(st.integers(0, 255)))),
        *draw(extra),
        ("Content-Length", "0"),
    ])
    return Request(m, uri, headers, draw(body))


@st.composite
def responses(draw: st.DrawFn) -> Response:
    req = draw(requests())
    status = draw(st.integers(100, 699))
    reason = draw(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20))
    return Response(status, reason.strip(), req.headers.copy(), draw(body))


def _without_length(headers: Headers) -> list[tuple[str, str]]:
    return [(n, v) for n, v in headers.items() if n.lower() not in ("content-length", "l")]


@SETTINGS
@given(st.one_of(requests(), responses()))
def test_round_trip(msg: Request | Response) -> None:
    data = bytes(msg)
    parsed = parse_message(data)
    assert type(parsed) is type(msg)
    if isinstance(msg, Request):
        assert (parsed.method, parsed.uri) == (msg.method, msg.uri)  # type: ignore[union-attr]
    else:
        assert (parsed.status, parsed.reason) == (msg.status, msg.reason)  # type: ignore[union-attr]
    assert _without_length(parsed.headers) == _without_length(msg.headers)
    assert parsed.headers.get("content-length") == str(len(msg.body))
    assert parsed.body == msg.body
    assert bytes(parsed) == data


def _only_protocol_errors(data: bytes) -> None:
    try:
        msg = parse_message(data)
    except ProtocolError as exc:
        assert 400 <= exc.status <= 599
        assert exc.partial is None or isinstance(exc.partial, Request)
        return
    # whatever parsed must serialize and give the core its typed views without surprises
    bytes(msg)
    for attr in ("vias", "cseq", "from_", "to", "call_id", "contacts", "max_forwards",
                 "expires", "record_routes", "routes"):
        try:
            getattr(msg, attr)
        except ProtocolError:
            pass


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_raise_protocol_error(data: bytes) -> None:
    _only_protocol_errors(data)


SEEDS = [p.read_bytes() for p in sorted((Path(__file__).parent / "torture").rglob("*.sip"))]


@SETTINGS
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255),
                                                   st.sampled_from(["set", "del", "ins"])),
                                         min_size=1, max_size=6))
def test_mutated_messages_only_raise_protocol_error(
        seed: bytes, edits: list[tuple[int, int, str]]) -> None:
    data = bytearray(seed)
    for pos, byte, op in edits:
        i = pos % (len(data) or 1)
        if op == "set" and data:
            data[i] = byte
        elif op == "del" and data:
            del data[i]
        else:
            data.insert(i, byte)
    _only_protocol_errors(bytes(data))


@SETTINGS
@given(st.lists(requests(), min_size=1, max_size=4), st.data())
def test_stream_framing_is_independent_of_chunking(
        msgs: list[Request], data: st.DataObject) -> None:
    wire = b"".join(bytes(m) for m in msgs)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=8)))
    parser = StreamParser()
    out: list[Request | Response] = []
    last = 0
    for cut in [*cuts, len(wire)]:
        out += parser.feed(wire[last:cut])
        last = cut
    assert [bytes(m) for m in out] == [bytes(m) for m in msgs]
    assert parser.buffered == 0


@SETTINGS
@given(st.binary(max_size=300))
def test_stream_garbage_only_raises_protocol_error(data: bytes) -> None:
    parser = StreamParser(max_message=2048)
    try:
        parser.feed(data)
        parser.feed(b"\r\n\r\n")
    except ProtocolError:
        pass


def _split(data: bytes, *, one_pass: bool) -> object:
    try:
        p = _parse(data, one_pass=one_pass)
    except ProtocolError as exc:
        return ("refused", exc.status, str(exc))
    return (p.method, p.uri_text, p.status, p.reason, p.version, p.headers.items(),
            p.headers._keys, p.errors, p.body)


_LINE_NOISE = st.sampled_from([b" ", b"\t", b"\r", b"\n", b"\r\n", b"\r\n ", b":", b"\x00",
                               b"\xff", b"X-A: b\r\n", b" \r\n", b"Via :", b"\r\n\r\n"])


@SETTINGS
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 10_000), _LINE_NOISE),
                                        max_size=4))
def test_one_pass_header_split_agrees_with_line_by_line(
        seed: bytes, edits: list[tuple[int, bytes]]) -> None:
    """The regex pass over the whole head and the line loop give the same parts."""
    data = bytearray(seed)
    for pos, noise in edits:
        i = pos % (len(data) or 1)
        data[i:i] = noise
    assert _split(bytes(data), one_pass=True) == _split(bytes(data), one_pass=False)
