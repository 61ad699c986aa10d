"""The back-to-back user agent: one caller leg, its callee legs, and the bridge between.

Sans-IO. The UA core hands it requests it has already checked (and authenticated), and
the transaction layer's events for the transactions it started; it drives the layer it
was given and returns the actions for the edge (media, logs, records). What happens to
a call is looked up in `model.CALL_TRANSITIONS`; this class finds the leg, turns the SIP
message into a CallEvent and runs the table's steps.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from softswitch.call.actions import (
    Action,
    BridgeMedia,
    CloseMedia,
    HoldMedia,
    LogEvent,
    OpenMedia,
    UpdateMedia,
    WriteCallRecord,
)
from softswitch.call.attended_transfer import Replaces, replaces_of
from softswitch.call.cdr import CallRecord, Disposition, LegRecord
from softswitch.call.dialplan import DialPlan, Refuse, RingExtension
from softswitch.call.early_media import SESSION_PROGRESS, early_params
from softswitch.call.forwarding import MAX_HOPS, Diversion, Forwarding, Reason
from softswitch.call.late_offer import answer_in_ack, offer_body
from softswitch.call.leg_media import SDP, answer_codecs, body_sdp, codecs_first, media_params
from softswitch.call.location import Binding, binding_destination, contact_uri
from softswitch.call.media_timeout import EVENT as MEDIA_TIMEOUT_EVENT
from softswitch.call.model import (
    CALL_TRANSITIONS,
    ENDINGS,
    Call,
    CallEvent,
    CallState,
    Leg,
    LegState,
    Role,
    Step,
    best_failure,
    disposition_of_failure,
)
from softswitch.call.pickup import PickupGroups, Refusal, RingingCall
from softswitch.call.ports import PortPool
from softswitch.call.ringback import Ringback, RingbackMode
from softswitch.call.signalling import ALLOW, Signalling
from softswitch.call.transfer import refer_target, transfer_notify
from softswitch.call.trunks import Outbound, authorized_invite
from softswitch.errors import ProtocolError
from softswitch.sdp.negotiation import DEFAULT_CODECS, LocalSdp, SdpCodec, negotiate
from softswitch.sip.dialog import Dialog, DialogError, DialogId, new_tag
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import Request, Response
from softswitch.sip.routing import Source, reply_to
from softswitch.sip.transaction import TransactionError, TransactionLayer
from softswitch.sip.transaction_events import TransactionId
from softswitch.timers import Deadlines

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class CallSettings:
    ring_timeout: float = 30.0
    #: the address phones reach our RTP ports at (the listener's, or a configured one)
    media_address: str = "127.0.0.1"
    codecs: tuple[SdpCodec, ...] = DEFAULT_CODECS
    #: who makes the ringing a caller hears while callees ring (`[calls] ringback`)
    ringback: RingbackMode = RingbackMode.PHONE


@dataclass(frozen=True)
class Offered:
    """An authenticated INVITE outside any dialog: a new call."""

    tid: TransactionId
    request: Request
    source: Source
    user: str  # who authenticated
    #: set for a carrier's call: the extension its DID leads to (the dial plan is skipped)
    number: str | None = None
    #: set for a call leaving by a trunk: the carrier is the one callee
    outbound: Outbound | None = None


class B2BUA:
    def __init__(self, *, layer: TransactionLayer, dial_plan: DialPlan,
                 lookup: Callable[[str], list[Binding]], ports: PortPool,
                 local: dict[str, tuple[str, int]], domain: str,
                 settings: CallSettings | None = None,
                 tag_factory: Callable[[], str] = new_tag,
                 call_id_factory: Callable[[], str] | None = None) -> None:
        self.layer = layer
        self.sip = Signalling(layer, local, domain, tag_factory, call_id_factory)
        self.dial_plan = dial_plan
        self._lookup = lookup
        self.ports = ports
        self.domain = domain
        self.settings = settings or CallSettings()
        self._keys = itertools.count(1)
        self._leg_ids = itertools.count(1)
        self.calls: dict[int, Call] = {}
        self._by_tid: dict[TransactionId, Leg] = {}
        self._by_dialog: dict[DialogId, Leg] = {}
        #: caller legs by (Call-ID, From tag): for peers whose ACK or BYE has a wrong To tag
        self._callers: dict[tuple[str, str | None], Leg] = {}
        #: callee legs by the Call-ID of our INVITE: a 2xx of an unknown fork finds its leg
        self._callee_invites: dict[str, Leg] = {}
        #: callee legs to a carrier, by leg id, until their challenge is answered
        self._trunk_legs: dict[int, Outbound] = {}
        self._timers: Deadlines[int] = Deadlines()
        #: caller legs hearing the switch's ringback tone
        self._ringback: set[int] = set()
        self._out: list[Action] = []
        self._now = 0.0
        self._wall = 0.0
        #: pickup groups and their code (*8); None: nobody picks up
        self.pickup: PickupGroups | None = None
        self._steps: dict[Step, Callable[[Call, Leg | None], None]] = {
            Step.SEND_RINGING: self._send_ringing,
            Step.CONNECT: self._connect,
            Step.DROP_LATE_CALLEE: self._drop_late_callee,
            Step.REJECT_CALLER: self._reject_caller,
            Step.ANSWER_CANCEL: self._answer_cancel,
            Step.REJECT_NO_ANSWER: self._reject_no_answer,
            Step.CANCEL_CALLEES: self._cancel_callees,
            Step.HANG_UP_OTHERS: self._hang_up_others,
            Step.ACCEPT_TRANSFER: self._accept_transfer,
            Step.RECONNECT: self._reconnect,
            Step.NOTIFY_TRANSFER_FAILED: self._notify_transfer_failed,
            Step.FORWARD: self._forward,
            Step.DIVERT: self._divert,
            Step.REPLACE: self._replace,
        }
        #: forwarding and do-not-disturb rules; None: calls ring where they are dialled
        self.forwarding: Forwarding | None = None
        #: takes a caller the extension cannot answer (do-not-disturb, busy, no answer,
        #: no phone) and answers it itself (voicemail); None, or None returned: 486/480
        self.voicemail: Callable[[Diversion, float, float], list[Action] | None] | None = None
        #: call parking (`parked_calls.ParkedCalls`): a REFER to the park code, answered
        #: when it returns True; a new call to a parking slot, likewise
        self.park: Callable[[TransactionId, Request, Leg, Leg, str], bool] | None = None
        self.unpark: Callable[[Offered, str], bool] | None = None

    # -- counters ----------------------------------------------------------------------

    @property
    def live_legs(self) -> int:
        return sum(len(call.live_legs()) for call in self.calls.values())

    @property
    def dialogs(self) -> int:
        return len(self._by_dialog)

    def owns(self, tid: TransactionId) -> bool:
        return tid in self._by_tid

    def get_timer(self) -> float | None:
        return self._timers.next()

    def _take(self) -> list[Action]:
        out, self._out = self._out, []
        return out

    def _clock(self, now: float, wall: float) -> None:
        self._now, self._wall = now, wall

    # -- a new call ----------------------------------------------------------------------

    def offer(self, offered: Offered, now: float, wall: float) -> list[Action]:
        self._clock(now, wall)
        request = offered.request
        refusal = self._check_offer(request)
        if refusal is not None:
            self._reply(offered.tid, request, *refusal)
            return self._take()
        number = request.uri.user if hasattr(request.uri, "user") else None
        outbound = offered.outbound
        if self.pickup is not None and outbound is None and offered.number is None \
                and self.pickup.target(number or "") is not None:
            self._pick_up(offered, number or "")
            return self._take()
        if self.unpark is not None and outbound is None and offered.number is None \
                and self.unpark(offered, number or ""):
            return self._take()
        target = (RingExtension(outbound.number) if outbound is not None
                  else self.dial_plan.route(offered.number or number or ""))
        if isinstance(target, Refuse):
            self._reply(offered.tid, request, target.status, target.reason)
            return self._take()
        assert isinstance(target, RingExtension)
        if outbound is None and self.forwarding is not None:
            route = self.forwarding.at_offer(target.extension)
            if route.via:
                self._out.append(LogEvent("call.forwarded", {
                    "from": route.via[0], "to": route.extension,
                    "reason": Reason.ALWAYS.value}, call_id=request.call_id))
            target = RingExtension(route.extension)
            if route.dnd:
                self._divert_offer(offered, route.extension, Reason.DND, 486,
                                   "Busy Here (do not disturb)")
                return self._take()
        bindings = [outbound.binding] if outbound else self._lookup(target.extension)
        if not bindings:
            if outbound is not None or not self._divert_offer(
                    offered, target.extension, Reason.UNAVAILABLE, 0, None):
                self._reply(offered.tid, request, 480, "Temporarily Unavailable")
            return self._take()
        try:
            offer_sdp = body_sdp(request)  # None: a late offer, ours goes in the 200
            chosen = None if offer_sdp is None else negotiate(offer_sdp, self.settings.codecs)
        except ProtocolError as error:
            self._reply(offered.tid, request, error.status if error.status >= 400 else 488,
                        None)
            return self._take()
        port = self.ports.allocate()
        if port is None:
            self._reply(offered.tid, request, 503, "Service Unavailable (no RTP ports)")
            return self._take()
        call = Call(next(self._keys), request.call_id, offered.user, target.extension, wall)
        caller = Leg(next(self._leg_ids), Role.CALLER, call, request, offered.tid,
                     reply_to(offered.source), port, self._local_sdp(),
                     f"{offered.source.transport}:{offered.source.host}:{offered.source.port}",
                     local_tag=self.sip.new_tag(), offer=offer_sdp)
        call.caller_leg = caller
        self.calls[call.key] = call
        self._by_tid[offered.tid] = caller
        self._callers[(request.call_id, request.from_.tag)] = caller
        self._reply(offered.tid, request, 100, "Trying", leg=None)
        self._log("call.offered", call, caller=call.caller, callee=call.callee)
        preference = ([] if chosen is None
                      else [chosen.codec.name, *(c.name for c in chosen.other_codecs)])
        for binding in bindings:
            self._invite_callee(call, binding, preference,
                                from_user=outbound.caller_id if outbound else None)
        if outbound is not None and call.callees:
            self._trunk_legs[call.callees[-1].id] = outbound
        if not call.callees:
            self._event(call, CallEvent.ALL_CALLEES_FAILED, None)
        else:
            self._timers.set(call.key, now + self.settings.ring_timeout)
        return self._take()

    def _check_offer(self, request: Request) -> tuple[int, str | None] | None:
        try:
            contacts = request.contacts
        except ProtocolError:
            return (400, "Bad Contact")
        if not contacts:
            return (400, "Missing Contact")
        if request.from_.tag is None:
            return (400, "Missing From tag")
        return None

    def _local_sdp(self) -> LocalSdp:
        return LocalSdp(self.settings.media_address, secrets.randbits(31))

    def _codecs_in(self, preference: list[str]) -> list[SdpCodec]:
        return codecs_first(self.settings.codecs, preference)

    def _invite_callee(self, call: Call, binding: Binding, preference: list[str],
                       from_user: str | None = None) -> None:
        port = self.ports.allocate()
        if port is None:
            log.warning("no RTP port for a callee leg of %s", call.call_id)
            return
        try:
            uri = contact_uri(binding)
        except ProtocolError:
            self.ports.release(port)
            return
        destination = binding_destination(binding)
        sdp = self._local_sdp()
        body = str(sdp.offer(port, self._codecs_in(preference))).encode()
        caller = call.caller_leg
        assert caller is not None
        sent = self.sip.invite(uri, destination, from_user=from_user or call.caller,
                               display=caller.invite.from_.display, to_user=binding.aor,
                               body=body, now=self._now)
        if sent is None:
            self.ports.release(port)
            return
        invite, tid = sent
        leg = Leg(next(self._leg_ids), Role.CALLEE, call, invite, tid, destination, port, sdp,
                  binding.contact)
        call.callees.append(leg)
        self._by_tid[tid] = leg
        self._callee_invites[invite.call_id] = leg

    # -- call pickup -------------------------------------------------------------------

    def ringing(self) -> list[RingingCall]:
        """Calls whose callees ring and nobody has answered yet."""
        return [RingingCall(call.key, call.callee, call.caller, call.started_at)
                for call in self.calls.values()
                if call.state in (CallState.ROUTING, CallState.ALERTING)]

    def _pick_up(self, offered: Offered, number: str) -> None:
        """Answer the picker's INVITE as the winning callee of the ringing call: the
        phones still ringing are cancelled, the caller is answered and bridged to it."""
        assert self.pickup is not None
        request = offered.request
        chosen = self.pickup.choose(offered.user, number, self.ringing())
        if isinstance(chosen, Refusal):
            self._out.append(LogEvent("call.pickup_refused", {
                "picker": offered.user, "number": number, "reason": chosen.reason},
                call_id=request.call_id))
            self._reply(offered.tid, request, chosen.status, chosen.reason)
            return
        call = self.calls[chosen.key]
        try:
            offer_sdp = body_sdp(request)
            if offer_sdp is None:
                self._reply(offered.tid, request, 488, "Not Acceptable Here (SDP offer needed)")
                return
            params = media_params(negotiate(offer_sdp, self.settings.codecs))
        except ProtocolError as error:
            self._reply(offered.tid, request, error.status if error.status >= 400 else 488,
                        None)
            return
        port = self.ports.allocate()
        if port is None:
            self._reply(offered.tid, request, 503, "Service Unavailable (no RTP ports)")
            return
        source = offered.source
        leg = Leg(next(self._leg_ids), Role.CALLEE, call, request, offered.tid,
                  reply_to(source), port, self._local_sdp(),
                  f"{source.transport}:{source.host}:{source.port}",
                  local_tag=self.sip.new_tag(), offer=offer_sdp, media=params)
        answer = leg.sdp.answer(offer_sdp, self._codecs_in([params.codec]), port)
        contact = self.sip.contact(leg.destination)
        response = self.sip.response(request, 200, None, leg.local_tag,
                                     [("Contact", contact), ("Allow", ALLOW),
                                      ("Content-Type", SDP)], str(answer).encode())
        if not self._send_response(offered.tid, response):
            self.ports.release(port)
            return
        leg.status = 200
        leg.state = LegState.CONFIRMED
        leg.acked = True  # its ACK is the transaction layer's business
        leg.dialog = Dialog.as_uas(request, response, parse_name_addr(contact))
        call.callees.append(leg)
        self._by_tid[offered.tid] = leg
        self._by_dialog[leg.dialog.id] = leg
        self._log("call.picked_up", call, by=offered.user, ringing=call.callee)
        self._event(call, CallEvent.CALLEE_ANSWERED, leg)

    # -- the table ---------------------------------------------------------------------

    def _event(self, call: Call, event: CallEvent, leg: Leg | None) -> None:
        transition = CALL_TRANSITIONS.get((call.state, event))
        if transition is None:
            return
        before = call.state
        call.state = transition.then
        for step in transition.steps:
            self._steps[step](call, leg)
        if transition.then is CallState.ENDED and before is not CallState.ENDED:
            self._end_call(call, event)
        self._maybe_forget(call)

    def _end_call(self, call: Call, event: CallEvent) -> None:
        """The one place a call ends: its media closes, its end is logged."""
        self._timers.cancel(call.key)
        call.ended_at = self._wall
        disposition, side = ENDINGS.get(event, (None, None))
        if call.disposition is None:
            call.disposition = disposition or (
                Disposition.ANSWERED if call.answered_at is not None else Disposition.FAILED)
        if call.hangup_side is None:
            call.hangup_side = side
        for leg in call.legs:
            self._close_media(leg)
        self._log("call.ended", call, disposition=call.disposition.value,
                  hangup=None if call.hangup_side is None else call.hangup_side.value,
                  status=call.sip_status)

    def _maybe_forget(self, call: Call) -> None:
        """The one place a call is forgotten: when it has ended and its last leg is gone."""
        if call.ended_at is None or call.live_legs() or call.key not in self.calls:
            return
        del self.calls[call.key]
        assert call.ended_at is not None and call.disposition is not None
        record = CallRecord(
            call.call_id, call.caller, call.callee, call.started_at, call.answered_at,
            call.ended_at, call.disposition, call.hangup_side, call.sip_status,
            tuple(LegRecord(leg.id, leg.role.value, leg.peer, leg.status)
                  for leg in call.legs))
        self._out.append(WriteCallRecord(record))

    # -- steps -------------------------------------------------------------------------

    def _send_ringing(self, call: Call, leg: Leg | None) -> None:
        caller = call.caller_leg
        assert caller is not None
        if leg is not None and self._bridge_early(call, caller, leg):
            return
        if self._ring_back(call, caller):
            return
        if not caller.rang:
            caller.rang = True
            self._reply(caller.tid, caller.invite, 180, "Ringing", leg=caller)
            self._log("call.ringing", call)

    def _connect(self, call: Call, leg: Leg | None) -> None:
        assert leg is not None
        caller = call.caller_leg
        assert caller is not None
        call.winner = leg
        for other in call.callees:
            if other is not leg:
                self._cancel(other)
        assert leg.media is not None
        if caller.offer is None:  # late offer: ours now, its answer in the ACK
            body = offer_body(caller.sdp, caller.port, self._codecs_in([leg.media.codec]))
            caller.answer_due = True
        elif caller.early_sdp is not None:  # the 200 repeats the 183's answer
            body = caller.early_sdp
        else:
            capabilities = answer_codecs(caller.offer, self.settings.codecs, leg.media.codec)
            body = str(caller.sdp.answer(caller.offer, capabilities, caller.port)).encode()
            caller.media = media_params(negotiate(caller.offer, capabilities))
        response = self.sip.response(caller.invite, 200, None, caller.local_tag,
                                  [("Contact", self.sip.contact(caller.destination)),
                                   ("Allow", ALLOW), ("Content-Type", SDP)], body)
        if not self._send_response(caller.tid, response):
            self._event(call, CallEvent.CALLER_LOST, None)
            return
        caller.status = 200
        caller.state = LegState.CONFIRMED
        caller.dialog = Dialog.as_uas(caller.invite, response,
                                      parse_name_addr(self.sip.contact(caller.destination)))
        self._by_dialog[caller.dialog.id] = caller
        call.answered_at = self._wall
        call.sip_status = 200
        call.disposition = Disposition.ANSWERED
        self._timers.cancel(call.key)
        self._open_media(caller)
        self._open_media(leg)
        self._stop_ring_back(caller)
        if caller.media_open and call.early is not leg:
            self._out.append(BridgeMedia(caller.id, leg.id))
        self._log("call.answered", call, contact=leg.peer)

    def _bridge_early(self, call: Call, caller: Leg, leg: Leg) -> bool:
        """A callee's 183 brought SDP: answer the caller's offer in our own 183 and
        bridge the two legs now, so the caller hears the callee's early audio. True
        when done (the caller then needs no 180); a late-offer caller only rings."""
        early = call.early
        if (early is not None and early.media_open) or leg.media is None \
                or caller.offer is None or caller.state is not LegState.INVITING \
                or call.state is not CallState.ALERTING:
            return False
        if not self._answer_early(caller, leg.media.codec):
            return False
        call.early = leg
        self._open_media(caller)
        self._open_media(leg)
        self._stop_ring_back(caller)
        self._out.append(BridgeMedia(caller.id, leg.id))
        self._log("call.early_media", call, contact=leg.peer)
        return True

    def _answer_early(self, caller: Leg, codec: str | None) -> bool:
        """Our 183 answering the caller's offer, sent once: later early media (the
        switch's ringback, forwarded callees) reuse it, and so does the 200."""
        if caller.early_sdp is not None:
            return True
        assert caller.offer is not None
        capabilities = answer_codecs(caller.offer, self.settings.codecs, codec)
        body = str(caller.sdp.answer(caller.offer, capabilities, caller.port)).encode()
        response = self.sip.response(caller.invite, SESSION_PROGRESS, "Session Progress",
                                     caller.local_tag,
                                     [("Contact", self.sip.contact(caller.destination)),
                                      ("Allow", ALLOW), ("Content-Type", SDP)], body)
        if not self._send_response(caller.tid, response):
            return False
        caller.media = media_params(negotiate(caller.offer, capabilities))
        caller.early_sdp = body
        caller.rang = True
        return True

    def _ring_back(self, call: Call, caller: Leg) -> bool:
        """`[calls] ringback = "switch"`: the caller hears the switch's tone as early
        media while callees ring, until one answers or brings early media of its own.
        True when it does (no 180 then); a late-offer caller has no offer to answer in a
        183 and gets the plain 180."""
        if self.settings.ringback is not RingbackMode.SWITCH or caller.offer is None \
                or caller.state is not LegState.INVITING or call.state is not CallState.ALERTING:
            return False
        if caller.id in self._ringback:  # a forwarded or forked callee rings too
            return True
        early = call.early  # a callee's early media is heard instead, while it lasts
        if (early is not None and early.media_open) or not self._answer_early(caller, None):
            return False
        self._open_media(caller)
        self._ringback.add(caller.id)
        self._out.append(Ringback(caller.id, True))
        self._log("call.ringing", call, ringback=RingbackMode.SWITCH.value)  # lamps: early
        return True

    def _stop_ring_back(self, caller: Leg) -> None:
        if caller.id in self._ringback:
            self._ringback.discard(caller.id)
            self._out.append(Ringback(caller.id, False))

    def _drop_late_callee(self, call: Call, leg: Leg | None) -> None:
        assert leg is not None
        self._send_bye(leg)

    def _reject_caller(self, call: Call, leg: Leg | None) -> None:
        status = best_failure([c.status for c in call.callees if c.status is not None])
        call.disposition = disposition_of_failure(status)
        self._fail_caller(call, status, None)

    def _answer_cancel(self, call: Call, leg: Leg | None) -> None:
        self._fail_caller(call, 487, None)

    def _reject_no_answer(self, call: Call, leg: Leg | None) -> None:
        self._fail_caller(call, 480, "Temporarily Unavailable (no answer)")

    def _fail_caller(self, call: Call, status: int, reason: str | None) -> None:
        caller = call.caller_leg
        assert caller is not None
        call.sip_status = status
        self._reply(caller.tid, caller.invite, status, reason, leg=caller)
        caller.status = status
        self._leg_ended(caller)

    def _cancel_callees(self, call: Call, leg: Leg | None) -> None:
        for callee in call.callees:
            self._cancel(callee)

    def _hang_up_others(self, call: Call, leg: Leg | None) -> None:
        for other in call.legs:
            if other is not leg:
                self._send_bye(other)

    # -- blind transfer ----------------------------------------------------------------

    def _accept_transfer(self, call: Call, leg: Leg | None) -> None:
        transferor, anchor = call.transferor, call.anchor
        assert transferor is not None and anchor is not None and call.transfer_target
        self._notify(transferor, 100)
        if transferor.media_open and anchor.media_open:
            self._out.append(HoldMedia(transferor.id, anchor.id, True))
        self._log("call.transferred", call, by=transferor.role.value,
                  target=call.transfer_target)
        before = len(call.callees)
        preference = [anchor.media.codec] if anchor.media is not None else []
        for binding in self._lookup(call.transfer_target):
            self._invite_callee(call, binding, preference, from_user=(
                call.caller if anchor.role is Role.CALLER else call.callee))
        if len(call.callees) == before:
            self._event(call, CallEvent.TRANSFER_FAILED, None)
        else:
            self._timers.set(call.key, self._now + self.settings.ring_timeout)

    def _reconnect(self, call: Call, leg: Leg | None) -> None:
        assert leg is not None
        anchor, transferor = call.anchor, call.transferor
        assert anchor is not None and transferor is not None
        self._timers.cancel(call.key)
        for other in call.callees:
            if other is not leg:
                self._cancel(other)
        call.winner = leg
        self._open_media(leg)
        if anchor.media_open:  # the music it heard while the target rang stops
            self._out.append(HoldMedia(transferor.id, anchor.id, False))
        self._out.append(BridgeMedia(anchor.id, leg.id))
        self._notify(transferor, 200)
        self._send_bye(transferor)
        call.transferor = call.anchor = call.transfer_target = None
        self._log("call.answered", call, contact=leg.peer, transfer=True)

    def _notify_transfer_failed(self, call: Call, leg: Leg | None) -> None:
        if call.transferor is not None:
            self._notify(call.transferor, 503)

    def _notify(self, leg: Leg, status: int) -> None:
        if leg.dialog is None or leg.state is not LegState.CONFIRMED:
            return
        try:
            notify = transfer_notify(leg.dialog, self.sip.via(leg.destination), status)
        except DialogError:
            return
        self.sip.send(notify, leg.destination, self._now)

    def _refer(self, tid: TransactionId, request: Request, leg: Leg) -> None:
        """A REFER from a party of an answered call: ring the target in its place."""
        call = leg.call
        others = [o for o in call.legs if o is not leg and o.state is LegState.CONFIRMED]
        if call.state is not CallState.ANSWERED or leg.state is not LegState.CONFIRMED \
                or len(others) != 1:
            self._reply(tid, request, 491 if call.state is CallState.TRANSFERRING else 403,
                        None, leg=leg)
            return
        replaces = replaces_of(request)
        if replaces is not None:
            self._attended(tid, request, leg, others[0], replaces)
            return
        target = refer_target(request)
        if target is None:
            self._reply(tid, request, 400, "Bad Refer-To", leg=leg)
            return
        if self.park is not None and self.park(tid, request, leg, others[0], target):
            return
        routed = self.dial_plan.route(target)
        if isinstance(routed, Refuse):
            self._reply(tid, request, routed.status, routed.reason, leg=leg)
            return
        assert isinstance(routed, RingExtension)
        if not self._lookup(routed.extension):
            self._reply(tid, request, 480, "Temporarily Unavailable", leg=leg)
            return
        self._reply(tid, request, 202, None, leg=leg)
        call.transferor, call.anchor, call.transfer_target = leg, others[0], routed.extension
        self._event(call, CallEvent.TRANSFER_REQUESTED, leg)

    # -- forwarding, do-not-disturb, voicemail ------------------------------------------

    def _divert_offer(self, offered: Offered, extension: str, reason: Reason, status: int,
                      phrase: str | None) -> bool:
        """A new call the extension will not take: to voicemail if it answers, else
        `status` (0: leave the answer to the caller of this method). True when answered."""
        actions = (self.voicemail(Diversion(offered, extension, reason), self._now,
                                  self._wall) if self.voicemail is not None else None)
        if actions is not None:
            self._out.append(LogEvent("call.diverted", {
                "to": extension, "reason": reason.value}, call_id=offered.request.call_id))
            self._out.extend(actions)
            return True
        if status:
            self._reply(offered.tid, offered.request, status, phrase)
            return True
        return False

    def _unanswered(self, call: Call, event: CallEvent) -> CallEvent:
        """Busy or not answered: the extension's forward if it has one (and a phone to
        ring), else voicemail if there is one, else `event` as it was."""
        busy = event is CallEvent.ALL_CALLEES_FAILED and best_failure(
            [c.status for c in call.callees if c.status is not None]) == 486
        if event is not CallEvent.RING_TIMEOUT and not busy:
            return event
        reason = Reason.BUSY if busy else Reason.NO_ANSWER
        forwarding = self.forwarding
        if forwarding is not None and call.forwards < MAX_HOPS:
            target = (forwarding.on_busy if busy else forwarding.on_no_answer)(call.callee)
            if target and target != call.callee and self._lookup(target):
                call.forward_to = target
                call.divert_reason = reason.value
                return CallEvent.FORWARDED
        if self.voicemail is not None and call.caller_leg is not None \
                and call.caller_leg.state is LegState.INVITING:
            call.divert_reason = reason.value
            return CallEvent.DIVERTED
        return event

    def _forward(self, call: Call, leg: Leg | None) -> None:
        target, was = call.forward_to, call.callee
        assert target is not None
        call.forward_to = None
        call.forwards += 1
        call.callee = target
        self._log("call.forwarded", call, **{"from": was, "to": target,
                                             "reason": call.divert_reason or ""})
        caller = call.caller_leg
        assert caller is not None
        ringing = [c for c in call.callees if c.state is LegState.INVITING]
        chosen = None if caller.offer is None else negotiate(caller.offer, self.settings.codecs)
        preference = ([] if chosen is None
                      else [chosen.codec.name, *(c.name for c in chosen.other_codecs)])
        before = len(call.callees)
        for binding in self._lookup(target):
            self._invite_callee(call, binding, preference)
        for old in ringing:
            self._cancel(old)
        if len(call.callees) == before:
            self._event(call, CallEvent.ALL_CALLEES_FAILED, None)
        else:
            self._timers.set(call.key, self._now + self.settings.ring_timeout)

    def _divert(self, call: Call, leg: Leg | None) -> None:
        caller = call.caller_leg
        assert caller is not None
        self._cancel_callees(call, None)
        reason = Reason(call.divert_reason or Reason.NO_ANSWER.value)
        busy = reason is Reason.BUSY
        call.disposition = Disposition.BUSY if busy else Disposition.NO_ANSWER
        destination = caller.destination
        offered = Offered(caller.tid, caller.invite,
                          Source(destination.transport, destination.host, destination.port,
                                 destination.connection), call.caller)
        actions = (self.voicemail(Diversion(offered, call.callee, reason), self._now,
                                  self._wall) if self.voicemail is not None else None)
        if actions is None:
            self._fail_caller(call, 486 if busy else 480, None if busy else
                              "Temporarily Unavailable (no answer)")
            return
        self._log("call.diverted", call, to=call.callee, reason=reason.value)
        call.sip_status = None
        caller.status = None  # answered by the voicemail, not by this call
        self._leg_ended(caller)
        self._out.extend(actions)

    # -- attended transfer ---------------------------------------------------------------

    def _attended(self, tid: TransactionId, request: Request, leg: Leg, anchor: Leg,
                  replaces: Replaces) -> None:
        """REFER with Replaces from a party of an answered call, naming its dialog with
        us in another answered call: that call's other party takes its place here."""
        replaced = next((candidate for candidate in self._by_dialog.values()
                         if candidate.dialog is not None
                         and replaces.names(candidate.dialog.id)), None)
        if replaced is None or replaced.call is leg.call:
            self._reply(tid, request, 481 if replaced is None else 403,
                        "Call/Transaction Does Not Exist (Replaces)"
                        if replaced is None else None, leg=leg)
            return
        other_call = replaced.call
        partners = [o for o in other_call.legs
                    if o is not replaced and o.state is LegState.CONFIRMED]
        if other_call.state is not CallState.ANSWERED or len(partners) != 1 \
                or not partners[0].media_open:
            self._reply(tid, request, 603, "Declined (the replaced call is not answered)",
                        leg=leg)
            return
        self._reply(tid, request, 202, None, leg=leg)
        call = leg.call
        call.transferor, call.anchor, call.replacement = leg, anchor, partners[0]
        self._event(call, CallEvent.TRANSFER_REPLACES, leg)

    def _replace(self, call: Call, leg: Leg | None) -> None:
        transferor, anchor, newcomer = call.transferor, call.anchor, call.replacement
        assert transferor is not None and anchor is not None and newcomer is not None
        call.transferor = call.anchor = call.replacement = None
        old_call = newcomer.call
        if old_call.caller_leg is newcomer:
            old_call.caller_leg = None
        else:
            old_call.callees.remove(newcomer)
        if old_call.winner is newcomer:
            old_call.winner = None
        newcomer.call = call
        call.callees.append(newcomer)
        call.winner = newcomer
        for held, holder in ((anchor, transferor), (newcomer, transferor)):
            if held.media_open and holder.media_open:
                self._out.append(HoldMedia(holder.id, held.id, False))
        self._out.append(BridgeMedia(anchor.id, newcomer.id))
        self._notify(transferor, 200)
        self._log("call.transferred", call, by=transferor.role.value, attended=True,
                  target=old_call.callee if newcomer.role is Role.CALLEE
                  else old_call.caller)
        self._send_bye(transferor)
        self._event(old_call, CallEvent.REPLACED, None)

    # -- leg mechanics -----------------------------------------------------------------

    def _cancel(self, leg: Leg) -> None:
        if leg.state is LegState.INVITING:
            leg.state = LegState.CANCELLING
            if not self.sip.cancel(leg.tid, self._now):
                self._leg_ended(leg)

    def _send_bye(self, leg: Leg) -> None:
        if leg.state is not LegState.CONFIRMED or leg.dialog is None:
            return
        if leg.role is Role.CALLER and not leg.acked:
            leg.bye_pending = True  # §15: not before the ACK (or timer L)
            return
        tid = self.sip.in_dialog(leg.dialog, "BYE", leg.destination, self._now)
        if tid is None:
            self._leg_ended(leg)
            return
        leg.state = LegState.ENDING
        leg.bye_tid = tid
        self._by_tid[tid] = leg

    def _leg_ended(self, leg: Leg) -> None:
        if leg.state is LegState.ENDED:
            return
        leg.state = LegState.ENDED
        self._trunk_legs.pop(leg.id, None)
        self._ringback.discard(leg.id)
        self._close_media(leg)
        self.ports.release(leg.port)
        for tid in (leg.tid, leg.bye_tid):
            if tid is not None and self._by_tid.get(tid) is leg:
                del self._by_tid[tid]
        if leg.dialog is not None:
            leg.dialog.terminate()
            self._by_dialog.pop(leg.dialog.id, None)
        if leg.role is Role.CALLER:
            key = (leg.invite.call_id, leg.invite.from_.tag)
            if self._callers.get(key) is leg:
                del self._callers[key]
        elif self._callee_invites.get(leg.invite.call_id) is leg:
            del self._callee_invites[leg.invite.call_id]
        self._maybe_forget(leg.call)

    def _open_media(self, leg: Leg) -> None:
        if leg.media is not None and not leg.media_open:
            leg.media_open = True
            self._out.append(OpenMedia(leg.id, leg.port, leg.media))

    def _close_media(self, leg: Leg) -> None:
        if leg.media_open:
            leg.media_open = False
            self._out.append(CloseMedia(leg.id))

    def _reply(self, tid: TransactionId, request: Request, status: int, reason: str | None,
               leg: Leg | None = None) -> bool:
        to_tag = leg.local_tag if leg is not None else None
        return self.sip.reply(tid, request, status, reason, to_tag, self._now)

    def _send_response(self, tid: TransactionId, response: Response) -> bool:
        return self.sip.respond(tid, response, self._now)

    def _log(self, kind: str, call: Call, **fields: object) -> None:
        self._out.append(LogEvent(kind, dict(fields), call_id=call.call_id))

    # -- from an operator (the control socket) ----------------------------------------

    def call_by_id(self, call_id: str) -> Call | None:
        """The live call the caller's Call-ID names."""
        return next((call for call in self.calls.values()
                     if call.call_id == call_id and call.state is not CallState.ENDED), None)

    def hang_up(self, call_id: str, now: float, wall: float) -> list[Action] | None:
        """End a call from outside: a ringing caller gets 487 and its callees a CANCEL,
        every confirmed leg a BYE. None when there is no such live call."""
        call = self.call_by_id(call_id)
        if call is None:
            return None
        self._clock(now, wall)
        if call.answered_at is None:
            call.disposition = Disposition.CANCELLED
        self._event(call, CallEvent.OPERATOR_HANGUP, None)
        return self._take()

    def media_timeout(self, leg_id: int, now: float, wall: float) -> list[Action] | None:
        """A leg's RTP and RTCP stopped (media_timeout.MediaWatch): an answered call,
        neither side on hold, ends with BYE to every leg. [] when the silence is allowed
        (ringing, hold, already ending); None when the leg is not one of ours."""
        leg = next((leg for call in self.calls.values() for leg in call.legs
                    if leg.id == leg_id), None)
        if leg is None:
            return None
        call = leg.call
        if leg.state is not LegState.CONFIRMED or call.state not in (
                CallState.ANSWERED, CallState.TRANSFERRING) or any(
                other.holding for other in call.live_legs()):
            return []
        self._clock(now, wall)
        self._log(MEDIA_TIMEOUT_EVENT, call, leg=leg.id, role=leg.role.value, peer=leg.peer)
        self._event(call, CallEvent.MEDIA_TIMEOUT, None)
        self._leg_ended(leg)  # a dead phone answers no BYE: the record need not wait 32 s
        return self._take()

    # -- from the UA core: the caller's side --------------------------------------------

    def on_cancel(self, tid: TransactionId, now: float, wall: float) -> list[Action] | None:
        """None when the INVITE is not one of ours."""
        leg = self._by_tid.get(tid)
        if leg is None or leg.role is not Role.CALLER:
            return None
        self._clock(now, wall)
        self._event(leg.call, CallEvent.CALLER_CANCELLED, leg)
        return self._take()

    def on_ack(self, request: Request, source: Source, now: float,
               wall: float) -> list[Action]:
        self._clock(now, wall)
        leg = self._by_dialog.get(DialogId.of_incoming_request(request))
        if leg is None:
            leg = self._tolerated_ack(request, source, now)
        if leg is None or leg.role is not Role.CALLER or leg.acked:
            return self._take()
        if request.cseq.seq != leg.invite.cseq.seq:
            return self._take()  # the ACK of a re-INVITE's 2xx
        leg.acked = True
        if leg.bye_pending:
            leg.bye_pending = False
            self._send_bye(leg)
        elif leg.answer_due:
            self._late_answer(leg, request)
        return self._take()

    def _late_answer(self, leg: Leg, ack: Request) -> None:
        """The ACK of a late-offer caller answers our offer: its media opens and joins
        the callee's; without a usable answer the session cannot start: BYE all round."""
        leg.answer_due = False
        call = leg.call
        params = answer_in_ack(ack, self.settings.codecs)
        if params is None:
            call.disposition = Disposition.FAILED
            self._log("call.no_answer_sdp", call)
            self._event(call, CallEvent.ACK_WITHOUT_ANSWER, leg)
            self._send_bye(leg)
            return
        leg.media = params
        self._open_media(leg)
        winner = call.winner
        if call.state is CallState.ANSWERED and winner is not None and winner.media_open:
            self._out.append(BridgeMedia(leg.id, winner.id))

    def _tolerated_ack(self, request: Request, source: Source, now: float) -> Leg | None:
        """pyVoIP's ACK carries a fresh To tag: match Call-ID, From tag and CSeq number,
        and hand the transaction layer the ACK it should have been so the 2xx stops."""
        leg = self._callers.get((request.call_id, request.from_.tag))
        if leg is None or leg.dialog is None or request.cseq.seq != leg.invite.cseq.seq:
            return None
        fixed = Request("ACK", request.uri, request.headers.copy(), request.body)
        fixed.headers.set("To", str(leg.dialog.local_uri))
        self.sip.absorb_ack(fixed, source, now)
        return leg

    def in_dialog(self, tid: TransactionId, request: Request, source: Source, now: float,
                  wall: float) -> list[Action] | None:
        """BYE, re-INVITE or UPDATE with a To tag; None when it matches no dialog (481)."""
        self._clock(now, wall)
        leg = self._by_dialog.get(DialogId.of_incoming_request(request))
        if leg is None and request.method == "BYE":
            leg = self._callers.get((request.call_id, request.from_.tag))
            if leg is not None and leg.dialog is None:
                leg = None
        if leg is None or leg.dialog is None:
            return None
        try:
            leg.dialog.on_request(request)
        except ProtocolError as error:
            self._reply(tid, request, error.status, error.reason, leg=leg)
            return self._take()
        if request.method == "BYE":
            self._reply(tid, request, 200, None, leg=leg)
            leg.status = leg.status or 200
            call = leg.call
            was_pending = leg.state
            self._leg_ended(leg)
            if was_pending is LegState.CONFIRMED:
                if leg is call.transferor:
                    event = CallEvent.TRANSFEROR_LEFT
                else:
                    event = (CallEvent.CALLER_HUNG_UP if leg.role is Role.CALLER
                             else CallEvent.CALLEE_HUNG_UP)
                self._event(call, event, leg)
            return self._take()
        if request.method == "REFER":
            self._refer(tid, request, leg)
            return self._take()
        self._refresh(tid, request, leg)
        return self._take()

    def _refresh(self, tid: TransactionId, request: Request, leg: Leg) -> None:
        """A session refresh (re-INVITE or UPDATE): answer a new offer from our port."""
        if leg.state is not LegState.CONFIRMED:
            self._reply(tid, request, 491 if leg.state is LegState.INVITING else 481, None,
                        leg=leg)
            return
        headers = [("Contact", self.sip.contact(leg.destination)), ("Allow", ALLOW)]
        try:
            offer = body_sdp(request)
        except ProtocolError:
            self._reply(tid, request, 488, None, leg=leg)
            return
        if offer is None:
            if request.method == "UPDATE":
                self._send_response(tid, self.sip.response(request, 200, None, None, headers))
                return
            preference = [leg.media.codec] if leg.media is not None else []
            body = str(leg.sdp.offer(leg.port, self._codecs_in(preference))).encode()
            self._send_response(tid, self.sip.response(request, 200, None, None,
                                                    [*headers, ("Content-Type", SDP)], body))
            return
        preference = [leg.media.codec] if leg.media is not None else []
        first = self._codecs_in(preference)
        try:
            answer = leg.sdp.answer(offer, first, leg.port)
            negotiated = negotiate(offer, first)
            params = media_params(negotiated)
        except ProtocolError as error:
            self._reply(tid, request, error.status if error.status >= 400 else 488, None,
                        leg=leg)
            return
        self._send_response(tid, self.sip.response(request, 200, None, None,
                                                [*headers, ("Content-Type", SDP)],
                                                str(answer).encode()))
        if params != leg.media:
            leg.media = params
            if leg.media_open:
                self._out.append(UpdateMedia(leg.id, params))
        if negotiated.hold != leg.holding:
            self._hold(leg, negotiated.hold)

    def _hold(self, leg: Leg, on: bool) -> None:
        """A leg put the call on hold (sendonly/inactive) or took it off: the other side
        hears music meanwhile."""
        leg.holding = on
        call = leg.call
        other = call.winner if leg.role is Role.CALLER else call.caller_leg
        if call.state is not CallState.ANSWERED or other is None or not other.media_open:
            return
        self._out.append(HoldMedia(leg.id, other.id, on))
        self._log("call.held" if on else "call.resumed", call, by=leg.role.value)

    # -- from the transaction layer: our transactions ----------------------------------

    def on_response(self, tid: TransactionId, response: Response, now: float,
                    wall: float) -> list[Action]:
        self._clock(now, wall)
        leg = self._by_tid.get(tid)
        if leg is None:
            return self._take()
        if tid == leg.bye_tid:
            if response.status >= 200:
                self._leg_ended(leg)
            return self._take()
        if leg.role is not Role.CALLEE or tid != leg.tid:
            return self._take()
        status = response.status
        if status < 200:
            if status > 100 and leg.state is LegState.INVITING:
                if leg.media is None:
                    leg.media = early_params(response, self.settings.codecs)
                self._event(leg.call, CallEvent.CALLEE_RINGING, leg)
            return self._take()
        if status < 300:
            self._callee_answered(leg, response)
        elif not (status in (401, 407) and self._answer_trunk_challenge(leg, response)):
            self._callee_failed(leg, status)
        return self._take()

    def _answer_trunk_challenge(self, leg: Leg, response: Response) -> bool:
        """A carrier challenged our INVITE: send it again once, with the trunk's
        credentials, on the same leg."""
        outbound = self._trunk_legs.pop(leg.id, None)
        if outbound is None or leg.state is not LegState.INVITING:
            return False
        invite = authorized_invite(leg.invite, response, outbound.trunk)
        if invite is None:
            return False
        try:
            tid = self.layer.send_request(invite, leg.destination, self._now)
        except TransactionError:
            return False
        self._by_tid.pop(leg.tid, None)
        leg.invite, leg.tid = invite, tid
        self._by_tid[tid] = leg
        return True

    def _callee_answered(self, leg: Leg, response: Response) -> None:
        late = leg.state is LegState.CANCELLING or leg.call.state in (
            CallState.ANSWERED, CallState.ENDED)
        try:
            dialog = Dialog.as_uac(leg.invite, response,
                                   parse_name_addr(self.sip.contact(leg.destination)))
        except (DialogError, ProtocolError) as error:
            log.warning("callee leg %d: unusable 2xx (%s)", leg.id, error)
            leg.status = 502
            self._leg_ended(leg)
            self._after_callee_failed(leg.call)
            return
        leg.dialog = dialog
        self._by_dialog[dialog.id] = leg
        leg.state = LegState.CONFIRMED
        leg.status = response.status
        leg.ack = self.sip.ack(dialog, leg.destination)
        leg.acked = True
        if late:
            if leg.call.state in (CallState.ANSWERED, CallState.ENDED):
                self._event(leg.call, CallEvent.CALLEE_ANSWERED, leg)
            else:
                self._send_bye(leg)
            return
        try:
            answer = body_sdp(response)
            params = media_params(negotiate(answer, self.settings.codecs)) if answer else None
        except ProtocolError:
            params = None
        if params is None:
            leg.status = 488
            self._send_bye(leg)
            self._after_callee_failed(leg.call)
            return
        if leg.media_open and params != leg.media:  # its early media moved
            self._out.append(UpdateMedia(leg.id, params))
        leg.media = params
        self._event(leg.call, CallEvent.CALLEE_ANSWERED, leg)

    def _callee_failed(self, leg: Leg, status: int) -> None:
        leg.status = status
        self._leg_ended(leg)
        self._after_callee_failed(leg.call)

    def _after_callee_failed(self, call: Call) -> None:
        if call.state in (CallState.ROUTING, CallState.ALERTING) and not any(
                c.state in (LegState.INVITING, LegState.CONFIRMED) for c in call.callees):
            self._event(call, self._unanswered(call, CallEvent.ALL_CALLEES_FAILED), None)
        elif call.state is CallState.TRANSFERRING and not any(
                c.state is LegState.INVITING for c in call.callees):
            self._event(call, CallEvent.TRANSFER_FAILED, None)
        else:
            self._maybe_forget(call)

    def on_stray_2xx(self, response: Response, now: float, wall: float) -> list[Action]:
        """A 2xx retransmitted after its transaction ended: our ACK got lost, resend it;
        a 2xx of a dialog we never knew (a late fork) gets an ACK and a BYE."""
        self._clock(now, wall)
        leg = self._by_dialog.get(DialogId.of_incoming_response(response))
        if leg is not None:
            if leg.ack is not None:
                self.sip.resend(leg.ack, leg.destination)
            return self._take()
        leg = self._callee_invites.get(response.call_id)
        if leg is None or response.from_.tag != leg.invite.from_.tag:
            return self._take()
        try:
            dialog = Dialog.as_uac(leg.invite, response)
            self.sip.ack(dialog, leg.destination)
        except (DialogError, ProtocolError) as error:
            log.debug("stray 2xx not ended: %s", error)
            return self._take()
        self.sip.in_dialog(dialog, "BYE", leg.destination, now)
        return self._take()

    def on_timeout(self, tid: TransactionId, now: float, wall: float) -> list[Action]:
        self._clock(now, wall)
        leg = self._by_tid.get(tid)
        if leg is None:
            return self._take()
        if tid == leg.bye_tid:
            self._leg_ended(leg)
        elif leg.role is Role.CALLEE:
            if leg.state in (LegState.INVITING, LegState.CANCELLING):
                self._callee_failed(leg, 408)
        elif leg.state is LegState.CONFIRMED and not leg.acked:
            # timer L: the ACK for our 2xx never came (§13.3.1.4): end the call
            leg.acked = True
            leg.bye_pending = False
            self._event(leg.call, CallEvent.ACK_TIMEOUT, leg)
            if leg.state is LegState.CONFIRMED:
                self._send_bye(leg)
        return self._take()

    def handle_timer(self, now: float, wall: float) -> list[Action]:
        self._clock(now, wall)
        for key in self._timers.pop_due(now):
            call = self.calls.get(key)
            if call is not None and call.state is CallState.TRANSFERRING:
                self._cancel_callees(call, None)
                self._event(call, CallEvent.TRANSFER_FAILED, None)
            elif call is not None:
                self._event(call, self._unanswered(call, CallEvent.RING_TIMEOUT), None)
        return self._take()

