"""Which transaction a message belongs to (RFC 3261 §17.1.3, §17.2.3, §9.2).

Keys are plain tuples so the layer can index transactions in dicts. A request whose
top Via branch starts with the magic cookie is matched by branch, sent-by and method (an
ACK looks for its INVITE); an older RFC 2543 request by Request-URI, From tag, Call-ID,
CSeq number and top Via, the To tag being checked separately (`to_tag_matches`) because
the ACK carries the tag of the response rather than that of the INVITE.
"""

from __future__ import annotations

import secrets

from softswitch.sip.message import Request, Response

MAGIC_COOKIE = "z9hG4bK"

ServerKey = tuple[object, ...]
ClientKey = tuple[str, str]


def new_branch() -> str:
    """A fresh RFC 3261 branch: the magic cookie and 64 random bits."""
    return MAGIC_COOKIE + secrets.token_hex(8)


def is_rfc3261_branch(branch: str | None) -> bool:
    return branch is not None and branch.startswith(MAGIC_COOKIE) and len(branch) > 7


def server_key(request: Request, method: str | None = None) -> ServerKey:
    """The server transaction `request` belongs to; `method` overrides the request's.

    ACK is keyed as INVITE (it belongs to the INVITE's transaction); pass method="INVITE"
    to find the INVITE a CANCEL cancels.
    """
    if method is None:
        method = "INVITE" if request.method == "ACK" else request.method
    via = request.top_via
    branch = via.branch
    if is_rfc3261_branch(branch):
        assert branch is not None
        return ("3261", branch, via.host.lower(), via.port, method)
    return ("2543", str(request.uri), request.from_.tag, request.call_id, request.cseq.seq,
            via.transport, via.host.lower(), via.port, branch, method)


def to_tag_matches(incoming: Request, original: Request, last: Response | None) -> bool:
    """§17.2.3 for RFC 2543 requests: the To tag must be the request's or, for an ACK,
    that of the response the transaction sent."""
    if incoming.method == "ACK":
        expected = last.to.tag if last is not None else None
    else:
        expected = original.to.tag
    return incoming.to.tag == expected


def client_key(message: Request | Response) -> ClientKey | None:
    """The client transaction a response belongs to: top Via branch and CSeq method."""
    branch = message.top_via.branch
    if branch is None:
        return None
    return (branch, message.cseq.method)
