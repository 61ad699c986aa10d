"""The driver between the SIP sockets and the sans-IO cores.

Every input (a datagram, a TCP message, a timer) goes the same way: parse, feed the
transaction layer, hand its events to the user-agent core, carry out the core's actions,
send what the layer queued, then re-arm ONE loop timer at the earliest deadline of all
cores (aioquic's pattern). Nothing here decides anything about SIP.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from softswitch.call.actions import (
    Action,
    BridgeMedia,
    CloseMedia,
    HoldMedia,
    LogEvent,
    OpenMedia,
    PersistBindings,
    Respond,
    UpdateMedia,
    WriteCallRecord,
)
from softswitch.call.cdr import insert_row
from softswitch.call.center_calls import PlayPrompts, StopPrompts
from softswitch.call.registrar import ChangeKind
from softswitch.call.ua_core import UserAgentCore
from softswitch.clock import Clock
from softswitch.errors import ProtocolError
from softswitch.runtime.media_edge import MediaEdge
from softswitch.runtime.transport import Address, TcpConnection, TcpListener, UdpEndpoint
from softswitch.sip.headers import Via
from softswitch.sip.message import Request, Response, make_response, reason_phrase
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import Destination, Source, response_destination
from softswitch.sip.transaction import TransactionError, TransactionLayer
from softswitch.sip.transaction_events import Outgoing
from softswitch.storage.database import Database

log = logging.getLogger(__name__)

#: how many recent UDP peers remember which of our sockets they talk to
_UDP_ROUTES = 65536
#: how many recent INVITE branches are remembered for the re-authentication check
_RECENT_INVITES = 4096
#: an expired binding is swept at most this late (seconds)
_EXPIRY_SLACK = 1.0


def _reason(error: ProtocolError) -> str:
    """A reason phrase that says what was wrong, safe to put on a status line."""
    detail = "".join(c if c.isprintable() else "?" for c in error.reason)[:80]
    return f"{reason_phrase(error.status)} ({detail})" if detail else reason_phrase(error.status)


class ReusedBranches:
    """pyVoIP answers a 401 by re-sending its INVITE with credentials but the same Via
    branch, which the transaction layer (rightly) takes for a retransmission and absorbs.
    A retransmission is the same request; one that adds credentials the first lacked is a
    new request, so it gets a branch of its own before the layer sees it."""

    def __init__(self, size: int = _RECENT_INVITES) -> None:
        self._size = size
        #: (Call-ID, branch) -> the branch its credentialed copies get ("" for itself)
        self._seen: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        #: INVITEs given a new branch
        self.renamed = 0

    def check(self, request: Request) -> None:
        try:
            via = request.top_via
            key = (request.call_id, via.branch or "")
        except ProtocolError:
            return
        credentials = ("authorization" in request.headers
                       or "proxy-authorization" in request.headers)
        if key not in self._seen:
            self._seen[key] = "" if credentials else None
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
            return
        if not credentials:
            return  # a retransmission of the first request
        branch = self._seen[key]
        if branch is None:
            self.renamed += 1
            branch = self._seen[key] = f"{via.branch}.{self.renamed}"
        if branch:
            fresh = Via(via.transport, via.host, via.port, {**via.params, "branch": branch})
            request.headers.remove_first("via")
            request.headers.prepend("Via", str(fresh))


class SipDriver:
    def __init__(self, *, loop: asyncio.AbstractEventLoop, clock: Clock,
                 layer: TransactionLayer, core: UserAgentCore, database: Database,
                 media: MediaEdge | None = None, server_header: str = "") -> None:
        self._loop = loop
        self._clock = clock
        self.layer = layer
        self.core = core
        self._db = database
        self.media = media
        self._server_header = server_header
        self.udp: list[UdpEndpoint] = []
        self.tcp: list[TcpListener] = []
        self._udp_routes: OrderedDict[Address, UdpEndpoint] = OrderedDict()
        self._reauth = ReusedBranches()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        #: inputs that could not be parsed or were refused before the transaction layer
        self.malformed = 0
        self._handlers: dict[type, Callable[[Action, float], None]] = {
            Respond: self._respond, PersistBindings: self._persist, LogEvent: self._log_event,
            OpenMedia: self._media_action, UpdateMedia: self._media_action,
            BridgeMedia: self._media_action, CloseMedia: self._media_action,
            HoldMedia: self._media_action,
            WriteCallRecord: self._write_record,
            PlayPrompts: self._prompts_action, StopPrompts: self._prompts_action}
        #: call detail records written
        self.records = 0

    # -- inputs ---------------------------------------------------------------------------

    def on_datagram(self, data: bytes, addr: Address, endpoint: UdpEndpoint) -> None:
        routes = self._udp_routes
        if routes.get(addr) is not endpoint:
            routes[addr] = endpoint
            if len(routes) > _UDP_ROUTES:
                routes.popitem(last=False)
        else:
            routes.move_to_end(addr)
        source = Source("udp", addr[0], addr[1], None)
        if not data.strip(b"\r\n\0 "):
            return  # keep-alive (RFC 5626 CRLF, or a NAT ping)
        try:
            message = parse_message(data)
        except ProtocolError as error:
            self._refuse_unparsed(error, source)
            return
        self._receive(message, source)

    def on_tcp_message(self, message: Request | Response, conn: TcpConnection) -> None:
        self._receive(message, Source("tcp", conn.peer[0], conn.peer[1], conn.conn_id))

    def on_tcp_garbage(self, error: ProtocolError, conn: TcpConnection) -> None:
        """The stream cannot be framed any more: answer if we can, then it is closed."""
        self._refuse_unparsed(error, Source("tcp", conn.peer[0], conn.peer[1], conn.conn_id))

    def on_tcp_closed(self, conn: TcpConnection) -> None:
        """Client transactions waiting on that connection fail now, not at timer F/B."""
        now = self._clock.now()
        self.layer.connection_lost(conn.conn_id, now)
        self._pump(now)

    def _refuse_unparsed(self, error: ProtocolError, source: Source) -> None:
        self.malformed += 1
        partial = error.partial
        log.debug("malformed message from %s:%s: %s", source.host, source.port, error)
        if not isinstance(partial, Request) or partial.method == "ACK":
            return  # a broken response, an ACK, or nothing to answer with: drop (§16.3)
        try:
            response = make_response(partial, error.status, _reason(error),
                                     headers=error.headers)
        except (ProtocolError, ValueError):
            return
        try:
            destination = response_destination(partial.top_via, source)
        except ProtocolError:  # a Via we cannot read: answer where the bytes came from
            destination = Destination(source.transport, source.host, source.port,
                                      source.connection)
        self._send(Outgoing(bytes(response), destination))

    def _receive(self, message: Request | Response, source: Source) -> None:
        now = self._clock.now()
        if isinstance(message, Request) and message.method == "INVITE":
            self._reauth.check(message)
        try:
            self.layer.receive(message, source, now)
        except ProtocolError as error:
            error.partial = message
            self._refuse_unparsed(error, source)
        self._pump(now)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        now = self._clock.now()
        self.layer.handle_timer(now)
        b2bua = self.core.b2bua
        if b2bua is not None:
            self._run(b2bua.handle_timer(now, self._clock.wall()), now)
        if self.core.subscriptions is not None:
            self._run(self.core.subscriptions.handle_timer(now), now)
        if self.core.center is not None:
            self._run(self.core.center.handle_timer(now, self._clock.wall()), now)
        if self.core.voicemail is not None:
            self._run(self.core.voicemail.handle_timer(  # type: ignore[arg-type]
                now, self._clock.wall()), now)
        if self.core.registrations is not None:
            self._run(self.core.registrations.handle_timer(now), now)
        self._expire_bindings()
        self._pump(now)

    def wake(self) -> None:
        """Arm the timer for work due before any input arrives (trunk registrations)."""
        self._pump(self._clock.now())

    def _run(self, actions: list[Action], now: float) -> None:
        for action in actions:
            self._handlers[type(action)](action, now)

    # -- the one loop of work ---------------------------------------------------------------

    def _pump(self, now: float) -> None:
        layer = self.layer
        wall = self._clock.wall()
        while True:
            event = layer.next_event()
            if event is None:
                break
            self._run(self.core.handle(event, now, wall), now)
        while True:
            outgoing = layer.next_send()
            if outgoing is None:
                break
            self._send(outgoing)
        self._arm(now)

    def _arm(self, now: float) -> None:
        deadline = self.layer.get_timer()
        b2bua = self.core.b2bua
        calls = b2bua.get_timer() if b2bua is not None else None
        if calls is not None:
            deadline = calls if deadline is None else min(deadline, calls)
        subscriptions = self.core.subscriptions
        watch = subscriptions.get_timer() if subscriptions is not None else None
        if watch is not None:
            deadline = watch if deadline is None else min(deadline, watch)
        center = self.core.center
        own = center.get_timer() if center is not None else None
        if own is not None:
            deadline = own if deadline is None else min(deadline, own)
        voicemail = self.core.voicemail
        mailbox = voicemail.get_timer() if voicemail is not None else None
        if mailbox is not None:
            deadline = mailbox if deadline is None else min(deadline, mailbox)
        registrations = self.core.registrations
        trunks = registrations.get_timer() if registrations is not None else None
        if trunks is not None:
            deadline = trunks if deadline is None else min(deadline, trunks)
        expiry = self.core.registrar.next_expiry()
        if expiry is not None:
            when = now + max(0.0, expiry - self._clock.wall()) + _EXPIRY_SLACK
            deadline = when if deadline is None else min(deadline, when)
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _expire_bindings(self) -> None:
        for binding in self.core.registrar.expire(self._clock.wall()):
            self._db.bindings.delete_binding(binding.aor, binding.contact)
            self._log_event(LogEvent("registration.expired",
                                     {"aor": binding.aor, "contact": binding.contact}), 0.0)

    # -- actions ----------------------------------------------------------------------------

    def _respond(self, action: Action, now: float) -> None:
        assert isinstance(action, Respond)
        try:
            self.layer.respond(action.tid, action.response, now)
        except TransactionError as error:  # the transaction ended meanwhile
            log.debug("response dropped: %s", error)

    def _persist(self, action: Action, now: float) -> None:
        assert isinstance(action, PersistBindings)
        bindings = self._db.bindings
        for change in action.changes:
            if change.kind in (ChangeKind.REMOVED, ChangeKind.EXPIRED):
                bindings.delete_binding(change.binding.aor, change.binding.contact)
            else:
                bindings.save_binding(change.binding)

    def _log_event(self, action: Action, now: float) -> None:
        assert isinstance(action, LogEvent)
        self._db.events.append(action.kind, ts=self._clock.wall(), call_id=action.call_id,
                               **action.fields)
        if self.core.subscriptions is not None and action.kind.startswith("call."):
            self.core.subscriptions.on_call_event(action.kind, action.call_id,
                                                  action.fields, self._clock.now())

    def _media_action(self, action: Action, now: float) -> None:
        media = self.media
        if media is None:
            return
        if isinstance(action, OpenMedia):
            media.open(action)
        elif isinstance(action, UpdateMedia):
            media.update(action)
        elif isinstance(action, BridgeMedia):
            media.bridge(action)
        elif isinstance(action, HoldMedia):
            media.hold(action)
        elif isinstance(action, CloseMedia):
            media.close(action)

    def _prompts_action(self, action: Action, now: float) -> None:
        if self.media is None:
            return
        if isinstance(action, PlayPrompts):
            self.media.play_prompts(action.leg, action.names, action.loop)
        elif isinstance(action, StopPrompts):
            self.media.stop_prompts(action.leg)

    def add_handler(self, kind: type, handler: Callable[[Any, float], None]) -> None:
        """Carry out a part's own action type (voicemail recording and storage) too."""
        self._handlers[kind] = handler

    def run_actions(self, actions: list[Action]) -> None:
        """Actions a core produced outside a SIP input (the ACD's timer, a media event):
        carry them out and send what they queued."""
        now = self._clock.now()
        self._run(actions, now)
        self._pump(now)

    def _write_record(self, action: Action, now: float) -> None:
        assert isinstance(action, WriteCallRecord)
        record = action.record
        if self.media is not None:
            qualities = {leg.leg: q for leg in record.legs
                         if (q := self.media.take_quality(leg.leg)) is not None}
            record = record.with_quality(qualities)
        self._db.writer.submit(*insert_row(record))
        self.records += 1

    # -- output -----------------------------------------------------------------------------

    def _send(self, outgoing: Outgoing) -> None:
        dest: Destination = outgoing.destination
        if dest.transport.lower() == "udp":
            endpoint = self._udp_routes.get((dest.host, dest.port)) or self._udp_for(dest.host)
            if endpoint is not None:
                endpoint.send(outgoing.data, (dest.host, dest.port))
            return
        if dest.connection is not None:
            for listener in self.tcp:
                conn = listener.connections.get(dest.connection)
                if conn is not None:
                    conn.send(outgoing.data)
                    return
        log.debug("no connection to %s:%s for a %d-byte message; dropped",
                  dest.host, dest.port, len(outgoing.data))

    def _udp_for(self, host: str) -> UdpEndpoint | None:
        want_v6 = ":" in host
        for endpoint in self.udp:
            if endpoint.bound is not None and (":" in endpoint.bound.host) == want_v6:
                return endpoint
        return None

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
