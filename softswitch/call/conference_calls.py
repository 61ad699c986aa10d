"""Conference rooms over real calls: a phone dialling a room number is answered by the
switch, asked for the room's PIN when it has one, and joined to the room's mix.

Sans-IO, like `VoicemailCalls` beside it: it drives the transaction layer it is given
and returns actions for the edge. The rooms themselves (who is in, PINs, beeps, closing)
are `ConferenceRooms`; this module carries the SIP legs and turns the rooms' effects into
actions: `OpenRoom`, `CloseRoom`, `JoinRoom`, `LeaveRoom` and `Beep` go to the media edge
as they are, `PlayTo` becomes `PlayPrompts`, `RoomEvent` a `LogEvent`, `SendAway` a BYE
once the refusal has been heard.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from softswitch.call.actions import Action, CloseMedia, LogEvent, OpenMedia
from softswitch.call.b2bua import ALLOW, CallSettings, Offered
from softswitch.call.center_calls import EndLeg, PlayPrompts
from softswitch.call.conference import (
    Beep,
    CloseRoom,
    ConferenceRooms,
    Effect,
    JoinRoom,
    LeaveRoom,
    OpenRoom,
    PlayTo,
    RoomEvent,
    SendAway,
)
from softswitch.call.late_offer import session_body, take_answer, waiting_params
from softswitch.call.leg_media import SDP, body_sdp, media_params
from softswitch.call.ports import PortPool
from softswitch.errors import ProtocolError
from softswitch.rtp.dtmf import parse_info_body
from softswitch.sdp.negotiation import LocalSdp, negotiate
from softswitch.sip.dialog import Dialog, DialogError, DialogId, new_tag
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import Request, make_response
from softswitch.sip.routing import Destination
from softswitch.sip.transaction import TransactionError, TransactionLayer
from softswitch.sip.transaction_events import TransactionId
from softswitch.sip.uri import format_host

log = logging.getLogger(__name__)

RoomAction = Action | PlayPrompts | OpenRoom | CloseRoom | JoinRoom | LeaveRoom | Beep


@dataclass(eq=False)
class RoomLeg:
    leg: EndLeg
    room: str
    user: str
    #: hang up when the prompts now playing end (too many wrong PINs)
    send_away: bool = False


class ConferenceCalls:
    def __init__(self, *, layer: TransactionLayer, rooms: ConferenceRooms, ports: PortPool,
                 local: dict[str, tuple[str, int]], settings: CallSettings | None = None,
                 has_prompt: Callable[[str], bool] = lambda name: False,
                 tag_factory: Callable[[], str] = new_tag) -> None:
        self.layer = layer
        self.rooms = rooms
        self.ports = ports
        self._local = local
        self.settings = settings or CallSettings()
        #: the media engine's prompts: a name without audio is skipped
        self.has_prompt = has_prompt
        self._new_tag = tag_factory
        self._leg_ids = itertools.count(3_000_000)  # apart from the other parts' legs
        self.legs: dict[int, RoomLeg] = {}
        self._by_tid: dict[TransactionId, RoomLeg] = {}
        self._by_dialog: dict[DialogId, RoomLeg] = {}
        self._out: list[RoomAction] = []
        self._now = 0.0

    def owns(self, tid: TransactionId) -> bool:
        return tid in self._by_tid

    def owns_leg(self, leg_id: int) -> bool:
        return leg_id in self.legs

    def _take(self) -> list[RoomAction]:
        out, self._out = self._out, []
        return out

    # -- SIP plumbing --------------------------------------------------------------------

    def _local_for(self, destination: Destination) -> tuple[str, tuple[str, int]]:
        transport = destination.transport.lower()
        return transport, self._local.get(transport) or next(iter(self._local.values()))

    def _via(self, destination: Destination) -> str:
        transport, (host, port) = self._local_for(destination)
        return f"SIP/2.0/{transport.upper()} {format_host(host)}:{port};rport"

    def _contact(self, destination: Destination, room: str) -> str:
        transport, (host, port) = self._local_for(destination)
        suffix = "" if transport == "udp" else f";transport={transport}"
        return f"<sip:{room}@{format_host(host)}:{port}{suffix}>"

    def _respond(self, tid: TransactionId, request: Request, status: int,
                 reason: str | None = None, to_tag: str | None = None,
                 headers: list[tuple[str, str]] | None = None, body: bytes = b"") -> bool:
        response = make_response(request, status, reason, to_tag=to_tag or self._new_tag(),
                                 headers=headers or ())
        response.body = body
        try:
            self.layer.respond(tid, response, self._now)
        except TransactionError as error:
            log.debug("response %d dropped: %s", status, error)
            return False
        return True

    # -- a phone dials a room ------------------------------------------------------------

    def offer(self, offered: Offered, now: float, wall: float) -> list[RoomAction] | None:
        """Answer an INVITE to a room number and bring the caller to the room's door;
        None for every other number."""
        number = getattr(offered.request.uri, "user", None) or ""
        if self.rooms.target(number) is None:
            return None
        self._now = now
        request, tid = offered.request, offered.tid
        try:
            if request.from_.tag is None or not request.contacts:
                self._respond(tid, request, 400, "Missing From tag or Contact")
                return self._take()
            offer_sdp = body_sdp(request)  # None: a late offer, ours goes in the 200
            negotiated = None if offer_sdp is None else negotiate(offer_sdp,
                                                                   self.settings.codecs)
        except ProtocolError as error:
            self._respond(tid, request, error.status if error.status >= 400 else 488)
            return self._take()
        port = self.ports.allocate()
        if port is None:
            self._respond(tid, request, 503, "Service Unavailable (no RTP ports)")
            return self._take()
        source = offered.source
        destination = Destination(source.transport, source.host, source.port,
                                  source.connection)
        sdp = LocalSdp(self.settings.media_address, secrets.randbits(31))
        tag = self._new_tag()
        contact = self._contact(destination, number)
        response = make_response(request, 200, None, to_tag=tag, headers=[
            ("Contact", contact), ("Allow", ALLOW + ", INFO"), ("Content-Type", SDP)])
        response.body = session_body(sdp, offer_sdp, self.settings.codecs, port)
        try:
            self.layer.respond(tid, response, now)
        except TransactionError:
            self.ports.release(port)
            return self._take()
        leg = EndLeg(next(self._leg_ids), request.call_id, "conference", request, tid,
                     destination, port, sdp, state="confirmed", number=offered.user)
        leg.dialog = Dialog.as_uas(request, response, parse_name_addr(contact))
        leg.media = (waiting_params(self.settings.codecs) if negotiated is None
                     else media_params(negotiated))
        leg.answer_due = negotiated is None
        member = RoomLeg(leg, number, offered.user)
        self.legs[leg.id] = member
        self._by_tid[tid] = member
        self._by_dialog[leg.dialog.id] = member
        leg.media_open = True
        self._out.append(OpenMedia(leg.id, leg.port, leg.media))
        self._out.append(LogEvent("conference.answered", {"room": number,
                                                          "user": offered.user},
                                  call_id=leg.call_id))
        self._run(member, self.rooms.enter(leg.id, number))
        return self._take()

    # -- the rooms' effects ----------------------------------------------------------------

    def _run(self, member: RoomLeg | None, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, PlayTo):
                names = tuple(n for n in (self._resolve(p) for p in effect.prompts) if n)
                if names:
                    self._out.append(PlayPrompts(effect.leg, names))
            elif isinstance(effect, SendAway):
                target = self.legs.get(effect.leg)
                if target is not None:
                    target.send_away = True
            elif isinstance(effect, RoomEvent):
                who = self.legs.get(effect.leg)
                self._out.append(LogEvent(effect.kind, {
                    "room": effect.room, "user": who.user if who else ""},
                    call_id=who.leg.call_id if who else None))
            else:
                self._out.append(effect)

    def _resolve(self, name: str) -> str | None:
        for candidate in (f"en/{name}", name):
            if self.has_prompt(candidate):
                return candidate
        return None

    # -- events from the edge and the transaction layer -----------------------------------

    def digit(self, leg_id: int, digit: str, now: float) -> list[RoomAction]:
        self._now = now
        member = self.legs.get(leg_id)
        if member is not None and member.leg.state == "confirmed":
            self._run(member, self.rooms.digit(leg_id, digit))
        return self._take()

    def prompt_finished(self, leg_id: int, now: float) -> list[RoomAction]:
        self._now = now
        member = self.legs.get(leg_id)
        if member is not None and member.send_away:
            member.send_away = False
            self._hang_up(member)
        return self._take()

    def _hang_up(self, member: RoomLeg) -> None:
        leg = member.leg
        if leg.dialog is None or leg.state != "confirmed":
            return
        try:
            bye = leg.dialog.create_request("BYE", via=self._via(leg.destination))
            tid = self.layer.send_request(bye, leg.destination, self._now)
        except (DialogError, TransactionError) as error:
            log.warning("cannot send BYE on conference leg %d: %s", leg.id, error)
            self._leg_ended(member)
            return
        leg.state = "ending"
        leg.bye_tid = tid
        self._by_tid[tid] = member

    def _leg_ended(self, member: RoomLeg) -> None:
        leg = member.leg
        if leg.state == "ended":
            return
        leg.state = "ended"
        self._run(member, self.rooms.leave(leg.id))
        if leg.media_open:
            leg.media_open = False
            self._out.append(CloseMedia(leg.id))
        self.ports.release(leg.port)
        for tid in (leg.tid, leg.bye_tid):
            if tid is not None and self._by_tid.get(tid) is member:
                del self._by_tid[tid]
        if leg.dialog is not None:
            leg.dialog.terminate()
            self._by_dialog.pop(leg.dialog.id, None)
        self.legs.pop(leg.id, None)

    def on_ack(self, request: Request, now: float, wall: float) -> list[RoomAction] | None:
        member = self._by_dialog.get(DialogId.of_incoming_request(request))
        if member is None:
            return None
        member.leg.acked = True
        if member.leg.answer_due:
            update = take_answer(member.leg, request, self.settings.codecs)
            if update is None:  # no usable answer: the session cannot start
                self._now = now
                self._hang_up(member)
            else:
                self._out.append(update)
        return self._take()

    def on_response(self, tid: TransactionId, status: int, now: float,
                    wall: float) -> list[RoomAction]:
        """Our BYE answered (any final status ends the leg)."""
        self._now = now
        member = self._by_tid.get(tid)
        if member is not None and tid == member.leg.bye_tid and status >= 200:
            self._leg_ended(member)
        return self._take()

    def on_timeout(self, tid: TransactionId, now: float, wall: float) -> list[RoomAction]:
        self._now = now
        member = self._by_tid.get(tid)
        if member is not None:
            self._leg_ended(member)
        return self._take()

    def in_dialog(self, tid: TransactionId, request: Request, now: float,
                  wall: float) -> list[RoomAction] | None:
        """BYE, INFO (a key) or a session refresh on one of our legs; None when not ours."""
        member = self._by_dialog.get(DialogId.of_incoming_request(request))
        if member is None or member.leg.dialog is None:
            return None
        self._now = now
        leg = member.leg
        dialog = leg.dialog
        assert dialog is not None
        tag = dialog.id.local_tag
        try:
            dialog.on_request(request)
        except ProtocolError as error:
            self._respond(tid, request, error.status, error.reason, to_tag=tag)
            return self._take()
        if request.method == "BYE":
            self._respond(tid, request, 200, to_tag=tag)
            self._leg_ended(member)
        elif request.method == "INFO":
            try:
                event = parse_info_body(request.content_type or "", request.body, now)
            except ProtocolError as error:
                self._respond(tid, request, 415 if "type" in error.reason.lower() else 400,
                              to_tag=tag)
                return self._take()
            self._respond(tid, request, 200, to_tag=tag)
            self._run(member, self.rooms.digit(leg.id, event.digit))
        elif request.method == "INVITE" and leg.media is not None:
            try:
                offer = body_sdp(request)
            except ProtocolError:
                self._respond(tid, request, 488, to_tag=tag)
                return self._take()
            codecs = list(self.settings.codecs)
            body = (leg.sdp.answer(offer, codecs, leg.port) if offer
                    else leg.sdp.offer(leg.port, codecs))
            self._respond(tid, request, 200, to_tag=tag, headers=[
                ("Contact", self._contact(leg.destination, member.room)),
                ("Content-Type", SDP)], body=str(body).encode())
        else:
            self._respond(tid, request, 200, to_tag=tag)
        return self._take()


__all__ = ["ConferenceCalls", "RoomAction", "RoomLeg"]
