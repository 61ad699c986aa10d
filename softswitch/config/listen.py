"""Listen specs: where the switch accepts SIP, written as `udp:HOST:PORT`, `tcp:HOST:PORT`,
or `HOST:PORT` for both. IPv6 hosts go in brackets (`udp:[::1]:5060`), as in SIP URIs,
because a bare IPv6 address cannot be told apart from its port.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

Transport = Literal["udp", "tcp"]
TRANSPORTS: tuple[Transport, ...] = ("udp", "tcp")

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
# a leading word is a transport unless only a port follows it ("localhost:5060")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9]*):(?![0-9]*$)")


@dataclass(frozen=True)
class ListenSpec:
    transport: Transport
    host: str
    #: 0 asks the operating system for a free port (tests, ad-hoc runs)
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}:{host}:{self.port}"


def parse_listen_spec(text: str) -> list[ListenSpec]:
    """One spec gives one ListenSpec, or two (udp then tcp) when no transport is named."""
    spec = text.strip()
    if not spec:
        raise ValueError("empty listen spec (expected e.g. 'udp:0.0.0.0:5060')")
    transports: tuple[Transport, ...] = TRANSPORTS
    rest = spec
    scheme = _SCHEME.match(spec)
    if scheme and not spec.startswith("["):
        name = scheme.group(1).lower()
        if name not in TRANSPORTS:
            raise ValueError(f"unsupported transport {name!r} in {spec!r} (use udp or tcp)")
        transports = (name,)  # type: ignore[assignment]
        rest = spec[scheme.end():]
    host, port = _split_host_port(rest, spec)
    return [ListenSpec(transport, host, port) for transport in transports]


def _split_host_port(rest: str, spec: str) -> tuple[str, int]:
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            raise ValueError(f"missing ']' after the IPv6 address in {spec!r}")
        host = rest[1:close]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host!r} in {spec!r} is not an IPv6 address") from None
        after = rest[close + 1:]
        if not after.startswith(":"):
            raise ValueError(f"missing ':PORT' after the address in {spec!r}")
        return host, _port(after[1:], spec)
    if ":" not in rest:
        raise ValueError(f"missing ':PORT' in {spec!r} (expected e.g. 'udp:0.0.0.0:5060')")
    host, port_text = rest.rsplit(":", 1)
    if ":" in host:
        raise ValueError(f"put the IPv6 address in brackets in {spec!r}, e.g. 'udp:[::1]:5060'")
    if not host:
        raise ValueError(f"missing host in {spec!r} (use 0.0.0.0 for every address)")
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ValueError(f"{host!r} in {spec!r} is not an IPv4 address") from None
    elif not _HOSTNAME.match(host):
        raise ValueError(f"{host!r} in {spec!r} is not a host name or address")
    return host, _port(port_text, spec)


def _port(text: str, spec: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"port {text!r} in {spec!r} is not a number")
    port = int(text)
    if port > 65535:
        raise ValueError(f"port {port} in {spec!r} is out of range (0-65535)")
    return port
