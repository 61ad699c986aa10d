"""A switch (UA core + B2BUA on a transaction layer) and scripted phones (each its own
transaction layer) on an in-memory network driven by a ManualClock: no sockets, no
sleeping. The phones do only what a test tells them, plus the reflexes every UA has
(answering CANCEL with 487, BYE with 200, ACKing a 2xx unless told not to)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from softswitch.call.actions import Action, Respond
from softswitch.call.b2bua import B2BUA, CallSettings
from softswitch.call.dialplan import DialPlan
from softswitch.call.location import Binding
from softswitch.call.ports import PortRange
from softswitch.call.registrar import Registrar
from softswitch.call.ua_core import UserAgentCore
from softswitch.clock import ManualClock
from softswitch.sdp.negotiation import offer
from softswitch.sip.auth import DigestAuthenticator, answer_challenge
from softswitch.sip.dialog import Dialog, new_tag
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import Headers, Request, Response, make_response
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import Destination, Source
from softswitch.sip.throttle import AuthFailureThrottle, ThrottlePolicy
from softswitch.sip.transaction import TransactionLayer
from softswitch.sip.transaction_events import (
    AckReceived,
    CancelReceived,
    RequestReceived,
    ResponseReceived,
    StrayResponse,
    TransactionEvent,
)
from softswitch.sip.uri import parse_uri

SWITCH = ("127.0.0.1", 5060)
PASSWORDS = {"1001": "pw1", "1002": "pw2", "1003": "pw3"}
Address = tuple[str, int]


def sdp_offer(port: int, codecs: tuple = ()) -> bytes:
    return str(offer("127.0.0.1", port, *((codecs,) if codecs else ()))).encode()


@dataclass
class Phone:
    """A scripted user agent at `address` for `user`."""

    net: Network
    user: str
    address: Address
    layer: TransactionLayer = field(default_factory=TransactionLayer)
    requests: list[RequestReceived] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    acks: list[Request] = field(default_factory=list)
    strays: list[Response] = field(default_factory=list)
    dialogs: list[Dialog] = field(default_factory=list)
    cancels: list[Request] = field(default_factory=list)
    password: str | None = None  # None: the right one
    auto_ack: bool = True
    ack_to_tag: str | None = None  # send ACKs with this (wrong) To tag, as pyVoIP does
    _outgoing: Request | None = None
    _outgoing_tid: int | None = None
    _cseq: int = 1

    @property
    def contact(self) -> str:
        return f"sip:{self.user}@{self.address[0]}:{self.address[1]}"

    def binding(self) -> Binding:
        return Binding(self.user, self.contact, 1e12, "reg", 1, 0.0, 0.0, "UDP",
                       self.address[0], self.address[1])

    # -- placing a call ----------------------------------------------------------------

    def call(self, number: str, body: bytes | None = None) -> None:
        headers = Headers([
            ("Via", f"SIP/2.0/UDP {self.address[0]}:{self.address[1]};rport"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{self.user}@pbx.test>;tag={new_tag()}"),
            ("To", f"<sip:{number}@pbx.test>"),
            ("Call-ID", f"call-{next(self.net.ids)}"),
            ("CSeq", f"{self._cseq} INVITE"),
            ("Contact", f"<{self.contact}>"),
            ("Content-Type", "application/sdp")])
        request = Request("INVITE", parse_uri(f"sip:{number}@pbx.test"), headers,
                          body if body is not None else sdp_offer(40000 + self.address[1]))
        self._send_invite(request)

    def _send_invite(self, request: Request) -> None:
        self._outgoing = request
        self._outgoing_tid = self.layer.send_request(request, self.net.switch_dest,
                                                     self.net.clock.now())

    def cancel(self) -> None:
        assert self._outgoing_tid is not None
        self.layer.cancel(self._outgoing_tid, self.net.clock.now())

    def _answer_challenge(self, response: Response) -> None:
        assert self._outgoing is not None
        old = self._outgoing
        self._cseq += 1
        headers = old.headers.copy()
        headers.remove("via")
        headers.prepend("Via", f"SIP/2.0/UDP {self.address[0]}:{self.address[1]};rport")
        headers.set("CSeq", f"{self._cseq} INVITE")
        challenge = response.headers.get("www-authenticate") or ""
        headers.add("Authorization", answer_challenge(
            challenge, "INVITE", str(old.uri), self.user,
            self.password if self.password is not None else PASSWORDS[self.user],
            "c0ffee", 1))
        self._send_invite(Request("INVITE", old.uri, headers, old.body))

    # -- answering ---------------------------------------------------------------------

    def invites(self) -> list[RequestReceived]:
        return [e for e in self.requests
                if e.request.method == "INVITE" and e.request.to.tag is None]

    def answer(self, status: int, *, which: int = -1, body: bytes | None = None) -> None:
        event = self.invites()[which]
        response = make_response(event.request, status, to_tag=self._tag_for(event.request),
                                 headers=[("Contact", f"<{self.contact}>")])
        if 200 <= status < 300:
            response.body = body if body is not None else sdp_offer(30000 + self.address[1])
            response.headers.add("Content-Type", "application/sdp")
            self.dialogs.append(Dialog.as_uas(event.request, response))
        self.layer.respond(event.tid, response, self.net.clock.now())

    def _tag_for(self, request: Request) -> str:
        return f"t{abs(hash(request.call_id)) % 100000}-{self.user}"

    def bye(self) -> None:
        dialog = self.dialogs[-1]
        request = dialog.create_request(
            "BYE", via=f"SIP/2.0/UDP {self.address[0]}:{self.address[1]};rport")
        self.layer.send_request(request, self.net.switch_dest, self.net.clock.now())

    def refer(self, target: str) -> None:
        dialog = self.dialogs[-1]
        request = dialog.create_request(
            "REFER", via=f"SIP/2.0/UDP {self.address[0]}:{self.address[1]};rport",
            headers=[("Refer-To", f"<sip:{target}@pbx.test>")])
        self.layer.send_request(request, self.net.switch_dest, self.net.clock.now())

    def notifications(self) -> list[bytes]:
        return [e.request.body for e in self.requests if e.request.method == "NOTIFY"]

    def reinvite(self, body: bytes, method: str = "INVITE") -> None:
        dialog = self.dialogs[-1]
        request = dialog.create_request(
            method, via=f"SIP/2.0/UDP {self.address[0]}:{self.address[1]};rport",
            body=body, content_type="application/sdp")
        self.layer.send_request(request, self.net.switch_dest, self.net.clock.now())

    # -- reflexes ----------------------------------------------------------------------

    def on_event(self, event: TransactionEvent) -> None:
        now = self.net.clock.now()
        if isinstance(event, RequestReceived):
            self.requests.append(event)
            request = event.request
            if request.method in ("BYE", "NOTIFY"):
                self.layer.respond(event.tid, make_response(request, 200), now)
            elif request.method == "INVITE" and request.to.tag is not None:
                response = make_response(request, 200, headers=[("Contact", f"<{self.contact}>")])
                self.layer.respond(event.tid, response, now)
        elif isinstance(event, CancelReceived):
            self.cancels.append(event.request)
            invite = next(e.request for e in self.requests if e.tid == event.tid)
            self.layer.respond(event.tid, make_response(invite, 487,
                                                        to_tag=self._tag_for(invite)), now)
        elif isinstance(event, AckReceived):
            self.acks.append(event.request)
        elif isinstance(event, ResponseReceived):
            response = event.response
            self.responses.append(response)
            if response.cseq.method == "INVITE":
                if response.status == 401 and self._outgoing is not None \
                        and "authorization" not in self._outgoing.headers:
                    self._answer_challenge(response)
                elif 200 <= response.status < 300:
                    self._confirmed(response)
        elif isinstance(event, StrayResponse):
            self.strays.append(event.response)
            if self.auto_ack and self.dialogs:
                self._send_ack(self.dialogs[-1], event.response)

    def _confirmed(self, response: Response) -> None:
        assert self._outgoing is not None
        if response.cseq.seq != self._outgoing.cseq.seq:
            return
        dialog = Dialog.as_uac(self._outgoing, response)
        self.dialogs.append(dialog)
        if self.auto_ack:
            self._send_ack(dialog, response)

    def _send_ack(self, dialog: Dialog, response: Response) -> None:
        ack = dialog.create_request(
            "ACK", via=f"SIP/2.0/UDP {self.address[0]}:{self.address[1]};rport",
            cseq=response.cseq.seq)
        if self.ack_to_tag is not None:
            ack.headers.set("To", str(parse_name_addr(ack.headers.get("to") or "")
                                      .with_tag(self.ack_to_tag)))
        self.layer.send_message(ack, self.net.switch_dest)

    def statuses(self) -> list[int]:
        return [r.status for r in self.responses if r.cseq.method == "INVITE"]


class Network:
    def __init__(self, *, ring_timeout: float = 30.0, loss: float = 0.0, seed: int = 1,
                 ports: PortRange | None = None) -> None:
        self.clock = ManualClock()
        self.ids = itertools.count(1)
        self.rng = random.Random(seed)
        self.loss = loss
        self.switch_dest = Destination("udp", *SWITCH)
        self.layer = TransactionLayer()
        self.bindings: dict[str, list[Binding]] = {}
        self.ports = ports or PortRange(20000, 20999)
        self.b2bua = B2BUA(
            layer=self.layer, dial_plan=DialPlan.for_extensions(PASSWORDS),
            lookup=lambda ext: list(self.bindings.get(ext, [])), ports=self.ports,
            local={"udp": SWITCH}, domain="pbx.test",
            settings=CallSettings(ring_timeout=ring_timeout))
        self.core = UserAgentCore(
            registrar=Registrar(), b2bua=self.b2bua,
            authenticator=DigestAuthenticator(realm="pbx.test", key=b"k" * 32,
                                              password_for=PASSWORDS.get),
            throttle=AuthFailureThrottle(ThrottlePolicy()), user_agent="test",
            tag_factory=new_tag)
        self.phones: dict[Address, Phone] = {}
        self.actions: list[Action] = []
        self.datagrams = 0
        #: drop the next datagram for which this returns True (then it is cleared)
        self.drop_once: Callable[[bytes, Address, Address], bool] | None = None

    def phone(self, user: str, port: int, *, register: bool = True) -> Phone:
        phone = Phone(self, user, ("127.0.0.1", port))
        self.phones[phone.address] = phone
        if register:
            self.bindings.setdefault(user, []).append(phone.binding())
        return phone

    def kinds(self, kind: type) -> list:
        return [a for a in self.actions if isinstance(a, kind)]

    def events(self) -> list[str]:
        return [a.kind for a in self.actions if type(a).__name__ == "LogEvent"]

    def _switch_event(self, event: TransactionEvent) -> None:
        now = self.clock.now()
        for action in self.core.handle(event, now, self.clock.wall()):
            if isinstance(action, Respond):
                self.layer.respond(action.tid, action.response, now)
            else:
                self.actions.append(action)

    def _deliver(self, data: bytes, source: Address, dest: Address) -> None:
        self.datagrams += 1
        if self.loss and self.rng.random() < self.loss:
            return
        if self.drop_once is not None and self.drop_once(data, source, dest):
            self.drop_once = None
            return
        message = parse_message(data)
        src = Source("udp", *source)
        if dest == SWITCH:
            self.layer.receive(message, src, self.clock.now())
        elif dest in self.phones:
            self.phones[dest].layer.receive(message, src, self.clock.now())

    def pump(self) -> None:
        busy = True
        while busy:
            busy = False
            while (out := self.layer.next_send()) is not None:
                busy = True
                self._deliver(out.data, SWITCH, (out.destination.host, out.destination.port))
            while (event := self.layer.next_event()) is not None:
                busy = True
                self._switch_event(event)
            for address, phone in list(self.phones.items()):
                while (out := phone.layer.next_send()) is not None:
                    busy = True
                    self._deliver(out.data, address, (out.destination.host,
                                                      out.destination.port))
                while (event := phone.layer.next_event()) is not None:
                    busy = True
                    phone.on_event(event)

    def _deadlines(self) -> list[float]:
        layers = [self.layer, *(p.layer for p in self.phones.values())]
        times = [t for t in (layer.get_timer() for layer in layers) if t is not None]
        own = self.b2bua.get_timer()
        return times + ([own] if own is not None else [])

    def run(self, seconds: float) -> None:
        """Deliver everything, firing every timer due within `seconds` from now."""
        self.pump()
        end = self.clock.now() + seconds
        while True:
            due = [t for t in self._deadlines() if t <= end]
            if not due:
                break
            self.clock.set(max(self.clock.now(), min(due)))
            now = self.clock.now()
            self.layer.handle_timer(now)
            for phone in self.phones.values():
                phone.layer.handle_timer(now)
            for action in self.b2bua.handle_timer(now, self.clock.wall()):
                self.actions.append(action)
            self.pump()
        self.clock.set(end)

    def settle(self) -> None:
        """Run until every timer everywhere has fired (transactions all gone)."""
        self.run(120.0)

    def leaks(self) -> dict[str, int]:
        return {"calls": len(self.b2bua.calls), "legs": self.b2bua.live_legs,
                "dialogs": self.b2bua.dialogs, "ports": self.ports.in_use,
                "transactions": len(self.layer)}


NO_LEAKS = {"calls": 0, "legs": 0, "dialogs": 0, "ports": 0, "transactions": 0}

OnEvent = Callable[[TransactionEvent], None]
