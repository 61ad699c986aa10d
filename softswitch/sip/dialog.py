"""SIP dialogs (RFC 3261 §12): the peer-to-peer state that in-dialog requests build on.

A dialog is identified by Call-ID, local tag and remote tag. It is created as UAS from
an INVITE and the response we send with a To tag, or as UAC from a response with a To
tag; it holds the route set, the remote target and both CSeq counters, and it builds
in-dialog requests (BYE, re-INVITE, the ACK for a 2xx, NOTIFY ...) with loose or strict
routing as §12.2.1.1 says. Sans-IO: nothing here sends anything.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum

from softswitch.errors import ProtocolError
from softswitch.sip.headers import NameAddr
from softswitch.sip.message import Headers, Request, Response
from softswitch.sip.transaction_matching import is_rfc3261_branch, new_branch
from softswitch.sip.uri import AbsoluteURI, SipURI

#: methods whose Contact replaces the remote target (RFC 3261 §12.2, RFC 3311, 6665, 3515)
TARGET_REFRESH_METHODS = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})
#: the largest CSeq number (§8.1.1.5: less than 2**31)
MAX_CSEQ = 2**31 - 1


class DialogError(Exception):
    """A dialog cannot be made from these messages, or cannot do what was asked."""


class DialogState(Enum):
    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class DialogEvent(Enum):
    PROVISIONAL = "1xx with a To tag"
    SUCCESS = "2xx"
    FAILURE = "3xx-6xx"
    BYE = "BYE sent or received"


#: §12.3 and §13.2.2.4: (state, event) -> next state; a missing pair leaves the state
DIALOG_TRANSITIONS: dict[tuple[DialogState, DialogEvent], DialogState] = {
    (DialogState.EARLY, DialogEvent.PROVISIONAL): DialogState.EARLY,
    (DialogState.EARLY, DialogEvent.SUCCESS): DialogState.CONFIRMED,
    (DialogState.EARLY, DialogEvent.FAILURE): DialogState.TERMINATED,
    (DialogState.EARLY, DialogEvent.BYE): DialogState.TERMINATED,
    (DialogState.CONFIRMED, DialogEvent.BYE): DialogState.TERMINATED,
}


@dataclass(frozen=True)
class DialogId:
    call_id: str
    local_tag: str
    remote_tag: str | None  # an RFC 2543 peer may send no From tag

    @classmethod
    def of_incoming_request(cls, request: Request) -> DialogId:
        """The id as seen by the receiver of `request`: local is the To tag."""
        return cls(request.call_id, request.to.tag or "", request.from_.tag)

    @classmethod
    def of_incoming_response(cls, response: Response) -> DialogId:
        """The id as seen by the sender of the request: local is the From tag."""
        return cls(response.call_id, response.from_.tag or "", response.to.tag)


def new_tag() -> str:
    """A From/To tag with 64 random bits (§19.3 asks for at least 32)."""
    return secrets.token_hex(8)


def _response_event(status: int) -> DialogEvent:
    if status < 200:
        return DialogEvent.PROVISIONAL
    return DialogEvent.SUCCESS if status < 300 else DialogEvent.FAILURE


def _remote_target(message: Request | Response) -> SipURI | AbsoluteURI | None:
    contacts = message.contacts
    return contacts[0].uri if contacts else None


def _is_loose(route: NameAddr) -> bool:
    return isinstance(route.uri, SipURI) and "lr" in route.uri.params


def _as_request_uri(uri: SipURI | AbsoluteURI) -> SipURI | AbsoluteURI:
    """A URI fit for a Request-URI: no `method` parameter and no headers (§19.1.1)."""
    if not isinstance(uri, SipURI):
        return uri
    params = {k: v for k, v in uri.params.items() if k.lower() != "method"}
    return SipURI(uri.host, uri.scheme, uri.user, uri.password, uri.port, params, {})


@dataclass(eq=False)
class Dialog:
    id: DialogId
    state: DialogState
    local_uri: NameAddr   # our From (UAC) or To (UAS), with our tag
    remote_uri: NameAddr  # theirs, with their tag
    remote_target: SipURI | AbsoluteURI
    route_set: tuple[NameAddr, ...]
    local_seq: int | None
    remote_seq: int | None
    secure: bool = False
    #: our Contact, sent in target refresh requests
    local_contact: NameAddr | None = None
    #: the CSeq number of the last INVITE we sent, for the ACK of its 2xx
    invite_seq: int | None = None
    is_uac: bool = field(default=False)

    # -- creation -----------------------------------------------------------------------

    @classmethod
    def as_uas(cls, request: Request, response: Response,
               local_contact: NameAddr | None = None) -> Dialog:
        """§12.1.1: from the request received and our 101-299 response with a To tag."""
        local_tag = response.to.tag
        if not 101 <= response.status <= 299 or local_tag is None:
            raise DialogError("a dialog needs a 101-299 response with a To tag")
        target = _remote_target(request)
        if target is None:
            raise ProtocolError("a dialog-creating request needs a Contact", status=400)
        state = DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY
        return cls(
            id=DialogId(request.call_id, local_tag, request.from_.tag),
            state=state,
            local_uri=request.to.with_tag(local_tag),
            remote_uri=request.from_,
            remote_target=target,
            route_set=tuple(request.record_routes),
            local_seq=None,
            remote_seq=request.cseq.seq,
            secure=request.uri.scheme == "sips",
            local_contact=local_contact,
            is_uac=False,
        )

    @classmethod
    def as_uac(cls, request: Request, response: Response,
               local_contact: NameAddr | None = None) -> Dialog:
        """§12.1.2: from the request we sent and a 101-299 response carrying a To tag."""
        remote_tag = response.to.tag
        if not 101 <= response.status <= 299 or remote_tag is None:
            raise DialogError("a dialog needs a 101-299 response with a To tag")
        local_tag = request.from_.tag
        if local_tag is None:
            raise DialogError("the request we sent has no From tag")
        target = _remote_target(response)
        if target is None:
            if response.status >= 200:
                raise ProtocolError("a 2xx that creates a dialog needs a Contact", status=400)
            target = request.uri  # an early dialog without Contact: keep the request URI
        state = DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY
        return cls(
            id=DialogId(request.call_id, local_tag, remote_tag),
            state=state,
            local_uri=request.from_,
            remote_uri=response.to,
            remote_target=target,
            route_set=tuple(reversed(response.record_routes)),
            local_seq=request.cseq.seq,
            remote_seq=None,
            secure=request.uri.scheme == "sips",
            local_contact=local_contact,
            invite_seq=request.cseq.seq if request.method == "INVITE" else None,
            is_uac=True,
        )

    # -- changes ------------------------------------------------------------------------

    def _apply(self, event: DialogEvent) -> None:
        self.state = DIALOG_TRANSITIONS.get((self.state, event), self.state)

    def on_response(self, response: Response) -> None:
        """A response within this dialog (UAC side) to a request we sent.

        A 2xx confirms an early dialog and recomputes its route set (§13.2.2.4); a 2xx
        to a target refresh takes the new Contact (§12.2.1.2); a failure ends an early
        dialog.
        """
        status = response.status
        if self.state is DialogState.EARLY and 200 <= status < 300:
            self.route_set = tuple(reversed(response.record_routes))
        if 101 <= status < 300 and response.cseq.method in TARGET_REFRESH_METHODS:
            target = _remote_target(response)
            if target is not None:
                self.remote_target = target
        if status >= 300 and self.state is not DialogState.EARLY:
            return  # a failed re-INVITE or BYE leaves a confirmed dialog as it was
        if status >= 101:
            self._apply(_response_event(status))

    def on_final_response_sent(self, response: Response) -> None:
        """The UAS side answered the dialog-creating INVITE: a 2xx confirms, else ends."""
        if self.state is DialogState.EARLY and response.status >= 200:
            self._apply(_response_event(response.status))

    def on_request(self, request: Request) -> None:
        """An in-dialog request received (§12.2.2).

        Raises ProtocolError(status=500) for a CSeq lower than the last one; ACK and
        CANCEL carry the CSeq of the request they belong to and are not checked.
        """
        seq = request.cseq.seq
        if request.method not in ("ACK", "CANCEL"):
            if self.remote_seq is not None and seq < self.remote_seq:
                raise ProtocolError(
                    f"CSeq {seq} is lower than {self.remote_seq} in this dialog", status=500,
                    reason="Server Internal Error")
            self.remote_seq = seq
        if request.method in TARGET_REFRESH_METHODS:
            target = _remote_target(request)
            if target is not None:
                self.remote_target = target
        if request.method == "BYE":
            self._apply(DialogEvent.BYE)

    def terminate(self) -> None:
        self.state = DialogState.TERMINATED

    # -- requests -----------------------------------------------------------------------

    def next_hop(self) -> SipURI | AbsoluteURI:
        """Where an in-dialog request goes first: the first route, else the target."""
        return self.route_set[0].uri if self.route_set else self.remote_target

    def create_request(self, method: str, *, via: str, cseq: int | None = None,
                       headers: Iterable[tuple[str, str]] = (), body: bytes = b"",
                       content_type: str | None = None) -> Request:
        """An in-dialog request (§12.2.1.1).

        `via` is our top Via (a branch is added unless it has an RFC 3261 one). The CSeq
        is the next local number, except for an ACK, which takes the INVITE's (`cseq` or
        the last INVITE we sent) and for CANCEL, which must not be built here.
        """
        method = method.upper()
        if method == "CANCEL":
            raise DialogError("CANCEL is built from the INVITE it cancels, not the dialog")
        if self.state is DialogState.TERMINATED and method != "ACK":
            raise DialogError(f"the dialog is terminated; cannot send {method}")
        if method == "ACK":
            number = cseq if cseq is not None else self.invite_seq
            if number is None:
                raise DialogError("an ACK needs the CSeq number of its INVITE")
        else:
            number = cseq if cseq is not None else (
                1 if self.local_seq is None else self.local_seq + 1)
            if self.local_seq is not None and number <= self.local_seq:
                raise DialogError(f"CSeq {number} is not above {self.local_seq}")
            if number > MAX_CSEQ:
                raise DialogError("the local CSeq space is exhausted")
            self.local_seq = number
            if method == "INVITE":
                self.invite_seq = number
        uri, routes = self._request_uri_and_routes()
        out = Headers([("Via", _with_branch(via))])
        out.add("Max-Forwards", "70")
        for route in routes:
            out.add("Route", route)
        out.add("From", str(self.local_uri))
        out.add("To", str(self.remote_uri))
        out.add("Call-ID", self.id.call_id)
        out.add("CSeq", f"{number} {method}")
        if self.local_contact is not None and method in TARGET_REFRESH_METHODS:
            out.add("Contact", str(self.local_contact))
        for name, value in headers:
            out.add(name, value)
        if body and content_type is not None:
            out.add("Content-Type", content_type)
        return Request(method, uri, out, body)

    def _request_uri_and_routes(self) -> tuple[SipURI | AbsoluteURI, list[str]]:
        """Loose routing keeps the target in the Request-URI; a strict first hop takes
        the Request-URI and the target goes to the end of the Route set."""
        if not self.route_set:
            return self.remote_target, []
        first = self.route_set[0]
        if _is_loose(first):
            return self.remote_target, [str(route) for route in self.route_set]
        rest = [str(route) for route in self.route_set[1:]]
        rest.append(f"<{self.remote_target}>")
        return _as_request_uri(first.uri), rest


def _with_branch(via: str) -> str:
    params = via.split(";")[1:]
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "branch" and is_rfc3261_branch(value.strip()):
            return via
    return f"{via};branch={new_branch()}"


class DialogTable:
    """Every dialog of one user agent, by id; forked early dialogs share a Call-ID."""

    def __init__(self) -> None:
        self._dialogs: dict[DialogId, Dialog] = {}

    def __len__(self) -> int:
        return len(self._dialogs)

    def __iter__(self) -> Iterator[Dialog]:
        return iter(list(self._dialogs.values()))

    def __contains__(self, dialog_id: object) -> bool:
        return dialog_id in self._dialogs

    def add(self, dialog: Dialog) -> None:
        if dialog.id in self._dialogs:
            raise DialogError(f"dialog {dialog.id} exists")
        self._dialogs[dialog.id] = dialog

    def get(self, dialog_id: DialogId) -> Dialog | None:
        return self._dialogs.get(dialog_id)

    def remove(self, dialog_id: DialogId) -> Dialog | None:
        return self._dialogs.pop(dialog_id, None)

    def for_request(self, request: Request) -> Dialog | None:
        """The dialog an incoming in-dialog request belongs to (None: answer 481)."""
        if request.to.tag is None:
            return None
        return self._dialogs.get(DialogId.of_incoming_request(request))

    def for_response(self, response: Response) -> Dialog | None:
        """The dialog a response to one of our requests belongs to."""
        if response.to.tag is None:
            return None
        return self._dialogs.get(DialogId.of_incoming_response(response))

    def of_call(self, call_id: str) -> list[Dialog]:
        return [d for d in self._dialogs.values() if d.id.call_id == call_id]

    def remove_terminated(self) -> list[Dialog]:
        gone = [d for d in self._dialogs.values() if d.state is DialogState.TERMINATED]
        for dialog in gone:
            del self._dialogs[dialog.id]
        return gone
