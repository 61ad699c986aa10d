"""SUBSCRIBE and NOTIFY (RFC 6665) for the switch's event packages, sans-IO.

The UA core authenticates a SUBSCRIBE and hands it here with the proven user. A new
subscription is a dialog: answered 200 with Expires and at once a NOTIFY of the full
state; a SUBSCRIBE in that dialog refreshes it (Expires: 0 ends it with a final NOTIFY).
When a resource changes, `changed` notifies its watchers; at its expiry a subscription
gets a terminated NOTIFY and is forgotten; a NOTIFY answered 481 or with another
failure, or never answered, ends it too. Time is monotonic `now`: subscriptions are
not persisted (phones re-subscribe after a restart, as they do after expiry).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from softswitch.call.actions import Action, LogEvent
from softswitch.call.event_packages import DialogInfo, EventPackage, MessageSummary
from softswitch.call.line_states import LineStates
from softswitch.errors import ProtocolError
from softswitch.sip.dialog import Dialog, DialogError, DialogId, new_tag
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import Request, Response, make_response
from softswitch.sip.routing import Destination, Source, reply_to
from softswitch.sip.transaction import TransactionError, TransactionLayer
from softswitch.sip.transaction_events import TransactionId
from softswitch.sip.uri import SipURI, format_host
from softswitch.timers import Deadlines

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubscriptionPolicy:
    min_expires: int = 60
    max_expires: int = 3600
    default_expires: int = 3600
    #: live subscriptions one user may hold (a phone with a 40-key BLF side car is 40)
    max_per_user: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.min_expires <= self.default_expires <= self.max_expires:
            raise ValueError("need 0 < min_expires <= default_expires <= max_expires")


@dataclass
class Subscription:
    package: str
    resource: str  # the extension watched
    subscriber: str  # who authenticated
    dialog: Dialog
    destination: Destination
    expires_at: float
    #: NOTIFYs sent so far (dialog-info's version counts them)
    notified: int = 0
    pending: set[TransactionId] = field(default_factory=set)


class _Refusal(Exception):
    def __init__(self, status: int, reason: str | None = None,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(reason or str(status))
        self.status = status
        self.reason = reason
        self.headers = headers


def _event_name(request: Request) -> str | None:
    value = request.headers.get("event")
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower() or None


class SubscriptionService:
    """Subscriptions by dialog; sends its NOTIFYs through the transaction layer given."""

    def __init__(self, *, layer: TransactionLayer, packages: Mapping[str, EventPackage],
                 local: dict[str, tuple[str, int]], watchable: Callable[[str], bool],
                 policy: SubscriptionPolicy | None = None,
                 lines: LineStates | None = None,
                 tag_factory: Callable[[], str] = new_tag) -> None:
        self.layer = layer
        self.packages = dict(packages)
        self._local = local
        self._watchable = watchable
        self.policy = policy or SubscriptionPolicy()
        self._new_tag = tag_factory
        #: the extensions' calls, fed by `on_call_event`, for the dialog package
        self.lines = lines
        self._subscriptions: dict[DialogId, Subscription] = {}
        self._by_notify: dict[TransactionId, Subscription] = {}
        self._deadlines: Deadlines[DialogId] = Deadlines()

    @classmethod
    def for_switch(cls, *, layer: TransactionLayer, local: dict[str, tuple[str, int]],
                   domain: str, watchable: Callable[[str], bool],
                   mailbox_counts: Callable[[str], tuple[int, int]] = lambda _: (0, 0),
                   policy: SubscriptionPolicy | None = None) -> SubscriptionService:
        """The switch's packages: message-summary from the mailboxes, dialog from calls."""
        lines = LineStates()
        packages: dict[str, EventPackage] = {
            "message-summary": MessageSummary(mailbox_counts, domain),
            "dialog": DialogInfo(lines, domain)}
        return cls(layer=layer, packages=packages, local=local, watchable=watchable,
                   policy=policy, lines=lines)

    def __len__(self) -> int:
        return len(self._subscriptions)

    @property
    def allow_events(self) -> str:
        return ", ".join(self.packages)

    def watching(self, package: str, resource: str) -> list[Subscription]:
        return [s for s in self._subscriptions.values()
                if s.package == package and s.resource == resource]

    def owns(self, tid: TransactionId) -> bool:
        return tid in self._by_notify

    def get_timer(self) -> float | None:
        return self._deadlines.next()

    # -- SUBSCRIBE ----------------------------------------------------------------------

    def subscribe(self, tid: TransactionId, request: Request, source: Source, user: str,
                  now: float) -> list[Action]:
        """An authenticated SUBSCRIBE: answered here (on `tid`), then NOTIFY."""
        try:
            if request.to.tag is None:
                return self._new(tid, request, source, user, now)
            return self._refresh(tid, request, user, now)
        except _Refusal as refusal:
            self._reply(tid, request, refusal.status, refusal.reason, refusal.headers, now)
        except ProtocolError as error:
            status = error.status if error.status >= 400 else 400
            self._reply(tid, request, status, error.reason, tuple(error.headers), now)
        return []

    def _package(self, request: Request) -> EventPackage:
        name = _event_name(request)
        package = self.packages.get(name or "")
        if package is None:
            raise _Refusal(489, "Bad Event", (("Allow-Events", self.allow_events),))
        accepted = [v.split(";", 1)[0].strip().lower()
                    for value in request.headers.get_all("accept")
                    for v in value.split(",") if v.strip()]
        if accepted and package.content_type not in accepted and "*/*" not in accepted:
            raise _Refusal(406, None, (("Accept", package.content_type),))
        return package

    def _expires(self, request: Request) -> int:
        try:
            value = request.expires
        except ProtocolError:
            raise _Refusal(400, "Bad Request (malformed Expires)") from None
        policy = self.policy
        if value is None:
            return policy.default_expires
        if 0 < value < policy.min_expires:
            raise _Refusal(423, "Interval Too Brief", (("Min-Expires", str(policy.min_expires)),))
        return min(value, policy.max_expires)

    def _new(self, tid: TransactionId, request: Request, source: Source, user: str,
             now: float) -> list[Action]:
        package = self._package(request)
        uri = request.uri
        resource = uri.user if isinstance(uri, SipURI) else None
        if not resource or not self._watchable(resource):
            raise _Refusal(404, "Not Found")
        if package.own_only and resource != user:
            raise _Refusal(403, "Forbidden (not your mailbox)")
        expires = self._expires(request)
        if expires and sum(1 for s in self._subscriptions.values()
                           if s.subscriber == user) >= self.policy.max_per_user:
            raise _Refusal(403, "Forbidden (too many subscriptions)")
        destination = reply_to(source)
        contact = self._contact(destination)
        response = make_response(request, 200, None,
                                 to_tag=self._new_tag(),
                                 headers=(("Expires", str(expires)), ("Contact", contact)))
        dialog = Dialog.as_uas(request, response, parse_name_addr(contact))
        if not self._respond(tid, response, now):
            return []
        subscription = Subscription(package.name, resource, user, dialog, destination,
                                    now + expires)
        self._notify(subscription, now, final="timeout" if expires == 0 else None)
        if expires:
            self._subscriptions[dialog.id] = subscription
            self._deadlines.set(dialog.id, now + expires)
        return [LogEvent("subscription.started", {
            "event": package.name, "resource": resource, "subscriber": user,
            "expires": expires})]

    def _refresh(self, tid: TransactionId, request: Request, user: str,
                 now: float) -> list[Action]:
        subscription = self._subscriptions.get(DialogId.of_incoming_request(request))
        if subscription is None:
            raise _Refusal(481, "Subscription Does Not Exist")
        if subscription.subscriber != user:
            raise _Refusal(403, "Forbidden (not your subscription)")
        if _event_name(request) != subscription.package:
            raise _Refusal(489, "Bad Event", (("Allow-Events", self.allow_events),))
        expires = self._expires(request)
        subscription.dialog.on_request(request)  # CSeq order: ProtocolError 500
        response = make_response(request, 200, None, headers=(("Expires", str(expires)),))
        if not self._respond(tid, response, now):
            return []
        if expires == 0:
            self._notify(subscription, now, final="timeout")
            self._forget(subscription)
            return [LogEvent("subscription.ended", {
                "event": subscription.package, "resource": subscription.resource,
                "subscriber": user, "reason": "unsubscribed"})]
        subscription.expires_at = now + expires
        self._deadlines.set(subscription.dialog.id, now + expires)
        self._notify(subscription, now)
        return []

    # -- NOTIFY -------------------------------------------------------------------------

    def changed(self, package: str, resource: str, now: float) -> int:
        """The resource's state changed: NOTIFY each watcher; how many were sent."""
        sent = 0
        for subscription in self.watching(package, resource):
            sent += self._notify(subscription, now)
        return sent

    def on_call_event(self, kind: str, call_id: str | None, fields: dict[str, object],
                      now: float) -> int:
        """A call event from the B2BUA (as logged): the busy lamps it changes."""
        if self.lines is None:
            return 0
        return sum(self.changed("dialog", extension, now)
                   for extension in sorted(self.lines.on_call_event(kind, call_id, fields)))

    def _notify(self, subscription: Subscription, now: float,
                final: str | None = None) -> bool:
        package = self.packages[subscription.package]
        if final is None:
            left = max(0, int(subscription.expires_at - now + 0.5))
            state = f"active;expires={left}"
        else:
            state = f"terminated;reason={final}"
        body = package.body(subscription.resource, subscription.notified)
        try:
            notify = subscription.dialog.create_request(
                "NOTIFY", via=self._via(subscription.destination),
                headers=[("Event", subscription.package), ("Subscription-State", state),
                         ("Contact", self._contact(subscription.destination))],
                body=body, content_type=package.content_type)
            tid = self.layer.send_request(notify, subscription.destination, now)
        except (DialogError, TransactionError) as error:
            log.debug("NOTIFY not sent: %s", error)
            return False
        subscription.notified += 1
        if final is None:
            subscription.pending.add(tid)
            self._by_notify[tid] = subscription
        return True

    def on_response(self, tid: TransactionId, response: Response, now: float) -> list[Action]:
        subscription = self._by_notify.get(tid)
        if subscription is None or response.status < 200:
            return []
        self._by_notify.pop(tid, None)
        subscription.pending.discard(tid)
        if response.status < 300 or subscription.dialog.id not in self._subscriptions:
            return []
        self._forget(subscription)
        return [LogEvent("subscription.ended", {
            "event": subscription.package, "resource": subscription.resource,
            "subscriber": subscription.subscriber,
            "reason": f"notify answered {response.status}"})]

    def on_timeout(self, tid: TransactionId, now: float) -> list[Action]:
        subscription = self._by_notify.pop(tid, None)
        if subscription is None or subscription.dialog.id not in self._subscriptions:
            return []
        self._forget(subscription)
        return [LogEvent("subscription.ended", {
            "event": subscription.package, "resource": subscription.resource,
            "subscriber": subscription.subscriber, "reason": "notify unanswered"})]

    def handle_timer(self, now: float) -> list[Action]:
        out: list[Action] = []
        for key in self._deadlines.pop_due(now):
            subscription = self._subscriptions.get(key)
            if subscription is None:
                continue
            self._notify(subscription, now, final="timeout")
            self._forget(subscription)
            out.append(LogEvent("subscription.ended", {
                "event": subscription.package, "resource": subscription.resource,
                "subscriber": subscription.subscriber, "reason": "expired"}))
        return out

    # -- parts --------------------------------------------------------------------------

    def _forget(self, subscription: Subscription) -> None:
        key = subscription.dialog.id
        self._subscriptions.pop(key, None)
        self._deadlines.cancel(key)
        for tid in subscription.pending:
            self._by_notify.pop(tid, None)
        subscription.pending.clear()
        subscription.dialog.terminate()

    def _respond(self, tid: TransactionId, response: Response, now: float) -> bool:
        try:
            self.layer.respond(tid, response, now)
        except TransactionError as error:
            log.debug("SUBSCRIBE response dropped: %s", error)
            return False
        return True

    def _reply(self, tid: TransactionId, request: Request, status: int, reason: str | None,
               headers: tuple[tuple[str, str], ...], now: float) -> None:
        try:
            response = make_response(request, status, reason, to_tag=self._new_tag(),
                                     headers=headers)
        except ProtocolError:
            response = make_response(request, status, reason, headers=headers)
        self._respond(tid, response, now)

    def _address(self, destination: Destination) -> tuple[str, tuple[str, int]]:
        transport = destination.transport.lower()
        return transport, self._local.get(transport) or next(iter(self._local.values()))

    def _via(self, destination: Destination) -> str:
        transport, (host, port) = self._address(destination)
        return f"SIP/2.0/{transport.upper()} {format_host(host)}:{port};rport"

    def _contact(self, destination: Destination) -> str:
        transport, (host, port) = self._address(destination)
        suffix = "" if transport == "udp" else f";transport={transport}"
        return f"<sip:{format_host(host)}:{port}{suffix}>"
