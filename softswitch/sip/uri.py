"""SIP and SIPS URIs (RFC 3261 §19.1) and the other absolute URIs a message may carry.

Components are kept as written (escapes intact) so a parsed URI serializes to the same
text; `uri_equal` compares them the way §19.1.4 says, after unescaping.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from softswitch.errors import ProtocolError

_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
# user = 1*( unreserved / escaped / user-unreserved )
_USER_RE = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+")
# password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
_PASSWORD_RE = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*")
# hostname or IPv4address; labels of alphanum and '-' (RFC 3261 §25.1)
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-_.]*[A-Za-z0-9.])?")
# paramchar = param-unreserved / unreserved / escaped
_PARAMCHARS_RE = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()\[\]/:&+$]|%[0-9A-Fa-f]{2})+")
# hname/hvalue chars = hnv-unreserved / unreserved / escaped
_HCHARS_RE = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()\[\]/?:+$]|%[0-9A-Fa-f]{2})*")
# anything printable without whitespace, for tel:, urn:, http: ...
_OPAQUE_RE = re.compile(r"[\x21-\x7e\x80-\U0010ffff]+")

DEFAULT_PORTS = {"sip": 5060, "sips": 5061}

#: the usual sip: URI in one pass: lower-case scheme, user without password, hostname or
#: IPv4 host, port, parameters, no headers, no escapes. Every string it matches is one
#: the full grammar below accepts with the same components (tests/sip/test_uri.py checks
#: this); anything else takes the full path.
COMMON_SIP_URI = (
    r"(sips?):"
    r"(?:([A-Za-z0-9\-_.!~*'()&=+$,;?/]+)@)?"
    r"([A-Za-z0-9](?:[A-Za-z0-9\-_.]*[A-Za-z0-9.])?)"
    r"(?::([0-9]{1,5}))?"
    r"((?:;[A-Za-z0-9\-_.!~*'()\[\]/:&+$]+(?:=[A-Za-z0-9\-_.!~*'()\[\]/:&+$]+)?)*)")
_COMMON_SIP_RE = re.compile(COMMON_SIP_URI)


@dataclass(eq=True)
class SipURI:
    """A sip: or sips: URI. `host` holds IPv6 addresses without brackets."""

    host: str
    scheme: str = "sip"
    user: str | None = None
    password: str | None = None
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(self.user)
            if self.password is not None:
                out.append(":")
                out.append(self.password)
            out.append("@")
        out.append(format_host(self.host))
        if self.port is not None:
            out.append(f":{self.port}")
        for name, value in self.params.items():
            out.append(f";{name}" if value is None else f";{name}={value}")
        if self.headers:
            out.append("?")
            out.append("&".join(f"{k}={v}" for k, v in self.headers.items()))
        return "".join(out)

    @property
    def transport(self) -> str | None:
        value = self.params.get("transport")
        return value.lower() if value else None

    @property
    def hostport(self) -> str:
        host = format_host(self.host)
        return host if self.port is None else f"{host}:{self.port}"


@dataclass(eq=True)
class AbsoluteURI:
    """A URI of a scheme other than sip/sips (tel:, urn:, http: ...), kept as text."""

    scheme: str
    text: str

    def __str__(self) -> str:
        return self.text


URI = SipURI | AbsoluteURI


def format_host(host: str) -> str:
    """A host as it appears in a URI or Via: IPv6 addresses get their brackets back."""
    return f"[{host}]" if ":" in host else host


def parse_host(text: str) -> str:
    """Validate a host (hostname, IPv4 or bracketed IPv6) and return it without brackets."""
    if not text:
        raise ProtocolError("empty host")
    if text[0] == "[":
        if text[-1] != "]":
            raise ProtocolError(f"bad IPv6 reference {text!r}")
        inner = text[1:-1]
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            raise ProtocolError(f"bad IPv6 address {inner!r}") from None
        return inner
    if not _HOSTNAME_RE.fullmatch(text):
        raise ProtocolError(f"bad host {text!r}")
    return text


def parse_hostport(text: str) -> tuple[str, int | None]:
    """Split `host[:port]`, where host may be a bracketed IPv6 reference."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ProtocolError(f"unterminated IPv6 reference in {text!r}")
        host = parse_host(text[: end + 1])
        rest = text[end + 1 :]
        if not rest:
            return host, None
        if rest[0] != ":":
            raise ProtocolError(f"junk after IPv6 reference in {text!r}")
        return host, parse_port(rest[1:])
    colon = text.find(":")
    if colon < 0:
        return parse_host(text), None
    return parse_host(text[:colon]), parse_port(text[colon + 1 :])


def parse_port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 5:
        raise ProtocolError(f"bad port {text!r}")
    port = int(text)
    if port > 65535:
        raise ProtocolError(f"port {port} out of range")
    return port


def parse_uri(text: str) -> SipURI | AbsoluteURI:
    """Parse a URI; sip/sips become `SipURI`, any other scheme an `AbsoluteURI`."""
    match = _COMMON_SIP_RE.fullmatch(text)
    if match is not None:
        return sip_uri_from_groups(*match.groups())
    return parse_full_uri(text)


def sip_uri_from_groups(scheme: str, user: str | None, host: str, port_text: str | None,
                        param_text: str) -> SipURI:
    """The `SipURI` of a `COMMON_SIP_URI` match (its five groups)."""
    port = None
    if port_text is not None:
        port = int(port_text)
        if port > 65535:
            raise ProtocolError(f"port {port} out of range")
    params: dict[str, str | None] = {}
    if param_text:
        for item in param_text[1:].split(";"):
            name, eq, value = item.partition("=")
            params[name.lower()] = value if eq else None
    return SipURI(host, scheme, user, None, port, params, {})


def parse_full_uri(text: str) -> SipURI | AbsoluteURI:
    """`parse_uri` by the full grammar alone, whatever the form of the URI."""
    colon = text.find(":")
    if colon <= 0 or not _SCHEME_RE.fullmatch(text[:colon]):
        raise ProtocolError(f"not a URI: {text!r}")
    scheme = text[:colon].lower()
    rest = text[colon + 1 :]
    if scheme != "sip" and scheme != "sips":
        if not rest or not _OPAQUE_RE.fullmatch(rest):
            raise ProtocolError(f"bad {scheme}: URI {text!r}")
        return AbsoluteURI(scheme, text)
    return _parse_sip(scheme, rest, text)


def _parse_sip(scheme: str, rest: str, text: str) -> SipURI:
    user = password = None
    at = rest.find("@")
    if at >= 0:
        userinfo = rest[:at]
        rest = rest[at + 1 :]
        pcolon = userinfo.find(":")
        if pcolon >= 0:
            user, password = userinfo[:pcolon], userinfo[pcolon + 1 :]
            if not _PASSWORD_RE.fullmatch(password):
                raise ProtocolError(f"bad password in URI {text!r}")
        else:
            user = userinfo
        if not _USER_RE.fullmatch(user):
            raise ProtocolError(f"bad user part in URI {text!r}")
    headers: dict[str, str] = {}
    qmark = rest.find("?")
    if qmark >= 0:
        for item in rest[qmark + 1 :].split("&"):
            name, eq, value = item.partition("=")
            if not name or not eq or not _HCHARS_RE.fullmatch(name) \
                    or not _HCHARS_RE.fullmatch(value):
                raise ProtocolError(f"bad header component in URI {text!r}")
            headers[name] = value
        rest = rest[:qmark]
    params: dict[str, str | None] = {}
    semi = rest.find(";")
    if semi >= 0:
        for item in rest[semi + 1 :].split(";"):
            name, eq, value = item.partition("=")
            if not _PARAMCHARS_RE.fullmatch(name) or (eq and not _PARAMCHARS_RE.fullmatch(value)):
                raise ProtocolError(f"bad parameter {item!r} in URI {text!r}")
            params[name.lower()] = value if eq else None
        rest = rest[:semi]
    host, port = parse_hostport(rest)
    return SipURI(host=host, scheme=scheme, user=user, password=password, port=port,
                  params=params, headers=headers)


def parse_sip_uri(text: str) -> SipURI:
    """Parse a URI that must be sip: or sips: (416 otherwise, as a Request-URI would get)."""
    uri = parse_uri(text)
    if not isinstance(uri, SipURI):
        raise ProtocolError(f"unsupported URI scheme {uri.scheme!r}", status=416)
    return uri


def _unescape(text: str) -> bytes:
    return unquote_to_bytes(text) if "%" in text else text.encode("utf-8", "surrogateescape")


#: uri-parameters that, present in only one of two URIs, make them differ (§19.1.4)
_SIGNIFICANT_PARAMS = frozenset({"user", "ttl", "method", "maddr", "transport"})


def uri_equal(a: SipURI | AbsoluteURI, b: SipURI | AbsoluteURI) -> bool:
    """URI equivalence per RFC 3261 §19.1.4."""
    if isinstance(a, AbsoluteURI) or isinstance(b, AbsoluteURI):
        if not (isinstance(a, AbsoluteURI) and isinstance(b, AbsoluteURI)):
            return False
        return a.scheme == b.scheme and a.text.partition(":")[2] == b.text.partition(":")[2]
    if a.scheme != b.scheme or a.port != b.port:
        return False
    if (a.user is None) != (b.user is None) or (a.password is None) != (b.password is None):
        return False
    if a.user is not None and _unescape(a.user) != _unescape(b.user or ""):
        return False
    if a.password is not None and _unescape(a.password) != _unescape(b.password or ""):
        return False
    if a.host.lower() != b.host.lower():
        return False
    for name in a.params.keys() | b.params.keys():
        in_a = name in a.params
        in_b = name in b.params
        if in_a and in_b:
            va, vb = a.params[name], b.params[name]
            if (va is None) != (vb is None):
                return False
            if va is not None and _unescape(va).lower() != _unescape(vb or "").lower():
                return False
        elif name in _SIGNIFICANT_PARAMS:
            return False
    ha = {_unescape(k).lower(): _unescape(v) for k, v in a.headers.items()}
    hb = {_unescape(k).lower(): _unescape(v) for k, v in b.headers.items()}
    return ha == hb
