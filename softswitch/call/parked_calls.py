"""Call parking over real calls: a REFER to the park code parks the other party, dialling
a slot takes the call back, and a call left parked rings back the phone that parked it.

Sans-IO. The slots are `ParkingLot`'s; the legs stay the B2BUA's, whose call goes on
while its party waits: this module works the B2BUA's legs through its own steps
(replies, NOTIFY, BYE, media actions), as its pickup does, and is reached through two
hooks on it (`park` for a REFER, `unpark` for a new INVITE).

The parker hears 202, a NOTIFY 100, the slot said digit by digit, then a NOTIFY 200 and
our BYE; the parked party hears music on hold meanwhile (its REFER-ing partner is marked
as a transferor so that its own BYE, if it comes first, does not end the call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from softswitch.call.actions import Action, BridgeMedia, HoldMedia, LogEvent
from softswitch.call.b2bua import ALLOW, B2BUA, Offered
from softswitch.call.center_calls import PlayPrompts, StopPrompts
from softswitch.call.leg_media import SDP, body_sdp, media_params
from softswitch.call.model import CallEvent, CallState, Leg, LegState, Role
from softswitch.call.parking import ParkedCall, ParkingLot, SlotTaken, slot_announcement
from softswitch.errors import ProtocolError
from softswitch.sdp.negotiation import negotiate
from softswitch.sip.dialog import Dialog
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import Request
from softswitch.sip.routing import reply_to
from softswitch.sip.transaction_events import TransactionId

ParkAction = Action | PlayPrompts | StopPrompts


@dataclass(eq=False)
class _Parked:
    parked: ParkedCall
    parker_leg: Leg
    leg: Leg  # the party waiting


class ParkedCalls:
    def __init__(self, b2bua: B2BUA, lot: ParkingLot,
                 has_prompt: Callable[[str], bool] = lambda name: False) -> None:
        self.b2bua = b2bua
        self.lot = lot
        self.has_prompt = has_prompt
        self._slots: dict[str, _Parked] = {}
        #: parker legs hearing their slot, by leg id
        self._announcing: dict[int, Leg] = {}
        #: told when the next ring-back time may have changed (the edge re-arms its timer)
        self.on_change: Callable[[], None] = lambda: None
        b2bua.park = self.park  # type: ignore[attr-defined]
        b2bua.unpark = self.unpark  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self._slots)

    def get_timer(self) -> float | None:
        return self.lot.next_deadline()

    def _take(self) -> list[ParkAction]:
        return self.b2bua._take()  # type: ignore[return-value]

    def _log(self, kind: str, call_id: str, **fields: object) -> None:
        self.b2bua._out.append(LogEvent(kind, dict(fields), call_id=call_id))

    def _forget_gone(self) -> None:
        """A parked party that hung up frees its slot."""
        for slot, entry in list(self._slots.items()):
            if entry.leg.state is not LegState.CONFIRMED:
                del self._slots[slot]
                self.lot.left(entry.parked.call)
                self._log("call.park_abandoned", entry.leg.call.call_id, slot=slot)

    # -- parking: a REFER to the park code ------------------------------------------------

    def park(self, tid: TransactionId, request: Request, leg: Leg, other: Leg,
             target: str) -> bool:
        """The B2BUA's REFER hook: False when `target` is not the park code."""
        if self.lot.target(target) is None:
            return False
        b2bua = self.b2bua
        self._forget_gone()
        call = leg.call
        parker = call.caller if leg.role is Role.CALLER else call.callee
        parked = self.lot.park(target, call.key, other.id, parker, b2bua._now)
        if isinstance(parked, SlotTaken):
            b2bua._reply(tid, request, 486, f"Busy Here ({parked.reason})", leg=leg)
            return True
        b2bua._reply(tid, request, 202, None, leg=leg)
        b2bua._notify(leg, 100)
        self._slots[parked.slot] = _Parked(parked, leg, other)
        call.transferor = leg  # its BYE now leaves the call up (TRANSFEROR_LEFT)
        if leg.media_open and other.media_open:
            b2bua._out.append(HoldMedia(leg.id, other.id, True))
        self._log("call.parked", call.call_id, slot=parked.slot, by=parker,
                  party=call.callee if leg.role is Role.CALLER else call.caller)
        names = tuple(n for n in slot_announcement(parked.slot) if self.has_prompt(n))
        if names and leg.media_open:
            self._announcing[leg.id] = leg
            b2bua._out.append(PlayPrompts(leg.id, names))
        else:
            self._release(leg)
        self.on_change()
        return True

    def announcing(self, leg_id: int) -> bool:
        return leg_id in self._announcing

    def prompt_finished(self, leg_id: int, now: float, wall: float) -> list[ParkAction]:
        """The parker heard its slot: NOTIFY 200 and BYE."""
        self.b2bua._clock(now, wall)
        leg = self._announcing.pop(leg_id, None)
        if leg is not None:
            self._release(leg)
        return self._take()

    def _release(self, leg: Leg) -> None:
        self.b2bua._notify(leg, 200)
        self.b2bua._send_bye(leg)

    # -- retrieval: a phone dials the slot -------------------------------------------------

    def unpark(self, offered: Offered, number: str) -> bool:
        """The B2BUA's offer hook: answer a phone dialling a slot and bridge it to the
        party waiting there; False when `number` is not a slot."""
        if not self.lot.is_slot(number):
            return False
        b2bua = self.b2bua
        request = offered.request
        self._forget_gone()
        entry = self._slots.get(number)
        if entry is None or not entry.leg.media_open:
            b2bua._reply(offered.tid, request, 404, "Not Found (nothing parked there)")
            return True
        try:
            offer_sdp = body_sdp(request)
            if offer_sdp is None:
                b2bua._reply(offered.tid, request, 488,
                             "Not Acceptable Here (SDP offer needed)")
                return True
            params = media_params(negotiate(offer_sdp, b2bua.settings.codecs))
        except ProtocolError as error:
            b2bua._reply(offered.tid, request, error.status if error.status >= 400 else 488,
                         None)
            return True
        port = b2bua.ports.allocate()
        if port is None:
            b2bua._reply(offered.tid, request, 503, "Service Unavailable (no RTP ports)")
            return True
        call, parked = entry.leg.call, entry.leg
        source = offered.source
        leg = Leg(next(b2bua._leg_ids), Role.CALLEE, call, request, offered.tid,
                  reply_to(source), port, b2bua._local_sdp(),
                  f"{source.transport}:{source.host}:{source.port}",
                  local_tag=b2bua.sip.new_tag(), offer=offer_sdp, media=params)
        answer = leg.sdp.answer(offer_sdp, b2bua._codecs_in([params.codec]), port)
        contact = b2bua.sip.contact(leg.destination)
        response = b2bua.sip.response(request, 200, None, leg.local_tag,
                                      [("Contact", contact), ("Allow", ALLOW),
                                       ("Content-Type", SDP)], str(answer).encode())
        if not b2bua._send_response(offered.tid, response):
            b2bua.ports.release(port)
            return True
        del self._slots[number]
        self.lot.retrieve(number)
        leg.status = 200
        leg.state = LegState.CONFIRMED
        leg.acked = True
        leg.dialog = Dialog.as_uas(request, response, parse_name_addr(contact))
        call.callees.append(leg)
        b2bua._by_tid[offered.tid] = leg
        b2bua._by_dialog[leg.dialog.id] = leg
        call.transferor = None
        if parked.role is Role.CALLER:
            call.winner = leg
        b2bua._out.append(StopPrompts(parked.id))  # the music stops
        b2bua._open_media(leg)
        b2bua._out.append(BridgeMedia(parked.id, leg.id))
        self._log("call.retrieved", call.call_id, slot=number, by=offered.user)
        self.on_change()
        return True

    # -- ring-back at the timeout ---------------------------------------------------------

    def handle_timer(self, now: float, wall: float) -> list[ParkAction]:
        """Calls parked too long ring their parkers' phones; the first to answer is
        bridged (the B2BUA's transfer steps), nobody answering ends the call."""
        b2bua = self.b2bua
        b2bua._clock(now, wall)
        self._forget_gone()
        for parked in self.lot.expired(now):
            entry = self._slots.pop(parked.slot, None)
            if entry is None:
                continue
            call = entry.leg.call
            self._log("call.park_timeout", call.call_id, slot=parked.slot,
                      parker=parked.parker)
            if call.state is not CallState.ANSWERED:
                continue
            b2bua._out.append(StopPrompts(entry.leg.id))
            call.transferor, call.anchor = entry.parker_leg, entry.leg
            call.transfer_target = parked.parker
            b2bua._event(call, CallEvent.TRANSFER_REQUESTED, None)
        return self._take()


__all__ = ["ParkAction", "ParkedCalls"]
