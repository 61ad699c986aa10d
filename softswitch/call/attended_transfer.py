"""Attended transfer: a REFER whose Refer-To carries Replaces (RFC 3891, RFC 5589 §7).

The transferor talks to A in one call and to C in another, then REFERs its dialog with
A to C, naming its dialog with C in the Replaces header of the Refer-To URI. The B2BUA
bridges A with C and hangs up both of the transferor's legs; this module reads the
REFER and tells whether a dialog is the one named.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from softswitch.errors import ProtocolError
from softswitch.sip.dialog import DialogId
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import Request
from softswitch.sip.uri import SipURI


@dataclass(frozen=True)
class Replaces:
    """The dialog a Replaces header names: its Call-ID and the tags of both ends."""

    call_id: str
    to_tag: str
    from_tag: str
    early_only: bool = False

    def names(self, dialog: DialogId) -> bool:
        """RFC 3891 §3 names the tags as the sender of the INVITE sees them; the
        transferor names its dialog with us, so either end's tag may be ours: the Call-ID
        and the pair of tags must match, in either order."""
        return dialog.call_id == self.call_id and {dialog.local_tag, dialog.remote_tag} \
            == {self.to_tag, self.from_tag}


def parse_replaces(value: str) -> Replaces | None:
    """`callid;to-tag=X;from-tag=Y[;early-only]` (RFC 3891 §6.1), or None."""
    call_id, *params = (part.strip() for part in value.split(";"))
    tags: dict[str, str] = {}
    early_only = False
    for param in params:
        name, sep, tag = param.partition("=")
        name = name.strip().lower()
        if name == "early-only" and not sep:
            early_only = True
        elif name in ("to-tag", "from-tag") and sep and tag.strip():
            tags[name] = tag.strip()
    if not call_id or set(tags) != {"to-tag", "from-tag"}:
        return None
    return Replaces(call_id, tags["to-tag"], tags["from-tag"], early_only)


def replaces_of(request: Request) -> Replaces | None:
    """The dialog a REFER's Refer-To asks to replace, or None for a blind transfer (or a
    Refer-To that cannot be read, which the blind-transfer path refuses)."""
    values = request.headers.get_all("refer-to")
    if len(values) != 1:
        return None
    try:
        uri = parse_name_addr(values[0]).uri
    except ProtocolError:
        return None
    if not isinstance(uri, SipURI):
        return None
    for name, value in uri.headers.items():
        if name.lower() == "replaces":
            return parse_replaces(unquote(value))
    return None


__all__ = ["Replaces", "parse_replaces", "replaces_of"]
