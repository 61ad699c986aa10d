"""The bodies of NOTIFY for the event packages the switch serves.

message-summary (RFC 3842) tells a phone its mailbox counts (the message-waiting lamp);
dialog (RFC 4235) tells it what another extension's lines are doing (busy-lamp field).
Each package renders the full state every time: no partial dialog-info to get wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from xml.sax.saxutils import escape, quoteattr

from softswitch.call.line_states import LineStates


class EventPackage(Protocol):
    name: str
    content_type: str
    #: only the resource's own user may subscribe (a mailbox), not any user (a lamp)
    own_only: bool

    def body(self, resource: str, version: int) -> bytes: ...


def _account(resource: str, domain: str) -> str:
    return f"sip:{resource}@{domain}"


@dataclass(frozen=True)
class MessageSummary:
    """`counts(extension)` gives (new, old) voice messages."""

    counts: Callable[[str], tuple[int, int]]
    domain: str
    name: str = "message-summary"
    content_type: str = "application/simple-message-summary"
    own_only: bool = True

    def body(self, resource: str, version: int) -> bytes:
        new, old = self.counts(resource)
        waiting = "yes" if new else "no"
        return (f"Messages-Waiting: {waiting}\r\n"
                f"Message-Account: {_account(resource, self.domain)}\r\n"
                f"Voice-Message: {new}/{old} (0/0)\r\n").encode()


@dataclass(frozen=True)
class DialogInfo:
    lines: LineStates
    domain: str
    name: str = "dialog"
    content_type: str = "application/dialog-info+xml"
    own_only: bool = False

    def body(self, resource: str, version: int) -> bytes:
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
                 f'<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" '
                 f'version="{version}" state="full" '
                 f'entity={quoteattr(_account(resource, self.domain))}>\n']
        for n, dialog in enumerate(self.lines.dialogs(resource)):
            parts.append(
                f'  <dialog id="d{n}" call-id={quoteattr(dialog.call_id)} '
                f'direction="{dialog.direction}">\n'
                f'    <state>{dialog.state}</state>\n'
                f'    <remote><identity>{escape(_account(dialog.peer, self.domain))}'
                f'</identity></remote>\n'
                '  </dialog>\n')
        parts.append("</dialog-info>\n")
        return "".join(parts).encode()
