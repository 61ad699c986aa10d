"""The SIP transaction layer (RFC 3261 §17), sans-IO in the shape of aioquic's connection.

Feed it with `receive(message, source, now)`, `send_request`, `respond`, `cancel` and
`handle_timer(now)`; read what happened with `next_event()` and what to send with
`next_send()`; arm one wake-up at `get_timer()`. What each transaction does on each event
is the data in `transaction_table`; this class only finds the transaction, looks the
transition up and runs its actions.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from softswitch.errors import ProtocolError
from softswitch.sip.headers import Via
from softswitch.sip.message import Headers, Request, Response, make_response
from softswitch.sip.routing import (
    Destination,
    Source,
    is_reliable,
    response_destination,
    stamp_request,
)
from softswitch.sip.transaction_events import (
    AckReceived,
    CancelReceived,
    Outgoing,
    RequestReceived,
    ResponseReceived,
    StrayResponse,
    TransactionEvent,
    TransactionId,
    TransactionTerminated,
    TransactionTimeout,
)
from softswitch.sip.transaction_matching import (
    ClientKey,
    ServerKey,
    client_key,
    is_rfc3261_branch,
    new_branch,
    server_key,
    to_tag_matches,
)
from softswitch.sip.transaction_table import (
    ARM,
    AT_T2,
    BACKOFF,
    STOP,
    TABLES,
    TIMER_EVENT,
    TU_EVENTS,
    Action,
    Event,
    Kind,
    State,
    Timer,
    TimerSettings,
    initial_interval,
)
from softswitch.timers import Deadlines

__all__ = [
    "Kind",
    "State",
    "TimerSettings",
    "TransactionError",
    "TransactionLayer",
]


_DialogKey = tuple[str, str | None, str | None]
_CLIENT_KINDS = frozenset({Kind.INVITE_CLIENT, Kind.NON_INVITE_CLIENT})


class TransactionError(Exception):
    """The transaction user asked for something the transaction cannot do."""


@dataclass(eq=False)
class _Transaction:
    tid: TransactionId
    kind: Kind
    request: Request
    #: client: where the request goes; server: where responses go
    destination: Destination
    reliable: bool
    key: ServerKey | ClientKey
    #: whether the TU knows this transaction (the CANCELs the layer handles are private)
    announced: bool = True
    source: Source | None = None
    state: State = State.INIT
    request_bytes: bytes = b""
    #: the last response sent (server), and the one the TU just handed over
    response: Response | None = None
    answer: Response | None = None
    response_bytes: bytes | None = None
    #: the last incoming response, while actions run
    incoming: Response | None = None
    ack_bytes: bytes | None = None
    cancel_wanted: bool = False
    cancel_sent: bool = False
    intervals: dict[Timer, float] = field(default_factory=dict)


def _response_event(status: int, tu: bool) -> Event:
    if status < 200:
        return Event.TU_PROVISIONAL if tu else Event.PROVISIONAL
    if status < 300:
        return Event.TU_SUCCESS if tu else Event.SUCCESS
    return Event.TU_FAILURE if tu else Event.FAILURE


def _top_via_only(request: Request) -> str:
    return str(request.top_via)


class TransactionLayer:
    """Every client and server transaction of one SIP endpoint."""

    def __init__(self, settings: TimerSettings | None = None,
                 branch_factory: Callable[[], str] = new_branch) -> None:
        self.settings = settings or TimerSettings()
        self._new_branch = branch_factory
        self._ids = itertools.count(1)
        self._transactions: dict[TransactionId, _Transaction] = {}
        self._server_index: dict[ServerKey, TransactionId] = {}
        self._client_index: dict[ClientKey, TransactionId] = {}
        #: INVITE server transactions that sent a 2xx, by the dialog its ACK will carry:
        #: (Call-ID, From tag, To tag)
        self._accepted_index: dict[_DialogKey, TransactionId] = {}
        self._deadlines: Deadlines[tuple[TransactionId, Timer]] = Deadlines()
        self._events: deque[TransactionEvent] = deque()
        self._sends: deque[Outgoing] = deque()
        #: events to dispatch once the current transition is complete: zero-length
        #: timers (reliable transports) and the layer's own answers to CANCEL
        self._followups: deque[tuple[TransactionId, Event]] = deque()
        #: messages that matched nothing and were dropped (responses to nobody)
        self.dropped = 0
        self._actions: dict[Action, Callable[[_Transaction, float], None]] = {
            Action.SEND_REQUEST: self._send_request,
            Action.SEND_RESPONSE: self._send_response,
            Action.RESEND_RESPONSE: self._resend_response,
            Action.SEND_TRYING: self._send_trying,
            Action.SEND_ACK: self._send_ack,
            Action.SEND_PENDING_CANCEL: self._send_pending_cancel,
            Action.PASS_REQUEST: self._pass_request,
            Action.PASS_RESPONSE: self._pass_response,
            Action.REPORT_TIMEOUT: self._report_timeout,
        }

    # -- what tests and the edge read ---------------------------------------------------

    def __len__(self) -> int:
        return len(self._transactions)

    def counts(self) -> dict[Kind, int]:
        """Live transactions by kind, so a test can assert that nothing leaked."""
        out = dict.fromkeys(Kind, 0)
        for txn in self._transactions.values():
            out[txn.kind] += 1
        return out

    def state_of(self, tid: TransactionId) -> State:
        """The state of a live transaction (TERMINATED once it is gone)."""
        txn = self._transactions.get(tid)
        return txn.state if txn is not None else State.TERMINATED

    def next_event(self) -> TransactionEvent | None:
        return self._events.popleft() if self._events else None

    def next_send(self) -> Outgoing | None:
        return self._sends.popleft() if self._sends else None

    def get_timer(self) -> float | None:
        """When `handle_timer` must be called next, or None when no timer runs."""
        return self._deadlines.next()

    # -- inputs -------------------------------------------------------------------------

    def handle_timer(self, now: float) -> None:
        while True:
            due = self._deadlines.pop_due(now)
            if not due:
                return
            for tid, timer in due:
                txn = self._transactions.get(tid)
                if txn is not None:
                    self._dispatch(txn, TIMER_EVENT[timer], now)

    def receive(self, message: Request | Response, source: Source, now: float) -> None:
        """A message from the network. Raises ProtocolError if it lacks what §17 needs."""
        if isinstance(message, Request):
            self._receive_request(message, source, now)
        else:
            self._receive_response(message, now)

    def send_request(self, request: Request, destination: Destination,
                     now: float) -> TransactionId:
        """Start a client transaction for `request` and send it.

        The request must carry its own top Via (the TU knows its sent-by); a branch is
        added when it has none. ACK is not sent through a transaction: use `send_message`.
        """
        if request.method == "ACK":
            raise TransactionError("an ACK is not a transaction; send it with send_message")
        try:
            via = request.top_via
            cseq = request.cseq
        except ProtocolError as exc:
            raise TransactionError(f"cannot send this request: {exc}") from None
        if cseq.method != request.method:
            raise TransactionError(
                f"CSeq method {cseq.method} does not match request {request.method}")
        if not is_rfc3261_branch(via.branch):
            via = Via(via.transport, via.host, via.port,
                      {**via.params, "branch": self._new_branch()})
            request.headers.remove_first("via")
            request.headers.prepend("Via", str(via))
        key = client_key(request)
        assert key is not None
        if key in self._client_index:
            raise TransactionError(f"a client transaction with branch {key[0]} exists")
        kind = Kind.INVITE_CLIENT if request.method == "INVITE" else Kind.NON_INVITE_CLIENT
        return self._start_client(kind, request, destination, key, True, now)

    def respond(self, tid: TransactionId, response: Response, now: float) -> None:
        """Send the TU's response on server transaction `tid`."""
        txn = self._transactions.get(tid)
        if txn is None:
            raise TransactionError(f"no transaction {tid} (it may have ended)")
        if txn.kind in _CLIENT_KINDS:
            raise TransactionError(f"transaction {tid} is a client transaction")
        if not 100 <= response.status <= 699:
            raise TransactionError(f"status {response.status} out of range")
        txn.answer = response
        try:
            self._dispatch(txn, _response_event(response.status, tu=True), now)
        finally:
            txn.answer = None

    def cancel(self, tid: TransactionId, now: float) -> None:
        """Cancel the INVITE of client transaction `tid` (§9.1).

        The CANCEL goes out at once if a provisional response has come, else on the
        first one; after a final response there is nothing to cancel and this does
        nothing. 64*T1 after the CANCEL the INVITE transaction ends even without a final
        response.
        """
        txn = self._transactions.get(tid)
        if txn is None:
            return
        if txn.kind is not Kind.INVITE_CLIENT:
            raise TransactionError(f"transaction {tid} is not an INVITE client transaction")
        txn.cancel_wanted = True
        self._dispatch(txn, Event.TU_CANCEL, now)

    def connection_lost(self, connection: int, now: float) -> None:
        """A reliable connection closed: the client transactions waiting on it fail
        (§17.1.4). Server transactions stay; their responses may take a new connection."""
        lost = [txn for txn in self._transactions.values()
                if txn.destination.connection == connection
                and txn.kind in _CLIENT_KINDS]
        for txn in lost:
            if txn.tid in self._transactions:
                self._dispatch(txn, Event.TRANSPORT_ERROR, now)

    def send_message(self, message: Request | Response, destination: Destination) -> None:
        """Send outside any transaction: the ACK for a 2xx, a 2xx retransmission."""
        self._sends.append(Outgoing(bytes(message), destination))

    # -- receiving ----------------------------------------------------------------------

    def _receive_request(self, request: Request, source: Source, now: float) -> None:
        stamp_request(request, source)
        key = server_key(request)
        tid = self._server_index.get(key)
        txn = self._transactions.get(tid) if tid is not None else None
        if txn is not None and key[0] == "2543" and not to_tag_matches(
                request, txn.request, txn.response):
            txn = None
        if request.method == "ACK":
            if txn is not None and (txn.state, Event.ACK) in TABLES[txn.kind]:
                self._dispatch(txn, Event.ACK, now)  # the ACK of a non-2xx final response
                return
            accepted = self._accepted_for(request)
            if accepted is not None and accepted.request.cseq.seq == request.cseq.seq:
                self._dispatch(accepted, Event.ACK_2XX, now)
            self._events.append(AckReceived(request, source))
            return
        if txn is not None:
            self._dispatch(txn, Event.REQUEST, now)
            return
        accepted = self._accepted_for(request)
        if accepted is not None and request.cseq.seq > accepted.request.cseq.seq:
            # a later request in the dialog (a BYE whose ACK was lost) proves the 2xx
            # arrived: stop re-sending it to a peer that has moved on
            self._dispatch(accepted, Event.ACK_2XX, now)
        kind = Kind.INVITE_SERVER if request.method == "INVITE" else Kind.NON_INVITE_SERVER
        txn = _Transaction(
            tid=next(self._ids), kind=kind, request=request,
            destination=response_destination(request.top_via, source),
            reliable=is_reliable(source.transport), key=key,
            announced=request.method != "CANCEL", source=source)
        self._transactions[txn.tid] = txn
        self._server_index[key] = txn.tid
        self._dispatch(txn, Event.START, now)

    def _accepted_for(self, request: Request) -> _Transaction | None:
        """The INVITE server transaction re-sending a 2xx in this request's dialog."""
        if request.to.tag is None:
            return None
        tid = self._accepted_index.get(_dialog_key(request, request.to.tag))
        return self._transactions.get(tid) if tid is not None else None

    def _receive_response(self, response: Response, now: float) -> None:
        key = client_key(response)
        tid = self._client_index.get(key) if key is not None else None
        txn = self._transactions.get(tid) if tid is not None else None
        if txn is None:
            if 200 <= response.status < 300 and response.cseq.method == "INVITE":
                self._events.append(StrayResponse(response))
            else:
                self.dropped += 1
            return
        txn.incoming = response
        try:
            self._dispatch(txn, _response_event(response.status, tu=False), now)
        finally:
            txn.incoming = None

    # -- the machine --------------------------------------------------------------------

    def _dispatch(self, txn: _Transaction, event: Event, now: float) -> None:
        transition = TABLES[txn.kind].get((txn.state, event))
        if transition is None:
            if event in TU_EVENTS:
                raise TransactionError(
                    f"transaction {txn.tid} ({txn.kind.value}) cannot take {event.value} "
                    f"in state {txn.state.value}")
            return
        for action in transition.actions:
            self._run(action, txn, now)
        txn.state = transition.next_state
        if txn.state is State.TERMINATED:
            self._remove(txn)
        while self._followups:
            tid, followup = self._followups.popleft()
            target = self._transactions.get(tid)
            if target is not None:
                self._dispatch(target, followup, now)

    def _run(self, action: Action, txn: _Transaction, now: float) -> None:
        if action in ARM:
            self._arm(txn, ARM[action], now)
        elif action in STOP:
            self._deadlines.cancel((txn.tid, STOP[action]))
        elif action in BACKOFF:
            timer, capped = BACKOFF[action]
            interval = txn.intervals.get(timer, self.settings.t1) * 2
            if capped:
                interval = min(interval, self.settings.t2)
            self._set(txn, timer, interval, now)
        elif action in AT_T2:
            self._set(txn, AT_T2[action], self.settings.t2, now)
        else:
            self._actions[action](txn, now)

    def _arm(self, txn: _Transaction, timer: Timer, now: float) -> None:
        interval = initial_interval(timer, self.settings, txn.reliable)
        if interval is None:
            return
        if interval == 0:
            self._followups.append((txn.tid, TIMER_EVENT[timer]))
            return
        self._set(txn, timer, interval, now)

    def _set(self, txn: _Transaction, timer: Timer, interval: float, now: float) -> None:
        txn.intervals[timer] = interval
        self._deadlines.set((txn.tid, timer), now + interval)

    def _remove(self, txn: _Transaction) -> None:
        del self._transactions[txn.tid]
        for timer in Timer:
            self._deadlines.cancel((txn.tid, timer))
        index: dict[ServerKey, TransactionId] | dict[ClientKey, TransactionId] = (
            self._client_index if txn.kind in _CLIENT_KINDS else self._server_index)
        if index.get(txn.key) == txn.tid:  # type: ignore[arg-type]
            del index[txn.key]  # type: ignore[arg-type]
        if txn.kind is Kind.INVITE_SERVER and txn.response is not None:
            dialog_key = _dialog_key(txn.request, txn.response.to.tag)
            if self._accepted_index.get(dialog_key) == txn.tid:
                del self._accepted_index[dialog_key]
        if txn.announced:
            self._events.append(TransactionTerminated(txn.tid))

    def _start_client(self, kind: Kind, request: Request, destination: Destination,
                      key: ClientKey, announced: bool, now: float) -> TransactionId:
        txn = _Transaction(
            tid=next(self._ids), kind=kind, request=request, destination=destination,
            reliable=is_reliable(destination.transport), key=key, announced=announced)
        self._transactions[txn.tid] = txn
        self._client_index[key] = txn.tid
        self._dispatch(txn, Event.START, now)
        return txn.tid

    # -- actions ------------------------------------------------------------------------

    def _send_request(self, txn: _Transaction, now: float) -> None:
        if not txn.request_bytes:
            txn.request_bytes = bytes(txn.request)
        self._sends.append(Outgoing(txn.request_bytes, txn.destination))

    def _send_response(self, txn: _Transaction, now: float) -> None:
        assert txn.answer is not None
        txn.response, txn.answer = txn.answer, None
        if txn.kind is Kind.INVITE_SERVER and 200 <= txn.response.status < 300:
            self._accepted_index[_dialog_key(txn.request, txn.response.to.tag)] = txn.tid
        txn.response_bytes = bytes(txn.response)
        self._sends.append(Outgoing(txn.response_bytes, txn.destination))

    def _resend_response(self, txn: _Transaction, now: float) -> None:
        if txn.response_bytes is not None:
            self._sends.append(Outgoing(txn.response_bytes, txn.destination))

    def _send_trying(self, txn: _Transaction, now: float) -> None:
        txn.answer = make_response(txn.request, 100, "Trying")
        self._send_response(txn, now)

    def _send_ack(self, txn: _Transaction, now: float) -> None:
        """§17.1.1.3: the ACK for a non-2xx final response, in the same transaction."""
        if txn.ack_bytes is None:
            response = txn.incoming
            assert response is not None
            original = txn.request
            headers = Headers([("Via", _top_via_only(original))])
            for value in original.headers.get_all("route"):
                headers.add("Route", value)
            headers.add("Max-Forwards", "70")
            headers.add("From", original.headers.get("from") or "")
            headers.add("To", response.headers.get("to") or "")
            headers.add("Call-ID", original.call_id)
            headers.add("CSeq", f"{original.cseq.seq} ACK")
            txn.ack_bytes = bytes(Request("ACK", original.uri, headers))
        self._sends.append(Outgoing(txn.ack_bytes, txn.destination))

    def _send_pending_cancel(self, txn: _Transaction, now: float) -> None:
        """§9.1: a CANCEL copying the INVITE's Request-URI, Call-ID, To, From, CSeq
        number, top Via (so the same branch) and Route; its own non-INVITE transaction."""
        if not txn.cancel_wanted or txn.cancel_sent:
            return
        txn.cancel_sent = True
        original = txn.request
        headers = Headers([("Via", _top_via_only(original))])
        for value in original.headers.get_all("route"):
            headers.add("Route", value)
        headers.add("Max-Forwards", "70")
        headers.add("From", original.headers.get("from") or "")
        headers.add("To", original.headers.get("to") or "")
        headers.add("Call-ID", original.call_id)
        headers.add("CSeq", f"{original.cseq.seq} CANCEL")
        cancel = Request("CANCEL", original.uri, headers)
        key = client_key(cancel)
        assert key is not None
        self._arm(txn, Timer.CANCEL_GUARD, now)
        if key not in self._client_index:
            self._start_client(Kind.NON_INVITE_CLIENT, cancel, txn.destination, key, False,
                               now)

    def _pass_request(self, txn: _Transaction, now: float) -> None:
        assert txn.source is not None
        if txn.request.method == "CANCEL":
            self._answer_cancel(txn, now)
        else:
            self._events.append(RequestReceived(txn.tid, txn.request, txn.source))

    def _answer_cancel(self, txn: _Transaction, now: float) -> None:
        """§9.2: 200 for a CANCEL that matches an INVITE transaction, else 481; the TU
        hears of it only while the INVITE still waits for a final response."""
        cancel = txn.request
        target_tid = self._server_index.get(server_key(cancel, "INVITE"))
        target = self._transactions.get(target_tid) if target_tid is not None else None
        if target is not None and target.key[0] == "2543" and not to_tag_matches(
                cancel, target.request, None):
            target = None
        if target is None:
            self._queue_response(txn, make_response(cancel, 481), now)
            return
        self._queue_response(txn, make_response(cancel, 200, to_tag=_local_tag(target)), now)
        if target.state is State.PROCEEDING:
            self._events.append(CancelReceived(target.tid, cancel))

    def _queue_response(self, txn: _Transaction, response: Response, now: float) -> None:
        """Answer a transaction the layer itself serves, after the current transition."""
        txn.answer = response
        self._followups.append((txn.tid, _response_event(response.status, tu=True)))

    def _pass_response(self, txn: _Transaction, now: float) -> None:
        assert txn.incoming is not None
        if txn.announced:
                self._events.append(ResponseReceived(txn.tid, txn.incoming))

    def _report_timeout(self, txn: _Transaction, now: float) -> None:
        if txn.announced:
            self._events.append(TransactionTimeout(txn.tid))


def _dialog_key(request: Request, to_tag: str | None) -> _DialogKey:
    return (request.call_id, request.from_.tag, to_tag)


def _local_tag(invite: _Transaction) -> str | None:
    """The To tag the INVITE's transaction answered with, so the 200 to CANCEL agrees."""
    return invite.response.to.tag if invite.response is not None else None
