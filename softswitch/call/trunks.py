"""Trunks in calls: who is a carrier, where its calls go, and which calls may leave by it.

Pure decisions, no state beyond the configuration. Inbound, a trunk is recognised only by
the address its INVITE came from (its host or its listed sources), never by anything
the request says about itself, and its dialled number is looked up in [[dids]]: so a
carrier's call can reach an extension but never another trunk. Outbound, a number goes
to the first trunk whose pattern it matches and that the authenticated caller may use.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from softswitch.call.location import Binding
from softswitch.config.dids import DidConfig
from softswitch.config.trunks import TrunkConfig, split_source
from softswitch.errors import ProtocolError
from softswitch.sip.auth import answer_challenge, choose_challenge
from softswitch.sip.message import Request, Response
from softswitch.sip.routing import Source
from softswitch.sip.uri import SipURI, format_host


@dataclass(frozen=True)
class Inbound:
    """A carrier's INVITE: the trunk it came on, the number dialled, and where it goes
    (an extension; None when the number is not one of ours or leads elsewhere)."""

    trunk: TrunkConfig
    number: str
    extension: str | None


@dataclass(frozen=True)
class Outbound:
    """A call leaving by `trunk` to `number` (already stripped and prefixed)."""

    trunk: TrunkConfig
    number: str
    caller_id: str
    #: the carrier as a contact to ring, so a callee leg is built as for a phone
    binding: Binding = field(repr=False)


@dataclass(frozen=True)
class NotAllowed:
    """The number is a trunk's, but the caller may use none of the trunks that take it."""

    number: str
    trunks: tuple[str, ...]


def _dialled(request: Request) -> list[str]:
    """The numbers a carrier may have put the DID in: Request-URI user, then To user."""
    out = []
    if isinstance(request.uri, SipURI) and request.uri.user:
        out.append(request.uri.user)
    try:
        to_uri = request.to.uri
    except ProtocolError:
        to_uri = None
    if isinstance(to_uri, SipURI) and to_uri.user and to_uri.user not in out:
        out.append(to_uri.user)
    return out


class TrunkRouter:
    def __init__(self, trunks: Sequence[TrunkConfig], dids: Sequence[DidConfig]) -> None:
        self.trunks = tuple(trunks)
        self._dids = {did.number: did for did in dids}
        self._by_source: dict[tuple[str, int | None], TrunkConfig] = {}
        for trunk in self.trunks:
            for text in trunk.sources:
                self._by_source.setdefault(split_source(text), trunk)

    def identify(self, source: Source) -> TrunkConfig | None:
        """The trunk whose listed address (with this port, or any port) sent this."""
        return (self._by_source.get((source.host, source.port))
                or self._by_source.get((source.host, None)))

    def inbound(self, request: Request, source: Source) -> Inbound | None:
        """None when the INVITE is not from a trunk (it is then a phone's: challenge it)."""
        trunk = self.identify(source)
        if trunk is None:
            return None
        numbers = _dialled(request)
        for number in numbers:
            for candidate in (number, number.lstrip("+")):
                did = self._dids.get(candidate)
                if did is not None:
                    kind, name = did.destination
                    return Inbound(trunk, candidate, name if kind == "extension" else None)
        return Inbound(trunk, numbers[0] if numbers else "", None)

    def outbound(self, user: str, number: str,
                 caller_id_of: Callable[[str], str | None] | None = None
                 ) -> Outbound | NotAllowed | None:
        """The trunk a number dialled by authenticated `user` leaves by; None when no
        trunk takes it (not a trunk number at all)."""
        refused: list[str] = []
        for trunk in self.trunks:
            pattern = next((p for p in trunk.patterns if p.match(number)), None)
            if pattern is None:
                continue
            if not trunk.allows(user):
                refused.append(trunk.name)
                continue
            strip = pattern.strip or (trunk.strip if pattern.text.startswith("^") else 0)
            dialled = trunk.prefix + number[strip:]
            caller_id = self.caller_id(trunk, user)
            return Outbound(trunk, dialled, caller_id, carrier_binding(trunk, dialled))
        if refused:
            return NotAllowed(number, tuple(refused))
        return None

    def caller_id(self, trunk: TrunkConfig, user: str) -> str:
        """What the carrier is told the caller is: a fixed number, the user's extension, or
        the DID that rings the user (else the trunk's own user name, else the extension)."""
        rule = trunk.caller_id
        if rule == "extension":
            return user
        if rule == "did":
            did = next((d.number for d in self._dids.values()
                        if d.destination == ("extension", user)), None)
            return did or trunk.user or user
        return rule


def carrier_binding(trunk: TrunkConfig, number: str) -> Binding:
    """The carrier as the one contact of `number`."""
    port = "" if trunk.port == 5060 and trunk.transport == "udp" else f":{trunk.port}"
    suffix = "" if trunk.transport == "udp" else f";transport={trunk.transport}"
    return Binding(aor=number, contact=f"sip:{number}@{format_host(trunk.host)}{port}{suffix}",
                   expires_at=float("inf"), call_id="", cseq=0, registered_at=0.0,
                   refreshed_at=0.0, source_transport=trunk.transport.upper(),
                   source_host=trunk.host, source_port=trunk.port)


def authorized_invite(invite: Request, response: Response, trunk: TrunkConfig,
                      cnonce: str | None = None) -> Request | None:
    """The INVITE again, answering the carrier's 401/407 with the trunk's credentials:
    the next CSeq, the same Call-ID and From tag, a new branch. None when there is nothing
    to answer with (no credentials, no usable challenge)."""
    if trunk.username is None or trunk.password is None:
        return None
    www = response.status == 401
    challenges = response.headers.get_all("www-authenticate" if www else "proxy-authenticate")
    try:
        challenge = choose_challenge(challenges)
        value = answer_challenge(challenge, "INVITE", str(invite.uri), trunk.username,
                                 trunk.password, cnonce or secrets.token_hex(8), 1)
    except ProtocolError:
        return None
    headers = invite.headers.copy()
    via = headers.get("via") or ""
    headers.remove_first("via")
    headers.prepend("Via", ";".join(p for p in via.split(";")
                                    if not p.strip().lower().startswith("branch=")))
    headers.set("CSeq", f"{invite.cseq.seq + 1} INVITE")
    headers.set("Authorization" if www else "Proxy-Authorization", value)
    return Request("INVITE", invite.uri, headers, invite.body)


__all__ = ["Inbound", "NotAllowed", "Outbound", "TrunkRouter", "authorized_invite",
           "carrier_binding"]
