"""The registrar: REGISTER processing as RFC 3261 §10.3 describes it, sans-IO.

The caller authenticates first (`softswitch.sip.auth`) and passes the proven username;
the registrar checks it owns the address-of-record, applies the Contact changes all or
nothing, and returns the response plus the binding changes for storage to persist.

`now` is wall-clock seconds (`Clock.wall()`): bindings are persisted and must still mean
something after a restart.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from softswitch.call.location import Binding, Location, contact_uri
from softswitch.errors import ProtocolError
from softswitch.sip.headers import NameAddr
from softswitch.sip.message import Request, Response, make_response
from softswitch.sip.uri import SipURI, uri_equal

_MAX_USER_AGENT = 256


@dataclass(frozen=True)
class RegistrarPolicy:
    min_expires: int = 60
    max_expires: int = 3600
    default_expires: int = 3600
    max_contacts: int = 10  # per address-of-record
    #: the domains we are registrar for (To host); empty accepts any host, which is what
    #: phones configured with the switch's IP address need
    domains: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not 0 < self.min_expires <= self.default_expires <= self.max_expires:
            raise ValueError("need 0 < min_expires <= default_expires <= max_expires")
        if self.max_contacts < 1:
            raise ValueError("max_contacts must be at least 1")
        object.__setattr__(self, "domains", frozenset(d.lower() for d in self.domains))


@dataclass(frozen=True)
class Source:
    """Where a request really came from (not what its Via claims)."""

    transport: str
    host: str
    port: int
    connection_id: str = ""


class ChangeKind(enum.Enum):
    ADDED = "added"
    REFRESHED = "refreshed"
    REMOVED = "removed"
    EXPIRED = "expired"  # found past its time while handling a REGISTER for its AoR


@dataclass(frozen=True)
class BindingChange:
    kind: ChangeKind
    binding: Binding


@dataclass(frozen=True)
class RegisterResult:
    response: Response
    changes: tuple[BindingChange, ...] = ()


class _Refusal(Exception):
    """Ends REGISTER processing with a response and no changes."""

    def __init__(self, status: int, reason: str | None = None,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(reason or str(status))
        self.status = status
        self.reason = reason
        self.headers = headers


def _new_tag() -> str:
    return secrets.token_hex(8)


class Registrar:
    """REGISTER handling over a `Location`; one per process, no I/O."""

    def __init__(self, policy: RegistrarPolicy | None = None, location: Location | None = None,
                 *, tag_factory: Callable[[], str] = _new_tag) -> None:
        self.policy = policy or RegistrarPolicy()
        self.location = location if location is not None else Location()
        self._new_tag = tag_factory

    # ---------------------------------------------------------------- the service

    def lookup(self, aor: str, now: float | None = None) -> list[Binding]:
        return self.location.lookup(aor, now)

    def expire(self, now: float) -> list[Binding]:
        return self.location.expire(now)

    def next_expiry(self) -> float | None:
        return self.location.next_expiry()

    def load(self, bindings: Iterable[Binding], now: float) -> list[Binding]:
        return self.location.load(bindings, now)

    # ---------------------------------------------------------------- REGISTER

    def register(self, request: Request, authenticated_user: str, source: Source,
                 now: float) -> RegisterResult:
        """Process an authenticated REGISTER; the response is always one to send."""
        if request.method != "REGISTER":
            raise ValueError(f"the registrar handles REGISTER, not {request.method}")
        try:
            return self._register(request, authenticated_user, source, now)
        except _Refusal as refusal:
            return RegisterResult(self._refuse(request, refusal.status, refusal.reason,
                                               refusal.headers))
        except ProtocolError as exc:
            return RegisterResult(self._refuse(request, exc.status, exc.reason, exc.headers))

    def _refuse(self, request: Request, status: int, reason: str | None,
                headers: tuple[tuple[str, str], ...]) -> Response:
        try:
            return make_response(request, status, reason, to_tag=self._new_tag(),
                                 headers=headers)
        except ProtocolError:  # a To too broken to tag: answer without adding one
            return make_response(request, status, reason, headers=headers)

    def _register(self, request: Request, user: str, source: Source,
                  now: float) -> RegisterResult:
        aor = self._address_of_record(request.to)
        if aor != user:
            raise _Refusal(403, "Forbidden (not your address-of-record)")
        call_id = request.call_id
        cseq = request.cseq.seq
        header_expires = self._header_expires(request)
        policy = self.policy
        everything = self.location.lookup(aor)
        current = [b for b in everything if b.expires_at > now]
        changes: list[BindingChange] = [BindingChange(ChangeKind.EXPIRED, b)
                                        for b in everything if b.expires_at <= now]
        if request.contact_is_wildcard:
            if header_expires != 0:
                raise _Refusal(400, "Bad Request (Contact * needs Expires: 0)")
            for binding in current:
                self._check_order(binding, call_id, cseq)
                changes.append(BindingChange(ChangeKind.REMOVED, binding))
        else:
            contacts = request.contacts
            wanted = [(self._contact(c), self._expires(c, header_expires)) for c in contacts]
            too_short = [e for _, e in wanted if 0 < e < policy.min_expires]
            if too_short:
                raise _Refusal(423, "Interval Too Brief",
                               (("Min-Expires", str(policy.min_expires)),))
            user_agent = (request.headers.get("user-agent") or "")[:_MAX_USER_AGENT]
            state: list[tuple[SipURI, Binding]] = [
                (contact_uri(b), b) for b in current]
            for (uri, instance, q), expires in wanted:
                changes.extend(self._apply(state, aor, uri, instance, q, expires, call_id,
                                           cseq, user_agent, source, now))
            if len(state) > policy.max_contacts and any(
                    c.kind is ChangeKind.ADDED for c in changes):
                raise _Refusal(403, "Forbidden (too many contacts)")

        gone = (ChangeKind.REMOVED, ChangeKind.EXPIRED)
        for change in changes:
            if change.kind in gone:
                self.location.remove(change.binding)
        for change in changes:
            if change.kind not in gone:
                self.location.put(change.binding)
        return RegisterResult(self._ok(request, aor, now), tuple(changes))

    # ---------------------------------------------------------------- steps

    def _address_of_record(self, to: NameAddr) -> str:
        uri = to.uri
        if not isinstance(uri, SipURI) or not uri.user:
            raise _Refusal(404, "Not Found (no address-of-record)")
        if self.policy.domains and uri.host.lower() not in self.policy.domains:
            raise _Refusal(404, "Not Found (not a domain served here)")
        return uri.user

    def _header_expires(self, request: Request) -> int:
        """The Expires header, or the default; malformed counts as absent (RFC 3261 §20.19)."""
        try:
            value = request.expires
        except ProtocolError:
            value = None
        return self.policy.default_expires if value is None else value

    def _expires(self, contact: NameAddr, header_expires: int) -> int:
        raw = contact.params.get("expires")
        value = header_expires
        if raw is not None and raw.isascii() and raw.isdigit():
            value = int(raw)
        return min(value, self.policy.max_expires)

    def _contact(self, contact: NameAddr) -> tuple[SipURI, str, float | None]:
        uri = contact.uri
        if not isinstance(uri, SipURI):
            raise _Refusal(400, f"Bad Request (contact scheme {uri.scheme} unsupported)")
        q: float | None = None
        raw_q = contact.params.get("q")
        if raw_q is not None:
            try:
                q = float(raw_q)
            except ValueError:
                raise _Refusal(400, "Bad Request (malformed q)") from None
            if not 0.0 <= q <= 1.0:
                raise _Refusal(400, "Bad Request (q out of range)")
        instance = (contact.params.get("+sip.instance") or "").strip('"')
        return uri, instance, q

    @staticmethod
    def _check_order(binding: Binding, call_id: str, cseq: int) -> None:
        # §10.3 step 7: same Call-ID with a CSeq not above the stored one aborts the update
        if binding.call_id == call_id and cseq <= binding.cseq:
            raise _Refusal(500, "Server Internal Error (CSeq out of order)")

    def _apply(self, state: list[tuple[SipURI, Binding]], aor: str, uri: SipURI,
               instance: str, q: float | None, expires: int, call_id: str, cseq: int,
               user_agent: str, source: Source, now: float) -> list[BindingChange]:
        """One Contact against the working set of bindings `state` (changed in place)."""
        same = next((i for i, (u, _) in enumerate(state) if uri_equal(u, uri)), None)
        moved = False
        if same is None and instance:
            # the same device (RFC 5626 instance) registering from a new address
            same = next((i for i, (_, b) in enumerate(state) if b.instance == instance),
                        None)
            moved = same is not None
        if same is None:
            if expires == 0:
                return []
            fresh = self._binding(aor, uri, instance, q, expires, call_id, cseq,
                                  user_agent, source, now)
            state.append((uri, fresh))
            return [BindingChange(ChangeKind.ADDED, fresh)]
        existing = state[same][1]
        self._check_order(existing, call_id, cseq)
        if expires == 0:
            del state[same]
            return [BindingChange(ChangeKind.REMOVED, existing)]
        fresh = self._binding(aor, uri, instance, q, expires, call_id, cseq, user_agent,
                              source, now)
        if moved:
            del state[same]
            state.append((uri, fresh))
            return [BindingChange(ChangeKind.REMOVED, existing),
                    BindingChange(ChangeKind.ADDED, fresh)]
        refreshed = replace(fresh, contact=existing.contact,
                            registered_at=existing.registered_at)
        state[same] = (state[same][0], refreshed)
        return [BindingChange(ChangeKind.REFRESHED, refreshed)]

    @staticmethod
    def _binding(aor: str, uri: SipURI, instance: str, q: float | None, expires: int,
                 call_id: str, cseq: int, user_agent: str, source: Source,
                 now: float) -> Binding:
        return Binding(aor=aor, contact=str(uri), expires_at=now + expires, call_id=call_id,
                       cseq=cseq, registered_at=now, refreshed_at=now,
                       source_transport=source.transport.upper(), source_host=source.host,
                       source_port=source.port, connection_id=source.connection_id, q=q,
                       user_agent=user_agent, instance=instance)

    def _ok(self, request: Request, aor: str, now: float) -> Response:
        headers = []
        for binding in self.location.lookup(aor, now):
            q = f";q={binding.q:g}" if binding.q is not None else ""
            headers.append(("Contact",
                            f"<{binding.contact}>;expires={binding.remaining(now)}{q}"))
        return make_response(request, 200, "OK", to_tag=self._new_tag(), headers=headers)
