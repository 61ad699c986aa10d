"""Calls an operator starts, lists and ends (the control socket's calls commands).

Sans-IO like the B2BUA. `Originator` places a click-to-dial: it rings every registered
contact of an extension from the switch; the first to answer is handed to the switch's
own calls (`CenterCalls.adopt`), which then dials the number through the dial plan (an
extension is rung and bridged, a DID runs its IVR or queue). Until that answer the
originated call lives here, and can be listed, timed out or hung up here.

`call_rows` gathers every live call (B2BUA, the switch's own calls, originations) as
plain data for `calls.list`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from softswitch.call.actions import Action, LogEvent
from softswitch.call.b2bua import CallSettings
from softswitch.call.center_calls import CenterAction, CenterCall, EndLeg
from softswitch.call.center_route import Answered, CenterRoute, FeatureCall, Refused
from softswitch.call.dialplan import DialPlan, Refuse, RingExtension
from softswitch.call.leg_media import body_sdp, media_params
from softswitch.call.location import Binding, contact_uri
from softswitch.call.model import Call
from softswitch.call.ports import PortPool
from softswitch.call.signalling import Signalling
from softswitch.errors import ProtocolError
from softswitch.sdp.negotiation import LocalSdp, negotiate
from softswitch.sip.dialog import Dialog, DialogError
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import Request, Response
from softswitch.sip.routing import Destination
from softswitch.sip.transaction_events import TransactionId
from softswitch.timers import Deadlines

log = logging.getLogger(__name__)

#: the name the extension's phone shows for a click-to-dial
DISPLAY = "click-to-dial"

#: what the number leads to once the extension answers: an extension to ring, or one of
#: the switch's own numbers (DID, feature code)
Target = Answered | FeatureCall | str


class OriginateRefused(ValueError):
    """An originate that cannot start; the message says why, for the operator."""


def route_dialled(number: str, extension: str, center: CenterRoute | None,
                  plan: DialPlan) -> Target:
    """What `number` means when `extension` dials it: the switch's own numbers first
    (as for a phone's INVITE), then the dial plan. OriginateRefused if it leads nowhere."""
    if not number:
        raise OriginateRefused("no number to call")
    decision = center(number, extension) if center is not None else None
    if isinstance(decision, Refused):
        raise OriginateRefused(f"{number}: refused ({decision.status})")
    if isinstance(decision, Answered | FeatureCall):
        return decision
    routed = plan.route(number)
    if isinstance(routed, Refuse):
        raise OriginateRefused(f"{number}: no such number ({routed.status})")
    assert isinstance(routed, RingExtension)
    if routed.extension == extension:
        raise OriginateRefused(f"{extension} cannot call itself")
    return routed.extension


@dataclass(eq=False)
class OriginLeg:
    """One INVITE to one registered contact of the extension."""

    origination: Origination
    invite: Request
    tid: TransactionId
    destination: Destination
    port: int
    sdp: LocalSdp
    peer: str
    state: str = "inviting"  # inviting, cancelling, ended
    status: int | None = None


@dataclass(eq=False)
class Origination:
    call_id: str
    extension: str
    number: str
    target: Target
    started_at: float  # wall clock
    legs: list[OriginLeg] = field(default_factory=list)
    ringing: bool = False
    ending: str = ""  # why it is being cancelled: "timeout", "operator"


class Originator:
    def __init__(self, *, sip: Signalling, lookup: Callable[[str], list[Binding]],
                 ports: PortPool, settings: CallSettings,
                 adopt: Callable[[EndLeg, str, str, Target, float, float],
                                 list[CenterAction]],
                 call_id_factory: Callable[[], str] | None = None) -> None:
        self.sip = sip
        self._lookup = lookup
        self.ports = ports
        self.settings = settings
        self._adopt = adopt
        self._new_call_id = call_id_factory or (lambda: f"orig-{secrets.token_hex(8)}")
        self.calls: dict[str, Origination] = {}
        self._by_tid: dict[TransactionId, OriginLeg] = {}
        self._timers: Deadlines[str] = Deadlines()

    def owns(self, tid: TransactionId) -> bool:
        return tid in self._by_tid

    def get_timer(self) -> float | None:
        return self._timers.next()

    # -- starting ------------------------------------------------------------------------

    def originate(self, extension: str, number: str, target: Target, now: float,
                  wall: float) -> tuple[str, list[Action]]:
        """Ring `extension`'s phones; the new call's id and the actions to carry out.
        OriginateRefused when it has no phone registered or none can be reached."""
        bindings = self._lookup(extension)
        if not bindings:
            raise OriginateRefused(f"extension {extension} is not registered")
        call = Origination(self._new_call_id(), extension, number, target, wall)
        for binding in bindings:
            self._invite(call, binding, now)
        if not call.legs:
            raise OriginateRefused(f"extension {extension} cannot be reached "
                                   "(no RTP port or no usable contact)")
        self.calls[call.call_id] = call
        self._timers.set(call.call_id, now + self.settings.ring_timeout)
        return call.call_id, [LogEvent("call.originated", {
            "extension": extension, "number": number}, call_id=call.call_id)]

    def _invite(self, call: Origination, binding: Binding, now: float) -> None:
        try:
            uri = contact_uri(binding)
        except ProtocolError:
            return
        port = self.ports.allocate()
        if port is None:
            return
        connection = int(binding.connection_id) if binding.connection_id.isdigit() else None
        destination = Destination(binding.source_transport.lower(), binding.source_host,
                                  binding.source_port, connection)
        sdp = LocalSdp(self.settings.media_address, secrets.randbits(31))
        body = str(sdp.offer(port, list(self.settings.codecs))).encode()
        sent = self.sip.invite(uri, destination, from_user=call.number, display=DISPLAY,
                               to_user=call.extension, body=body, now=now)
        if sent is None:
            self.ports.release(port)
            return
        invite, tid = sent
        leg = OriginLeg(call, invite, tid, destination, port, sdp, binding.contact)
        call.legs.append(leg)
        self._by_tid[tid] = leg

    # -- the extension's answers ---------------------------------------------------------

    def on_response(self, tid: TransactionId, response: Response, now: float,
                    wall: float) -> list[Any]:
        leg = self._by_tid.get(tid)
        if leg is None:
            return []
        call = leg.origination
        if response.status < 200:
            if response.status > 100 and not call.ringing:
                call.ringing = True
                return [LogEvent("call.ringing", {"extension": call.extension},
                                 call_id=call.call_id)]
            return []
        if response.status >= 300:
            return self._failed(leg, response.status, wall)
        return self._answered(leg, response, now, wall)

    def on_timeout(self, tid: TransactionId, now: float, wall: float) -> list[Any]:
        leg = self._by_tid.get(tid)
        if leg is None:
            return []
        return self._failed(leg, 408, wall)

    def _answered(self, leg: OriginLeg, response: Response, now: float,
                  wall: float) -> list[Any]:
        call = leg.origination
        self._forget_leg(leg)
        try:
            dialog = Dialog.as_uac(leg.invite, response,
                                   parse_name_addr(self.sip.contact(leg.destination)))
        except (DialogError, ProtocolError) as error:
            log.warning("originate %s: unusable 2xx (%s)", call.call_id, error)
            self.ports.release(leg.port)
            return self._after_failure(call, wall)
        self.sip.ack(dialog, leg.destination)
        try:
            answer = body_sdp(response)
            params = media_params(negotiate(answer, self.settings.codecs)) if answer else None
        except ProtocolError:
            params = None
        if call.ending or call.call_id not in self.calls or params is None:
            # too late (cancelled, or another phone won), or no media we can use
            self.sip.in_dialog(dialog, "BYE", leg.destination, now)
            self.ports.release(leg.port)
            leg.status = 488 if params is None else leg.status
            return self._after_failure(call, wall)
        for other in call.legs:
            if other is not leg:
                self._cancel(other, now)
        del self.calls[call.call_id]
        self._timers.cancel(call.call_id)
        end = EndLeg(0, call.call_id, "caller", leg.invite, leg.tid, leg.destination,
                     leg.port, leg.sdp, state="confirmed", dialog=dialog, media=params,
                     acked=True, number=call.extension)
        actions: list[Any] = [LogEvent("call.answered", {"extension": call.extension,
                                                         "contact": leg.peer},
                                       call_id=call.call_id)]
        return actions + list(self._adopt(end, call.extension, call.number, call.target,
                                          now, wall))

    def _failed(self, leg: OriginLeg, status: int, wall: float) -> list[Any]:
        leg.status = status
        self._forget_leg(leg)
        self.ports.release(leg.port)
        return self._after_failure(leg.origination, wall)

    def _after_failure(self, call: Origination, wall: float) -> list[Any]:
        if call.call_id not in self.calls or any(
                leg.state in ("inviting", "cancelling") for leg in call.legs):
            return []
        del self.calls[call.call_id]
        self._timers.cancel(call.call_id)
        statuses = [leg.status for leg in call.legs if leg.status is not None]
        disposition = ("cancelled" if call.ending == "operator" else
                       "no-answer" if call.ending == "timeout" or 408 in statuses
                       or 487 in statuses or 480 in statuses else
                       "busy" if 486 in statuses or 600 in statuses else "failed")
        return [LogEvent("call.ended", {"disposition": disposition, "hangup": "switch"
                                        if call.ending else "callee",
                                        "status": min(statuses, default=None)},
                         call_id=call.call_id)]

    def _forget_leg(self, leg: OriginLeg) -> None:
        leg.state = "ended"
        if self._by_tid.get(leg.tid) is leg:
            del self._by_tid[leg.tid]

    def _cancel(self, leg: OriginLeg, now: float) -> None:
        if leg.state == "inviting":
            leg.state = "cancelling"
            if not self.sip.cancel(leg.tid, now):
                self._forget_leg(leg)
                self.ports.release(leg.port)

    # -- ending before the answer ----------------------------------------------------------

    def hang_up(self, call_id: str, now: float, wall: float) -> list[Any] | None:
        """Stop ringing the extension; None when no origination has that id."""
        call = self.calls.get(call_id)
        if call is None:
            return None
        return self._stop(call, "operator", now, wall)

    def _stop(self, call: Origination, why: str, now: float, wall: float) -> list[Any]:
        call.ending = call.ending or why
        for leg in call.legs:
            self._cancel(leg, now)
        return self._after_failure(call, wall)

    def handle_timer(self, now: float, wall: float) -> list[Any]:
        """The extension rang for the ring timeout without answering: give up."""
        out: list[Any] = []
        for call_id in self._timers.pop_due(now):
            call = self.calls.get(call_id)
            if call is not None:
                out += self._stop(call, "timeout", now, wall)
        return out


# -- listing --------------------------------------------------------------------------------


def _b2bua_row(call: Call) -> dict[str, Any]:
    return {"call_id": call.call_id, "kind": "call", "caller": call.caller,
            "callee": call.callee, "state": call.state.value, "since": call.started_at,
            "answered_at": call.answered_at,
            "legs": len(call.live_legs())}


def _center_row(call: CenterCall) -> dict[str, Any]:
    row: dict[str, Any] = {"call_id": call.call_id, "kind": "switch", "caller": call.number,
                           "callee": call.dialled, "state": call.phase,
                           "since": call.started_at}
    if call.queue:
        row["queue"] = call.queue
    if call.agent:
        row["agent"] = call.agent
    if call.bridged is not None and not call.agent:
        row["bridged_to"] = call.bridged.number
    return row


def _origination_row(call: Origination) -> dict[str, Any]:
    return {"call_id": call.call_id, "kind": "originate", "caller": call.extension,
            "callee": call.number,
            "state": "ringing_extension" if call.ringing else "calling_extension",
            "since": call.started_at}


def call_rows(b2bua_calls: Iterable[Call], center_calls: Iterable[CenterCall],
              originations: Iterable[Origination]) -> list[dict[str, Any]]:
    """Every live call as plain data, oldest first."""
    rows = [_b2bua_row(c) for c in b2bua_calls if c.state.value != "ended"]
    rows += [_center_row(c) for c in center_calls if c.phase != "ended"]
    rows += [_origination_row(c) for c in originations]
    return sorted(rows, key=lambda row: (row["since"], row["call_id"]))


__all__ = [
    "DISPLAY",
    "OriginLeg",
    "OriginateRefused",
    "Origination",
    "Originator",
    "Target",
    "call_rows",
    "route_dialled",
]
