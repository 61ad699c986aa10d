"""Where a message came from and where a response goes (RFC 3261 §18.2, RFC 3581).

Pure functions over the top Via and the address a request really came from.

The rule that matters for safety: the switch never sends to a host that a message merely
names. Over UDP a response goes to the address the request came from (the `received`
address), and, when the sent-by host is not that address or the client asked for rport,
to the port it came from too (symmetric response routing, as Asterisk's force_rport).
`maddr` is ignored. Over a reliable transport the response goes back on the connection
the request arrived on.
"""

from __future__ import annotations

from dataclasses import dataclass

from softswitch.sip.headers import Via
from softswitch.sip.message import Request
from softswitch.sip.uri import DEFAULT_PORTS

#: transports that retransmit for us, so the transaction timers A, E, G are not started
#: and D, I, J, K are zero (RFC 3261 §17)
RELIABLE_TRANSPORTS = frozenset({"tcp", "tls", "sctp", "tls-sctp", "ws", "wss"})
#: the default port of a transport when a Via names none (RFC 3261 §18.2.2, §19.1.2)
DEFAULT_TRANSPORT_PORTS = {"tls": DEFAULT_PORTS["sips"], "wss": 443, "ws": 80}


@dataclass(frozen=True)
class Source:
    """Where a message came from; `connection` names the TCP connection, None over UDP."""

    transport: str
    host: str
    port: int
    connection: int | None = None


@dataclass(frozen=True)
class Destination:
    """Where to send; `connection` is an existing connection to use, if any."""

    transport: str
    host: str
    port: int
    connection: int | None = None


def reply_to(source: Source) -> Destination:
    """Where a message goes back to whoever sent `source`'s message: the same address,
    port and connection (symmetric routing, as for responses)."""
    return Destination(source.transport, source.host, source.port, source.connection)


def is_reliable(transport: str) -> bool:
    return transport.lower() in RELIABLE_TRANSPORTS


def default_port(transport: str) -> int:
    return DEFAULT_TRANSPORT_PORTS.get(transport.lower(), DEFAULT_PORTS["sip"])


def _same_host(a: str, b: str) -> bool:
    return a.strip("[]").lower() == b.strip("[]").lower()


def stamped_via(via: Via, source: Source) -> Via:
    """The top Via as a server records it on receipt (§18.2.1, RFC 3581 §4).

    `received` is set to the source address when the sent-by host is another one, and
    any `received` the client wrote itself is dropped; an empty `rport` is filled with
    the source port.
    """
    params = dict(via.params)
    params.pop("received", None)
    if not _same_host(via.host, source.host):
        params["received"] = source.host
    if "rport" in params and not params["rport"]:
        params["rport"] = str(source.port)
    # keep received before rport, as most stacks write them
    if "received" in params and "rport" in params:
        rport = params.pop("rport")
        params["rport"] = rport
    return Via(via.transport, via.host, via.port, params)


def stamp_request(request: Request, source: Source) -> None:
    """Rewrite the request's top Via in place with `received`/`rport` (see stamped_via)."""
    top = request.top_via
    stamped = stamped_via(top, source)
    if stamped.params == top.params:
        return
    headers = request.headers
    headers.remove_first("via")
    headers.prepend("Via", str(stamped))


def response_destination(via: Via, source: Source) -> Destination:
    """Where the response to a request with top Via `via`, received from `source`, goes.

    Reliable transport: the same connection; should it be gone, the edge opens one to
    the source address at the sent-by port (§18.2.2), never to the sent-by host.
    Unreliable transport: always the source address; the source port when the client
    asked for rport or when the sent-by host is not the source (symmetric routing), else
    the sent-by port or the transport's default port.
    """
    transport = source.transport.lower()
    if is_reliable(transport):
        port = via.port if via.port is not None else default_port(transport)
        return Destination(transport, source.host, port, source.connection)
    if via.has_rport or not _same_host(via.host, source.host):
        port = source.port
    else:
        port = via.port if via.port is not None else default_port(transport)
    return Destination(transport, source.host, port, None)
