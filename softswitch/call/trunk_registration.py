"""Outbound registration to a carrier: a sans-IO REGISTER client per trunk.

Each `TrunkRegistration` is a small state machine whose transitions are a table
(state x outcome -> next state); it builds REGISTER requests and is told what came back
and the time. `TrunkRegistrations` drives all of them through the switch's transaction
layer, so retransmissions and timeouts are the layer's, and answers what the edge must
know: its one timer, the transactions it owns, and status for logs (never the password).
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from softswitch.call.actions import Action, LogEvent
from softswitch.config.trunks import TrunkConfig
from softswitch.errors import ProtocolError
from softswitch.sip.auth import answer_challenge, choose_challenge
from softswitch.sip.message import Headers, Request, Response
from softswitch.sip.routing import Destination
from softswitch.sip.transaction import TransactionError, TransactionLayer
from softswitch.sip.transaction_events import TransactionId
from softswitch.sip.uri import format_host, parse_uri
from softswitch.timers import Deadlines

log = logging.getLogger(__name__)

#: re-register when this share of the granted time has passed
REFRESH_AT = 0.8
FIRST_BACKOFF = 5.0
MAX_BACKOFF = 300.0


class RegState(Enum):
    IDLE = "idle"                    # not started, or waiting to retry
    REGISTERING = "registering"      # REGISTER out without credentials we trust yet
    AUTHENTICATING = "authenticating"  # REGISTER out answering a fresh challenge
    REGISTERED = "registered"
    FAILED = "failed"                # last attempt failed; a retry is scheduled


class Outcome(Enum):
    OK = "2xx"
    CHALLENGED = "401/407"
    REJECTED = "other final"
    TIMED_OUT = "timeout"


#: (state, outcome) -> next state. A challenge is answered once per attempt; a second
#: challenge to our answer (and not marked stale) means the credentials are wrong.
TRANSITIONS: dict[tuple[RegState, Outcome], RegState] = {
    (RegState.REGISTERING, Outcome.OK): RegState.REGISTERED,
    (RegState.REGISTERING, Outcome.CHALLENGED): RegState.AUTHENTICATING,
    (RegState.REGISTERING, Outcome.REJECTED): RegState.FAILED,
    (RegState.REGISTERING, Outcome.TIMED_OUT): RegState.FAILED,
    (RegState.AUTHENTICATING, Outcome.OK): RegState.REGISTERED,
    (RegState.AUTHENTICATING, Outcome.CHALLENGED): RegState.FAILED,
    (RegState.AUTHENTICATING, Outcome.REJECTED): RegState.FAILED,
    (RegState.AUTHENTICATING, Outcome.TIMED_OUT): RegState.FAILED,
}


def _outcome(status: int) -> Outcome:
    if 200 <= status < 300:
        return Outcome.OK
    if status in (401, 407):
        return Outcome.CHALLENGED
    return Outcome.REJECTED


@dataclass(frozen=True)
class RegistrationStatus:
    """What an operator sees: safe to log and show."""

    trunk: str
    state: str
    registered_until: float | None
    last_status: int | None
    failures: int


class TrunkRegistration:
    """One trunk's REGISTER client. `next_request(now)` gives the REGISTER to send when its
    timer is due; `on_response`/`on_timeout` feed back what happened and may give the
    next request to send at once (an answered challenge)."""

    def __init__(self, trunk: TrunkConfig, contact: str, *, local_via: str,
                 call_id: str | None = None, tag: str | None = None,
                 cnonce: Callable[[], str] = lambda: secrets.token_hex(8)) -> None:
        if trunk.username is None or trunk.password is None:
            raise ValueError(f"trunk {trunk.name!r} has no credentials to register with")
        self.trunk = trunk
        self.contact = contact
        self._via = local_via
        self._call_id = call_id or secrets.token_hex(12)
        self._tag = tag or secrets.token_hex(6)
        self._cnonce = cnonce
        self._cseq = itertools.count(1)
        self.state = RegState.IDLE
        self.due: float | None = 0.0  # register at once when started
        self.registered_until: float | None = None
        self.last_status: int | None = None
        self.failures = 0
        self._challenge: tuple[str, str] | None = None  # (header name, challenge value)
        self._nc = 0
        self._uri = f"sip:{format_host(trunk.host)}" + (
            "" if trunk.port == 5060 else f":{trunk.port}")

    @property
    def destination(self) -> Destination:
        return Destination(self.trunk.transport, self.trunk.host, self.trunk.port, None)

    def status(self) -> RegistrationStatus:
        return RegistrationStatus(self.trunk.name, self.state.value, self.registered_until,
                                  self.last_status, self.failures)

    # -- requests ----------------------------------------------------------------------

    def next_request(self, now: float) -> Request | None:
        """The REGISTER to send now, if the timer is due."""
        if self.due is None or now < self.due:
            return None
        self.due = None
        if self.registered_until is not None and now >= self.registered_until:
            self.registered_until = None
        self.state = RegState.REGISTERING
        return self._register()

    def _register(self) -> Request:
        trunk = self.trunk
        aor = f"sip:{trunk.username}@{format_host(trunk.domain)}"
        seq = next(self._cseq)
        headers = Headers([
            ("Via", self._via), ("Max-Forwards", "70"),
            ("From", f"<{aor}>;tag={self._tag}"), ("To", f"<{aor}>"),
            ("Call-ID", self._call_id), ("CSeq", f"{seq} REGISTER"),
            ("Contact", f"<{self.contact}>"), ("Expires", str(trunk.expires))])
        if self._challenge is not None:
            name, value = self._challenge
            self._nc += 1
            assert trunk.username is not None and trunk.password is not None
            try:
                headers.add(name, answer_challenge(value, "REGISTER", self._uri,
                                                   trunk.username, trunk.password,
                                                   self._cnonce(), self._nc))
            except ProtocolError:
                self._challenge = None
        return Request("REGISTER", parse_uri(self._uri), headers)

    # -- answers -------------------------------------------------------------------------

    def on_response(self, response: Response, now: float) -> Request | None:
        status = response.status
        if status < 200:
            return None
        self.last_status = status
        outcome = _outcome(status)
        challenge = self._read_challenge(response) if outcome is Outcome.CHALLENGED else None
        if outcome is Outcome.CHALLENGED and challenge is None:
            outcome = Outcome.REJECTED
        stale = challenge is not None and "stale=true" in challenge[1].replace(" ", "").lower()
        if outcome is Outcome.CHALLENGED and stale:
            self.state = RegState.REGISTERING  # a fresh nonce, not a wrong password
        self.state = TRANSITIONS.get((self.state, outcome), RegState.FAILED)
        if self.state is RegState.AUTHENTICATING:
            assert challenge is not None
            self._challenge = challenge
            self._nc = 0
            return self._register()
        if self.state is RegState.REGISTERED:
            granted = self._granted(response)
            self.failures = 0
            self.registered_until = now + granted
            self.due = now + granted * REFRESH_AT
            return None
        self._failed(now)
        return None

    def on_timeout(self, now: float) -> None:
        self.state = TRANSITIONS.get((self.state, Outcome.TIMED_OUT), RegState.FAILED)
        self._failed(now)

    def _failed(self, now: float) -> None:
        self.state = RegState.FAILED
        self._challenge = None
        self.failures += 1
        self.due = now + self.backoff()

    def backoff(self) -> float:
        """5 s after the first failure, doubling to at most 5 minutes."""
        return min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** max(0, self.failures - 1))

    def _read_challenge(self, response: Response) -> tuple[str, str] | None:
        header = "www-authenticate" if response.status == 401 else "proxy-authenticate"
        answer = "Authorization" if response.status == 401 else "Proxy-Authorization"
        try:
            return answer, choose_challenge(response.headers.get_all(header))
        except ProtocolError:
            return None

    def _granted(self, response: Response) -> float:
        """The expiry the registrar granted our contact: its Contact expires parameter,
        else the Expires header, else what we asked for."""
        for value in response.headers.get_all("contact"):
            if self.contact in value:
                for param in value.split(";")[1:]:
                    key, _, number = param.strip().partition("=")
                    if key.lower() == "expires" and number.strip().isdigit():
                        return float(number.strip())
        expires = response.headers.get("expires")
        if expires is not None and expires.strip().isdigit():
            return float(expires.strip())
        return float(self.trunk.expires)


class TrunkRegistrations:
    """All trunks that register, driven through the switch's transaction layer."""

    def __init__(self, layer: TransactionLayer, clients: list[TrunkRegistration]) -> None:
        self.layer = layer
        self.clients = clients
        self._by_tid: dict[TransactionId, TrunkRegistration] = {}
        self._timers: Deadlines[str] = Deadlines()
        for client in clients:
            if client.due is not None:
                self._timers.set(client.trunk.name, client.due)

    def owns(self, tid: TransactionId) -> bool:
        return tid in self._by_tid

    def get_timer(self) -> float | None:
        return self._timers.next()

    def status(self) -> list[RegistrationStatus]:
        return [client.status() for client in self.clients]

    def handle_timer(self, now: float) -> list[Action]:
        due = set(self._timers.pop_due(now))
        for client in self.clients:
            if client.trunk.name in due:
                request = client.next_request(now)
                if request is not None:
                    self._send(client, request, now)
                self._rearm(client)
        return []

    def on_response(self, tid: TransactionId, response: Response,
                    now: float) -> list[Action]:
        client = self._by_tid.get(tid)
        if client is None or response.status < 200:
            return []
        del self._by_tid[tid]
        before = client.state
        follow = client.on_response(response, now)
        if follow is not None:
            self._send(client, follow, now)
        self._rearm(client)
        return self._report(client, before)

    def on_timeout(self, tid: TransactionId, now: float) -> list[Action]:
        client = self._by_tid.pop(tid, None)
        if client is None:
            return []
        before = client.state
        client.on_timeout(now)
        self._rearm(client)
        return self._report(client, before)

    def _send(self, client: TrunkRegistration, request: Request, now: float) -> None:
        try:
            tid = self.layer.send_request(request, client.destination, now)
        except TransactionError as error:
            log.warning("trunk %s: REGISTER not sent: %s", client.trunk.name, error)
            client.on_timeout(now)
            return
        self._by_tid[tid] = client

    def _rearm(self, client: TrunkRegistration) -> None:
        if client.due is None:
            self._timers.cancel(client.trunk.name)
        else:
            self._timers.set(client.trunk.name, client.due)

    def _report(self, client: TrunkRegistration, before: RegState) -> list[Action]:
        state = client.state
        if state is RegState.AUTHENTICATING:
            return []
        if state is RegState.REGISTERED:
            if before is not RegState.REGISTERED:
                log.info("trunk %s registered (status %s)", client.trunk.name,
                         client.last_status)
            return [LogEvent("trunk.registered", {
                "trunk": client.trunk.name, "until": client.registered_until})]
        log.warning("trunk %s: registration failed (status %s), retry in %.0f s",
                    client.trunk.name, client.last_status, client.backoff())
        return [LogEvent("trunk.registration_failed", {
            "trunk": client.trunk.name, "status": client.last_status,
            "failures": client.failures})]


__all__ = [
    "REFRESH_AT",
    "TRANSITIONS",
    "RegState",
    "RegistrationStatus",
    "TrunkRegistration",
    "TrunkRegistrations",
]


def registrations_for(layer: TransactionLayer, trunks: Sequence[TrunkConfig],
                      local: dict[str, tuple[str, int]], now: float) -> TrunkRegistrations:
    """A REGISTER client for each trunk that registers, all due at once."""
    clients = []
    for trunk in trunks:
        if not trunk.register:
            continue
        host, port = local.get(trunk.transport) or next(iter(local.values()))
        suffix = "" if trunk.transport == "udp" else f";transport={trunk.transport}"
        contact = f"sip:{trunk.username}@{format_host(host)}:{port}{suffix}"
        via = f"SIP/2.0/{trunk.transport.upper()} {format_host(host)}:{port};rport"
        client = TrunkRegistration(trunk, contact, local_via=via)
        client.due = now
        clients.append(client)
    return TrunkRegistrations(layer, clients)
