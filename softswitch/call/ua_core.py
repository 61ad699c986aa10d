"""The switch's user-agent server core (RFC 3261 §8.2): what to answer to each request.

Sans-IO. It takes the transaction layer's events and the current time and returns
actions for the edge: responses to send on a transaction, binding changes to persist,
events to log. Method and header inspection happen here, before any service sees a
request: an unknown method gets 501, a known one we do not serve 405, both with Allow;
a Require we do not support gets 420 with Unsupported. Then it dispatches: REGISTER and
OPTIONS it answers itself; an INVITE is authenticated (401, as Asterisk does, since
pyVoIP ignores 407) and handed to the B2BUA as a new call; requests with a To tag go to
the B2BUA's dialogs (481 when none matches); the events of the transactions the B2BUA
started go back to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from softswitch.call.actions import Action, LogEvent, PersistBindings, Respond
from softswitch.call.b2bua import B2BUA, Offered
from softswitch.call.call_control import Originator
from softswitch.call.center_calls import CenterCalls
from softswitch.call.conference_calls import ConferenceCalls
from softswitch.call.dialplan import RingExtension
from softswitch.call.keepalive import ContactPinger
from softswitch.call.registrar import Registrar
from softswitch.call.registrar import Source as RegistrarSource
from softswitch.call.subscriptions import SubscriptionService
from softswitch.call.trunk_registration import TrunkRegistrations
from softswitch.call.trunks import Outbound, TrunkRouter
from softswitch.call.voicemail_calls import VoicemailCalls
from softswitch.errors import ProtocolError
from softswitch.sip.auth import WWW, AuthResult, DigestAuthenticator
from softswitch.sip.message import Request, Response, make_response
from softswitch.sip.routing import is_reliable
from softswitch.sip.throttle import AuthFailureThrottle
from softswitch.sip.transaction_events import (
    AckReceived,
    CancelReceived,
    RequestReceived,
    ResponseReceived,
    StrayResponse,
    TransactionEvent,
    TransactionTimeout,
)

__all__ = ["Action", "LogEvent", "PersistBindings", "Respond", "UserAgentCore"]

log = logging.getLogger(__name__)

#: methods this switch serves
ALLOWED = ("REGISTER", "OPTIONS", "INVITE", "ACK", "CANCEL", "BYE", "UPDATE", "REFER",
           "SUBSCRIBE")
#: methods it knows of (RFC 3261 and its extensions) but does not serve: 405
KNOWN_NOT_SERVED = frozenset({"NOTIFY", "MESSAGE", "INFO", "PRACK",
                              "PUBLISH"})
#: requests that belong to a dialog when they carry a To tag
_DIALOG_METHODS = frozenset({"INVITE", "BYE", "UPDATE", "REFER"})
#: option tags this switch implements (Require of anything else gets 420); none yet
SUPPORTED: tuple[str, ...] = ()
ACCEPT = "application/sdp"


def _capabilities() -> list[tuple[str, str]]:
    return [("Allow", ", ".join(ALLOWED)), ("Accept", ACCEPT),
            ("Supported", ", ".join(SUPPORTED))]


def _switch_answered(owner: Any, event: TransactionEvent, now: float, wall: float,
                     whole_response: bool) -> list[Action] | None:
    """An ACK, response or timeout for a call the switch answered itself (voicemail,
    conference rooms, the call center), or None when it is not that owner's."""
    if isinstance(event, AckReceived):
        return owner.on_ack(event.request, now, wall)  # type: ignore[no-any-return]
    if isinstance(event, ResponseReceived) and owner.owns(event.tid):
        answer = event.response if whole_response else event.response.status
        return owner.on_response(event.tid, answer, now, wall)  # type: ignore[no-any-return]
    if isinstance(event, TransactionTimeout) and owner.owns(event.tid):
        return owner.on_timeout(event.tid, now, wall)  # type: ignore[no-any-return]
    return None


class UserAgentCore:
    """Checks every request, answers the registrar and capability queries itself, and
    hands calls (authenticated INVITEs, in-dialog requests, our own transactions) to
    the B2BUA."""

    def __init__(self, *, registrar: Registrar, authenticator: DigestAuthenticator,
                 throttle: AuthFailureThrottle, user_agent: str,
                 tag_factory: Callable[[], str], b2bua: B2BUA | None = None) -> None:
        self.registrar = registrar
        self.b2bua = b2bua
        #: calls the switch answers itself (DIDs, feature codes, agent legs); optional
        self.center: CenterCalls | None = None
        self.authenticator = authenticator
        self.throttle = throttle
        self.server_header = user_agent
        self._new_tag = tag_factory
        #: requests ignored because their source was blocked for guessing passwords
        self.blocked_requests = 0
        #: carriers: who they are and where their calls go; set by the runtime
        self.trunks: TrunkRouter | None = None
        self.registrations: TrunkRegistrations | None = None
        #: SUBSCRIBE/NOTIFY (message-summary, dialog); None answers SUBSCRIBE 489
        self.subscriptions: SubscriptionService | None = None
        #: OPTIONS pings to registered contacts; set by the runtime when configured
        self.keepalive: ContactPinger | None = None
        #: voicemail legs the switch answered itself (deposit, *97); set by the runtime
        self.voicemail: VoicemailCalls | None = None
        #: conference-room legs the switch answered itself; set by the runtime
        self.rooms: ConferenceCalls | None = None
        #: calls an operator starts (click-to-dial); set by the runtime
        self.originator: Originator | None = None

    def handle(self, event: TransactionEvent, now: float, wall: float) -> list[Action]:
        """`now` is monotonic time (throttle, nonces); `wall` the epoch (bindings)."""
        b2bua = self.b2bua
        if isinstance(event, RequestReceived):
            return self._request(event, now, wall)
        if isinstance(event, CancelReceived):
            handled = b2bua.on_cancel(event.tid, now, wall) if b2bua else None
            if handled is not None:
                return handled
            # an INVITE we are still processing: it ends with 487 (§9.2)
            return [Respond(event.tid, self._response(event.request, 487))]
        subscriptions = self.subscriptions
        if subscriptions is not None and isinstance(
                event, ResponseReceived | TransactionTimeout) and subscriptions.owns(event.tid):
            if isinstance(event, ResponseReceived):
                return subscriptions.on_response(event.tid, event.response, now)
            return subscriptions.on_timeout(event.tid, now)
        keepalive = self.keepalive
        if keepalive is not None and isinstance(
                event, ResponseReceived | TransactionTimeout) and keepalive.owns(event.tid):
            if isinstance(event, ResponseReceived):
                return keepalive.on_response(event.tid, event.response, now)
            return keepalive.on_timeout(event.tid, now)
        originator = self.originator
        if originator is not None and isinstance(
                event, ResponseReceived | TransactionTimeout) and originator.owns(event.tid):
            if isinstance(event, ResponseReceived):
                return originator.on_response(event.tid, event.response, now, wall)
            return originator.on_timeout(event.tid, now, wall)
        # the calls the switch answers itself; the center takes whole responses
        for owner, whole_response in ((self.voicemail, False), (self.rooms, False),
                                      (self.center, True)):
            if owner is not None:
                handled = _switch_answered(owner, event, now, wall, whole_response)
                if handled is not None:
                    return handled
        registrations = self.registrations
        if registrations is not None and isinstance(
                event, ResponseReceived | TransactionTimeout) and registrations.owns(event.tid):
            if isinstance(event, ResponseReceived):
                return registrations.on_response(event.tid, event.response, now)
            return registrations.on_timeout(event.tid, now)
        if b2bua is None:
            return []
        if isinstance(event, AckReceived):
            return b2bua.on_ack(event.request, event.source, now, wall)
        if isinstance(event, ResponseReceived):
            return b2bua.on_response(event.tid, event.response, now, wall)
        if isinstance(event, StrayResponse):
            return b2bua.on_stray_2xx(event.response, now, wall)
        if isinstance(event, TransactionTimeout):
            return b2bua.on_timeout(event.tid, now, wall)
        return []

    # -- requests -------------------------------------------------------------------------

    def _request(self, event: RequestReceived, now: float, wall: float) -> list[Action]:
        request = event.request
        method = request.method
        tid = event.tid
        if request.to.tag is not None and method in ("INFO", *_DIALOG_METHODS):
            for owner in (self.voicemail, self.rooms):
                if owner is not None:
                    taken = owner.in_dialog(tid, request, now, wall)
                    if taken is not None:
                        return taken  # type: ignore[no-any-return]
        if method == "INFO" and self.center is not None and request.to.tag is not None:
            info = self.center.in_dialog(tid, request, now, wall)
            if info is not None:
                return info  # type: ignore[return-value]
        if method not in ALLOWED:
            status = 405 if method in KNOWN_NOT_SERVED else 501
            return [Respond(tid, self._response(request, status, headers=_capabilities()))]
        if method != "CANCEL":
            unsupported = self._unsupported(request)
            if unsupported:
                return [Respond(tid, self._response(
                    request, 420, headers=[("Unsupported", ", ".join(unsupported))]))]
        if method in _DIALOG_METHODS and request.to.tag is not None:
            ours = (self.center.in_dialog(tid, request, now, wall)
                    if self.center is not None else None)
            if ours is not None:
                return ours  # type: ignore[return-value]
            handled = (self.b2bua.in_dialog(tid, request, event.source, now, wall)
                       if self.b2bua else None)
            if handled is None:
                return [Respond(tid, self._response(request, 481))]
            return handled
        if method == "OPTIONS":
            return [Respond(tid, self._response(request, 200, headers=_capabilities()))]
        if method == "REGISTER":
            return self._register(event, now, wall)
        if method == "INVITE":
            return self._invite(event, now, wall)
        if method == "SUBSCRIBE":
            return self._subscribe(event, now)
        if method in ("BYE", "UPDATE", "REFER"):
            return [Respond(tid, self._response(request, 481))]
        return [Respond(tid, self._response(request, 500))]

    def _unsupported(self, request: Request) -> list[str]:
        required = [tag.strip() for tag in request.headers.get_all("require")]
        return [tag for tag in required if tag and tag.lower() not in SUPPORTED]

    def _authenticate(self, event: RequestReceived, now: float) -> AuthResult | Action | None:
        """None while the source is blocked and must get no answer; an Action to send
        instead of serving; the AuthResult when the request may be served."""
        source = event.source
        request = event.request
        if self.throttle.is_blocked(source.host, now):
            self.blocked_requests += 1
            if is_reliable(source.transport):
                return Respond(event.tid, self._response(request, 403))
            return None
        result = self.authenticator.check_request(request, now)
        if result.ok:
            return result
        if result.is_failure:
            blocked = self.throttle.record_failure(source.host, now)
            log.info("authentication failed for %r from %s (%s)%s", result.username,
                     source.host, result.outcome.value, "; source blocked" if blocked else "")
        return Respond(event.tid, self.authenticator.challenge_response(
            request, result, WWW, to_tag=self._new_tag()))

    def _register(self, event: RequestReceived, now: float, wall: float) -> list[Action]:
        verdict = self._authenticate(event, now)
        if verdict is None:
            return []
        if not isinstance(verdict, AuthResult):
            return [verdict]
        assert verdict.username is not None
        source = event.source
        result = self.registrar.register(
            event.request, verdict.username,
            RegistrarSource(source.transport.upper(), source.host, source.port,
                            "" if source.connection is None else str(source.connection)),
            wall)
        self._stamp(result.response)
        actions: list[Action] = [Respond(event.tid, result.response)]
        if result.changes:
            actions.append(PersistBindings(result.changes))
            for change in result.changes:
                actions.append(LogEvent(f"registration.{change.kind.value}", {
                    "aor": change.binding.aor, "contact": change.binding.contact,
                    "source": f"{source.transport}:{source.host}:{source.port}"}))
        return actions

    def _invite(self, event: RequestReceived, now: float, wall: float) -> list[Action]:
        through_trunk = self._trunk_invite(event, now, wall)
        if through_trunk is not None:
            return through_trunk
        verdict = self._authenticate(event, now)
        if verdict is None:
            return []
        if not isinstance(verdict, AuthResult):
            return [verdict]
        assert verdict.username is not None
        if self.voicemail is not None:
            mailbox = self.voicemail.offer(Offered(event.tid, event.request, event.source,
                                                   verdict.username), now, wall)
            if mailbox is not None:
                return mailbox  # type: ignore[return-value]
        if self.rooms is not None:
            room = self.rooms.offer(Offered(event.tid, event.request, event.source,
                                            verdict.username), now, wall)
            if room is not None:
                return room  # type: ignore[return-value]
        if self.center is not None:
            answered = self.center.offer(Offered(event.tid, event.request, event.source,
                                                 verdict.username), now, wall)
            if answered is not None:
                return answered  # type: ignore[return-value]
        if self.b2bua is None:
            return [Respond(event.tid, self._response(event.request, 480,
                                                      "Temporarily Unavailable (no route)"))]
        return self.b2bua.offer(Offered(event.tid, event.request, event.source,
                                        verdict.username), now, wall)

    def _subscribe(self, event: RequestReceived, now: float) -> list[Action]:
        if self.subscriptions is None:
            return [Respond(event.tid, self._response(event.request, 489, "Bad Event"))]
        verdict = self._authenticate(event, now)
        if verdict is None:
            return []
        if not isinstance(verdict, AuthResult):
            return [verdict]
        assert verdict.username is not None
        return self.subscriptions.subscribe(event.tid, event.request, event.source,
                                            verdict.username, now)

    def _trunk_invite(self, event: RequestReceived, now: float,
                      wall: float) -> list[Action] | None:
        """A carrier's INVITE (known by its source address: not challenged, routed by
        its DID), or a phone's INVITE to a trunk number (authenticated, then sent out if
        the user may use the trunk, else 403). None for every other INVITE."""
        trunks, b2bua, request = self.trunks, self.b2bua, event.request
        if trunks is None or b2bua is None:
            return None
        inbound = trunks.inbound(request, event.source)
        if inbound is not None:
            if inbound.extension is None:
                return [Respond(event.tid, self._response(request, 404))]
            caller = request.from_.uri
            name = getattr(caller, "user", None) or f"trunk:{inbound.trunk.name}"
            return b2bua.offer(Offered(event.tid, request, event.source, name,
                                       number=inbound.extension), now, wall)
        number = getattr(request.uri, "user", None) or ""
        if isinstance(b2bua.dial_plan.route(number), RingExtension) or not any(
                pattern.match(number) for trunk in trunks.trunks
                for pattern in trunk.patterns):
            return None
        verdict = self._authenticate(event, now)
        if verdict is None:
            return []
        if not isinstance(verdict, AuthResult):
            return [verdict]
        assert verdict.username is not None
        routed = trunks.outbound(verdict.username, number)
        if not isinstance(routed, Outbound):
            log.info("%s may not call %s through a trunk", verdict.username, number)
            return [Respond(event.tid, self._response(request, 403, "Forbidden (trunk)"))]
        return b2bua.offer(Offered(event.tid, request, event.source, verdict.username,
                                   outbound=routed), now, wall)

    def _response(self, request: Request, status: int, reason: str | None = None,
                  headers: list[tuple[str, str]] | None = None) -> Response:
        to_tag = self._new_tag() if status >= 200 else None
        try:
            response = make_response(request, status, reason, to_tag=to_tag,
                                     headers=headers or ())
        except ProtocolError:
            response = make_response(request, status, reason, headers=headers or ())
        self._stamp(response)
        return response

    def _stamp(self, response: Response) -> None:
        if self.server_header and "server" not in response.headers:
            response.headers.add("Server", self.server_header)
