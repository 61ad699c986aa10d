"""Blind transfer (RFC 3515 REFER, RFC 3420 sipfrag NOTIFY): what the messages say.

The B2BUA keeps the party that stays (the anchor) and rings the target in its place;
this module reads the REFER and builds the NOTIFYs that tell the transferor how it went.
"""

from __future__ import annotations

from softswitch.errors import ProtocolError
from softswitch.sip.dialog import Dialog
from softswitch.sip.grammar import reason_phrase
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import Request
from softswitch.sip.uri import SipURI

SIPFRAG = "message/sipfrag;version=2.0"


def refer_target(request: Request) -> str | None:
    """The number a REFER asks us to ring, or None when it names none we can use
    (no Refer-To, not a SIP URI, an attended transfer with Replaces)."""
    values = request.headers.get_all("refer-to")
    if len(values) != 1:
        return None
    try:
        target = parse_name_addr(values[0])
    except ProtocolError:
        return None
    uri = target.uri
    if not isinstance(uri, SipURI) or not uri.user:
        return None
    if any(name.lower() == "replaces" for name in uri.headers):
        return None
    return uri.user


def transfer_notify(dialog: Dialog, via: str, status: int) -> Request:
    """The NOTIFY reporting the transfer's progress as the status line of a sipfrag;
    a final status ends the implicit subscription."""
    state = "active;expires=60" if status < 200 else "terminated;reason=noresource"
    return dialog.create_request(
        "NOTIFY", via=via,
        headers=[("Event", "refer"), ("Subscription-State", state)],
        body=f"SIP/2.0 {status} {reason_phrase(status)}\r\n".encode(),
        content_type=SIPFRAG)
