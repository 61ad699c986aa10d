"""How the B2BUA speaks SIP on its legs: our Via and Contact per transport, the responses
it sends and the requests it starts (INVITE, BYE, CANCEL, NOTIFY, the ACK for a 2xx),
all through the transaction layer. No call logic lives here: the B2BUA decides, this
builds and sends, and reports whether the layer took it."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from softswitch.errors import ProtocolError
from softswitch.sip.dialog import Dialog, DialogError, new_tag
from softswitch.sip.message import Headers, Request, Response, make_response
from softswitch.sip.routing import Destination, Source
from softswitch.sip.transaction import TransactionError, TransactionLayer
from softswitch.sip.transaction_events import TransactionId
from softswitch.sip.uri import SipURI, format_host

log = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER"
SDP = "application/sdp"


class Signalling:
    def __init__(self, layer: TransactionLayer, local: dict[str, tuple[str, int]],
                 domain: str, tag_factory: Callable[[], str] = new_tag,
                 call_id_factory: Callable[[], str] | None = None) -> None:
        if not local:
            raise ValueError("the switch needs at least one SIP address")
        self.layer = layer
        self._local = local  # transport -> our (host, port)
        self.domain = domain
        self.new_tag = tag_factory
        self._new_call_id = call_id_factory or (lambda: secrets.token_hex(12))

    def _address(self, destination: Destination) -> tuple[str, str, int]:
        transport = destination.transport.lower()
        host, port = self._local.get(transport) or next(iter(self._local.values()))
        return transport, format_host(host), port

    def via(self, destination: Destination) -> str:
        transport, host, port = self._address(destination)
        return f"SIP/2.0/{transport.upper()} {host}:{port};rport"

    def contact(self, destination: Destination) -> str:
        transport, host, port = self._address(destination)
        suffix = "" if transport == "udp" else f";transport={transport}"
        return f"<sip:switch@{host}:{port}{suffix}>"

    # -- responses ---------------------------------------------------------------------

    @staticmethod
    def response(request: Request, status: int, reason: str | None, to_tag: str | None,
                 headers: list[tuple[str, str]] | None = None,
                 body: bytes = b"") -> Response:
        response = make_response(request, status, reason,
                                 to_tag=to_tag if status > 100 else None,
                                 headers=headers or ())
        response.body = body
        return response

    def respond(self, tid: TransactionId, response: Response, now: float) -> bool:
        """False when the transaction is gone (answered or timed out meanwhile)."""
        try:
            self.layer.respond(tid, response, now)
        except TransactionError as error:
            log.debug("response %d dropped: %s", response.status, error)
            return False
        return True

    def reply(self, tid: TransactionId, request: Request, status: int, reason: str | None,
              to_tag: str | None, now: float) -> bool:
        return self.respond(tid, self.response(request, status, reason,
                                               to_tag or self.new_tag()), now)

    # -- requests ----------------------------------------------------------------------

    def invite(self, uri: SipURI, destination: Destination, *, from_user: str,
               display: str | None, to_user: str, body: bytes,
               now: float) -> tuple[Request, TransactionId] | None:
        """A new dialog-creating INVITE with our SDP offer; None when it cannot go."""
        name = f'"{display}" ' if display else ""
        headers = Headers([
            ("Via", self.via(destination)), ("Max-Forwards", "70"),
            ("From", f"{name}<sip:{from_user}@{self.domain}>;tag={self.new_tag()}"),
            ("To", f"<sip:{to_user}@{self.domain}>"),
            ("Call-ID", self._new_call_id()), ("CSeq", "1 INVITE"),
            ("Contact", self.contact(destination)), ("Allow", ALLOW),
            ("Content-Type", SDP)])
        invite = Request("INVITE", uri, headers, body)
        try:
            return invite, self.layer.send_request(invite, destination, now)
        except TransactionError as error:
            log.warning("cannot invite %s: %s", uri, error)
            return None

    def in_dialog(self, dialog: Dialog, method: str, destination: Destination, now: float,
                  *, headers: list[tuple[str, str]] | None = None, body: bytes = b"",
                  content_type: str | None = None) -> TransactionId | None:
        """BYE, NOTIFY ...: None when the dialog or the layer refuses."""
        try:
            request = dialog.create_request(method, via=self.via(destination),
                                            headers=headers or (), body=body,
                                            content_type=content_type)
            return self.layer.send_request(request, destination, now)
        except (DialogError, TransactionError) as error:
            log.debug("%s not sent: %s", method, error)
            return None

    def send(self, request: Request, destination: Destination, now: float) -> bool:
        try:
            self.layer.send_request(request, destination, now)
        except TransactionError as error:
            log.debug("%s not sent: %s", request.method, error)
            return False
        return True

    def ack(self, dialog: Dialog, destination: Destination) -> Request:
        """The ACK for a 2xx: outside any transaction, kept to answer its retransmissions."""
        ack = dialog.create_request("ACK", via=self.via(destination))
        self.layer.send_message(ack, destination)
        return ack

    def resend(self, message: Request, destination: Destination) -> None:
        self.layer.send_message(message, destination)

    def cancel(self, tid: TransactionId, now: float) -> bool:
        try:
            self.layer.cancel(tid, now)
        except TransactionError:
            return False
        return True

    def absorb_ack(self, ack: Request, source: Source, now: float) -> None:
        """Hand the layer an ACK (rewritten to match) so its 2xx stops being re-sent."""
        try:
            self.layer.receive(ack, source, now)
        except ProtocolError:
            pass
