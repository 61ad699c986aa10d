"""Typed views of the header values the core reads: Via, From/To/Contact, CSeq, auth.

Each is parsed on demand from the text kept in `Headers` (which stays authoritative, so
an unmodified header goes back on the wire byte for byte) and serializes with `str()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from softswitch.errors import ProtocolError
from softswitch.sip.grammar import (
    TOKEN_RE,
    format_params,
    parse_params,
    quote,
    split_outside_quotes,
    unquote,
)
from softswitch.sip.uri import (
    COMMON_SIP_URI,
    AbsoluteURI,
    SipURI,
    format_host,
    parse_hostport,
    parse_uri,
    sip_uri_from_groups,
)

_T = r"[A-Za-z0-9\-.!%*_+`'~]+"
_VIA_RE = re.compile(rf"({_T})\s*/\s*({_T})\s*/\s*({_T})\s+(.+)", re.DOTALL)
_COLON_LWS_RE = re.compile(r"\s*:\s*")

# The usual forms of Via and name-addr, matched in one pass. Every string they match is
# one the full parsers accept with the same result (tests/sip/test_headers.py checks
# this); anything else (LWS inside, quoted parameters, IPv6, escapes ...) takes the full
# path, which also gives the errors.
#: ;name or ;name=value with a token name and a token/host value, no LWS, no quotes
_PARAMS = rf"(?:;{_T}(?:=[A-Za-z0-9\-.!%*_+`'~:\[\]]+)?)*"
_HOSTNAME = r"[A-Za-z0-9](?:[A-Za-z0-9\-_.]*[A-Za-z0-9.])?"
_COMMON_VIA_RE = re.compile(
    rf"SIP/2\.0/([A-Z]+) ({_HOSTNAME})(?::([0-9]{{1,5}}))?({_PARAMS})")
_DISPLAY = rf'(?:"([^"\\]*)" *|({_T}(?: {_T})*) *)?'
_COMMON_SIP_NAME_ADDR_RE = re.compile(rf"{_DISPLAY}<{COMMON_SIP_URI}>({_PARAMS})")
_COMMON_NAME_ADDR_RE = re.compile(rf'{_DISPLAY}<([^<>"\s]+)>({_PARAMS})')
_COMMON_ADDR_SPEC_RE = re.compile(rf'([^<>"\s,?;]+)({_PARAMS})')


def is_usual_sip_name_addr(value: str) -> bool:
    """True when `value` is a name-addr of the usual form with a sip: URI that
    `parse_name_addr` accepts: a check as strict as parsing, without building anything."""
    match = _COMMON_SIP_NAME_ADDR_RE.fullmatch(value)
    if match is None:
        return False
    port = match[6]
    return port is None or int(port) <= 65535


def _simple_params(text: str) -> dict[str, str | None]:
    """The parameters of a `_PARAMS` match: no quotes or LWS, so plain splits suffice."""
    if text.count(";") == 1:  # most often a lone tag
        name, eq, value = text[1:].partition("=")
        return {name.lower(): value if eq else None}
    params: dict[str, str | None] = {}
    for item in text[1:].split(";"):
        name, eq, value = item.partition("=")
        params[name.lower()] = value if eq else None
    return params


@dataclass(eq=True)
class Via:
    """One Via hop: `SIP/2.0/<transport> host[:port];params`."""

    transport: str
    host: str
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    #: the protocol version as sent; the parser answers 505 to anything but 2.0
    version: str = "2.0"

    def __str__(self) -> str:
        return f"SIP/{self.version}/{self.transport} {format_host(self.host)}" + (
            f":{self.port}" if self.port is not None else "") + format_params(self.params)

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        return self.params.get("received")

    @property
    def has_rport(self) -> bool:
        """True when the sender asked for rport (RFC 3581), with or without a value."""
        return "rport" in self.params

    @property
    def rport(self) -> int | None:
        """The port filled in by the server that received the request, if any."""
        value = self.params.get("rport")
        return int(value) if value and value.isdigit() else None

    @property
    def maddr(self) -> str | None:
        return self.params.get("maddr")

    @property
    def sent_by(self) -> tuple[str, int | None]:
        return self.host, self.port


def parse_via(value: str) -> Via:
    """Parse one via-parm (a single element of a Via header)."""
    match = _COMMON_VIA_RE.fullmatch(value)
    if match is not None:
        transport, host, port_text, param_text = match.groups()
        port = None
        if port_text is not None:
            port = int(port_text)
            if port > 65535:
                raise ProtocolError(f"port {port} out of range")
        return Via(transport, host, port, _simple_params(param_text) if param_text else {})
    return parse_full_via(value)


def parse_full_via(value: str) -> Via:
    """`parse_via` by the full grammar alone, whatever the form of the value."""
    match = _VIA_RE.fullmatch(value.strip())
    if match is None:
        raise ProtocolError(f"malformed Via {value!r}")
    name, version, transport, rest = match.groups()
    if name.upper() != "SIP":
        raise ProtocolError(f"not a SIP Via {value!r}")
    semi = rest.find(";")
    sent_by = rest if semi < 0 else rest[:semi]
    sent_by = _COLON_LWS_RE.sub(":", sent_by.strip())
    host, port = parse_hostport(sent_by)
    params = parse_params(rest[semi:], what="Via") if semi >= 0 else {}
    return Via(transport.upper(), host, port, params, version)


@dataclass(eq=True)
class NameAddr:
    """A From/To/Contact/Route value: optional display name, URI, header parameters."""

    uri: SipURI | AbsoluteURI
    display: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    def __str__(self) -> str:
        head = f"{quote(self.display)} " if self.display is not None else ""
        return f"{head}<{self.uri}>{format_params(self.params)}"

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def with_tag(self, tag: str) -> NameAddr:
        return NameAddr(self.uri, self.display, {**self.params, "tag": tag})


def _quoted_end(text: str, start: int) -> int:
    """Index of the closing quote of the quoted-string opening at `start`."""
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i
        i += 1
    raise ProtocolError("unterminated quoted string")


def parse_name_addr(value: str) -> NameAddr:
    """Parse `name-addr` ("Bob" <sip:bob@x>;tag=1) or `addr-spec` (sip:bob@x;tag=1)."""
    match = _COMMON_SIP_NAME_ADDR_RE.fullmatch(value)
    if match is not None:
        quoted, tokens, scheme, user, host, port, uri_params, param_text = match.groups()
        return NameAddr(sip_uri_from_groups(scheme, user, host, port, uri_params),
                        tokens if quoted is None else quoted,
                        _simple_params(param_text) if param_text else {})
    match = _COMMON_NAME_ADDR_RE.fullmatch(value)
    if match is not None:
        quoted, tokens, uri_text, param_text = match.groups()
        return NameAddr(parse_uri(uri_text), tokens if quoted is None else quoted,
                        _simple_params(param_text) if param_text else {})
    match = _COMMON_ADDR_SPEC_RE.fullmatch(value)
    if match is not None:
        uri_text, param_text = match.groups()
        return NameAddr(parse_uri(uri_text), None,
                        _simple_params(param_text) if param_text else {})
    return parse_full_name_addr(value)


def parse_full_name_addr(value: str) -> NameAddr:
    """`parse_name_addr` by the full grammar alone, whatever the form of the value."""
    text = value.strip()
    if not text:
        raise ProtocolError("empty address")
    display: str | None = None
    if text[0] == '"':
        end = _quoted_end(text, 0)
        display = unquote(text[: end + 1])
        rest = text[end + 1 :].lstrip()
        if not rest.startswith("<"):
            raise ProtocolError(f"display name not followed by <URI> in {value!r}")
        lt = 0
        text = rest
    else:
        lt = text.find("<")
    if lt >= 0:
        if lt > 0:
            words = text[:lt].split()
            if not all(TOKEN_RE.fullmatch(w) for w in words):
                raise ProtocolError(f"display name must be tokens or quoted in {value!r}")
            display = " ".join(words) if words else None
        gt = text.find(">", lt)
        if gt < 0:
            raise ProtocolError(f"unterminated <URI> in {value!r}")
        uri_text = text[lt + 1 : gt]
        tail = text[gt + 1 :].strip()
        if tail and tail[0] != ";":
            raise ProtocolError(f"junk after <URI> in {value!r}")
    else:
        semi = text.find(";")
        uri_text = text if semi < 0 else text[:semi].rstrip()
        tail = "" if semi < 0 else text[semi:]
        if any(c in uri_text for c in " \t?,"):
            raise ProtocolError(f"addr-spec with reserved characters must use <> in {value!r}")
    if not uri_text or uri_text != uri_text.strip():
        raise ProtocolError(f"bad URI in {value!r}")
    uri = parse_uri(uri_text)
    params = parse_params(tail, what="address") if tail else {}
    return NameAddr(uri, display, params)


@dataclass(frozen=True)
class CSeq:
    seq: int
    method: str

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


_CSEQ_RE = re.compile(rf"([0-9]{{1,10}})\s+({_T})")


def parse_cseq(value: str) -> CSeq:
    match = _CSEQ_RE.fullmatch(value) or _CSEQ_RE.fullmatch(value.strip())
    if match is None:
        raise ProtocolError(f"malformed CSeq {value!r}")
    seq = int(match.group(1))
    if seq >= 2**31:  # RFC 3261 §8.1.1.5: less than 2**31
        raise ProtocolError(f"CSeq number {seq} too large")
    return CSeq(seq, match.group(2))


def parse_auth_params(value: str) -> tuple[str, dict[str, str]]:
    """Parse a challenge or credentials: `Digest realm="x", nonce="y", qop=auth`.

    Returns the scheme and the parameters, names in lower case, values unquoted.
    """
    text = value.strip()
    space = -1
    for i, ch in enumerate(text):
        if ch in " \t":
            space = i
            break
    scheme = text if space < 0 else text[:space]
    if not TOKEN_RE.fullmatch(scheme):
        raise ProtocolError(f"bad auth scheme in {value!r}")
    params: dict[str, str] = {}
    rest = "" if space < 0 else text[space:].strip()
    if rest:
        for item in split_outside_quotes(rest, ","):
            item = item.strip()
            if not item:
                continue
            name, eq, raw = item.partition("=")
            name = name.strip()
            raw = raw.strip()
            if not eq or not TOKEN_RE.fullmatch(name) or not raw:
                raise ProtocolError(f"bad auth parameter {item!r}")
            if raw[0] == '"' and (len(raw) < 2 or raw[-1] != '"'):
                raise ProtocolError(f"bad quoted auth parameter {item!r}")
            params[name.lower()] = unquote(raw)
    return scheme, params


def format_auth_params(scheme: str, params: dict[str, str], *,
                       unquoted: frozenset[str] = frozenset({"algorithm", "qop", "nc",
                                                             "stale"})) -> str:
    """Serialize credentials or a challenge; most values are quoted, a few never are."""
    parts = [f"{k}={v}" if k in unquoted else f"{k}={quote(v)}" for k, v in params.items()]
    return f"{scheme} " + ", ".join(parts)
