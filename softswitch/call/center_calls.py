"""Calls that end on the switch itself: a DID's IVR, a queue's waiting caller, the agent
legs the ACD rings, and feature codes dialled from a phone.

Sans-IO, like the B2BUA beside it: it drives the transaction layer it is given and
returns actions for the edge (media, prompts, the event log). The ACD is reached through
the `CenterPort` protocol (in the running switch, `runtime.call_center.CallCenter`), and
this class is the ACD's `CallCenterEffects`: what the ACD asks for (ring an agent, play
music, bridge) is done here. Calls from the ACD never re-enter it; the outcomes they
cause (an agent with no phone) are queued and fed back before the actions are returned.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from softswitch.acd.effects import (
    Bridge,
    DialCallback,
    Overflow,
    PauseAgent,
    PlayAnnouncement,
    RingAgent,
    StartMusic,
    StopRinging,
)
from softswitch.call.actions import (
    Action,
    BridgeMedia,
    CloseMedia,
    LogEvent,
    MediaParams,
    OpenMedia,
)
from softswitch.call.b2bua import ALLOW, CallSettings, Offered
from softswitch.call.center_announcements import announcement_prompts
from softswitch.call.center_route import (
    Answered,
    CenterRoute,
    FeatureCall,
    Refused,
    route_number,
)
from softswitch.call.late_offer import session_body, take_answer, waiting_params
from softswitch.call.leg_media import SDP, body_sdp, media_params
from softswitch.call.location import Binding, binding_destination, contact_uri
from softswitch.call.media_timeout import EVENT as MEDIA_TIMEOUT_EVENT
from softswitch.call.media_timeout import offer_holds
from softswitch.call.ports import PortPool
from softswitch.call.recording import Recordings
from softswitch.call.supervisor import MODE_KEYS, Mode, Supervision
from softswitch.errors import ProtocolError
from softswitch.ivr.effects import (
    Emit,
    Hangup,
    IvrEffect,
    Play,
    StopPlayback,
    TransferToExtension,
    TransferToQueue,
    Voicemail,
)
from softswitch.ivr.session import IvrSession
from softswitch.rtp.dtmf import parse_info_body
from softswitch.sdp.negotiation import LocalSdp, negotiate
from softswitch.sip.dialog import Dialog, DialogError, DialogId, new_tag
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import Headers, Request, Response, make_response
from softswitch.sip.routing import Destination, reply_to
from softswitch.sip.transaction import TransactionError, TransactionLayer
from softswitch.sip.transaction_events import TransactionId
from softswitch.sip.uri import format_host
from softswitch.timers import Deadlines

log = logging.getLogger(__name__)

#: how long a caller has to press a survey score, and to hear a feature's confirmation
SURVEY_TIMEOUT = 8.0
SURVEY_PROMPTS = ("survey", "thank_you")
#: what a caller hears when their place is kept for a callback, before being released
CALLBACK_PROMPTS = ("thank_you", "goodbye")


@dataclass(frozen=True)
class PlayPrompts:
    """Play prompts on a leg (the last looping when `loop`): music, IVR, announcements."""

    leg: int
    names: tuple[str, ...]
    loop: bool = False


@dataclass(frozen=True)
class StopPrompts:
    leg: int


CenterAction = Action | PlayPrompts | StopPrompts


class CenterPort(Protocol):
    """The ACD as the call layer sees it (CallCenter in the running switch)."""

    def enqueue(self, call_id: str, queue: str, number: str = "", priority: int = 0,
                skills: dict[str, int] | None = None) -> list[Any]: ...
    def agent_answered(self, call_id: str, agent_id: str) -> list[Any]: ...
    def agent_no_answer(self, call_id: str, agent_id: str) -> list[Any]: ...
    def agent_rejected(self, call_id: str, agent_id: str, busy: bool = False) -> list[Any]: ...
    def hangup(self, call_id: str) -> list[Any]: ...
    def leave(self, call_id: str, target_kind: str, target: str) -> list[Any]: ...
    def login(self, agent_id: str, queues: Any = ()) -> list[Any]: ...
    def logout(self, agent_id: str) -> list[Any]: ...
    def pause(self, agent_id: str, reason: str) -> list[Any]: ...
    def resume(self, agent_id: str) -> list[Any]: ...
    def request_callback(self, call_id: str, number: str) -> list[Any]: ...
    def extension_of(self, agent_id: str) -> str: ...


class QueueVoicemail(Protocol):
    """Voicemail for a queue's callers (press 0 while waiting): takes the caller's leg
    over and returns the actions that start the deposit, or None when it cannot."""

    def leave_message(self, leg: EndLeg, mailbox: str, now: float,
                      wall: float) -> list[Any] | None: ...


@dataclass(eq=False)
class EndLeg:
    """One SIP leg with the switch at its far end (a caller it answered, or an agent or
    extension it dials)."""

    id: int
    call_id: str  # the center call it belongs to (the caller's Call-ID)
    kind: str  # "caller", "agent", "feature", "customer" (a callback dialled out)
    invite: Request
    tid: TransactionId
    destination: Destination
    port: int
    sdp: LocalSdp
    state: str = "inviting"  # inviting, cancelling, confirmed, ending, ended
    dialog: Dialog | None = None
    media: MediaParams | None = None
    media_open: bool = False
    acked: bool = False
    bye_tid: TransactionId | None = None
    agent: str = ""
    number: str = ""
    #: a late offer: our 200 offered, the ACK must answer (late_offer.take_answer)
    answer_due: bool = False
    #: its last re-INVITE put the call on hold: it may send no RTP meanwhile
    holding: bool = False


@dataclass(eq=False)
class CenterCall:
    """A caller answered by the switch, and what it is doing now."""

    call_id: str
    caller: EndLeg
    number: str
    #: ivr, queue, bridged, survey, feature, closing, dialling; for a callback:
    #: callback (the caller released, their place kept), calling_back (the agent answered,
    #: the customer is being dialled)
    phase: str = "ivr"
    ivr: IvrSession | None = None
    queue: str = ""
    agent: str = ""
    agent_legs: list[EndLeg] = field(default_factory=list)
    bridged: EndLeg | None = None
    music: str = "moh"
    language: str = "en"
    #: what to do when the current prompt ends: "bye", or "" to keep going
    after_prompt: str = ""
    #: wall time the call began, and the number it was for (for the operators' list)
    started_at: float = 0.0
    dialled: str = ""


class CenterCalls:
    def __init__(self, *, layer: TransactionLayer, route: CenterRoute,
                 lookup: Callable[[str], list[Binding]], ports: PortPool,
                 local: dict[str, tuple[str, int]], domain: str,
                 settings: CallSettings | None = None,
                 prompts: Collection[str] = (),
                 flows: Mapping[str, Mapping[str, Any]] | None = None,
                 music: Mapping[str, str] | None = None,
                 tag_factory: Callable[[], str] = new_tag,
                 call_id_factory: Callable[[], str] | None = None) -> None:
        self.layer = layer
        self.route = route
        self._lookup = lookup
        self.ports = ports
        self._local = local
        self.domain = domain
        self.settings = settings or CallSettings()
        self.prompts = set(prompts)
        self.flows = dict(flows or {})
        self.music = dict(music or {})
        self.center: CenterPort | None = None
        #: connected by the voicemail part; without it press 0 says "not available"
        self.voicemail: QueueVoicemail | None = None
        #: a number leaving by a trunk -> the carrier to dial it at (None: not a trunk's)
        self.outbound: Callable[[str], Binding | None] | None = None
        #: supervisors on agents' calls; queue recording policies (None: nothing recorded)
        self.supervision = Supervision()
        self.recordings: Recordings | None = None
        self._new_tag = tag_factory
        self._new_call_id = call_id_factory or (lambda: secrets.token_hex(12))
        self._leg_ids = itertools.count(1_000_000)  # apart from the B2BUA's leg ids
        self.calls: dict[str, CenterCall] = {}
        self._by_tid: dict[TransactionId, EndLeg] = {}
        self._by_dialog: dict[DialogId, EndLeg] = {}
        self._by_leg: dict[int, EndLeg] = {}
        self._timers: Deadlines[tuple[str, str]] = Deadlines()
        self._out: list[CenterAction] = []
        self._later: list[Callable[[], object]] = []
        self._now = 0.0
        self._wall = 0.0

    # -- bookkeeping ---------------------------------------------------------------------

    def owns(self, tid: TransactionId) -> bool:
        return tid in self._by_tid

    def live_agent_calls(self) -> dict[str, str]:
        """agent id -> call id, for every agent leg that is ringing or talking."""
        out: dict[str, str] = {}
        for call in self.calls.values():
            for leg in call.agent_legs:
                if leg.state in ("inviting", "confirmed") and leg.agent:
                    out[leg.agent] = call.call_id
        return out

    def get_timer(self) -> float | None:
        deadlines = [t for t in (self._timers.next(),
                                 *(c.ivr.next_deadline() for c in self.calls.values()
                                   if c.ivr is not None)) if t is not None]
        return min(deadlines, default=None)

    def take(self) -> list[CenterAction]:
        """Run the ACD outcomes queued meanwhile, then hand over the actions."""
        for _ in range(1000):
            if not self._later:
                break
            later, self._later = self._later, []
            for step in later:
                step()
        out, self._out = self._out, []
        return out

    def _clock(self, now: float, wall: float) -> None:
        self._now, self._wall = now, wall

    def _log(self, kind: str, call_id: str | None, **fields: object) -> None:
        self._out.append(LogEvent(kind, dict(fields), call_id=call_id))

    # -- SIP plumbing --------------------------------------------------------------------

    def _via(self, destination: Destination) -> str:
        transport = destination.transport.lower()
        host, port = self._local.get(transport) or next(iter(self._local.values()))
        return f"SIP/2.0/{transport.upper()} {format_host(host)}:{port};rport"

    def _contact(self, destination: Destination) -> str:
        transport = destination.transport.lower()
        host, port = self._local.get(transport) or next(iter(self._local.values()))
        suffix = "" if transport == "udp" else f";transport={transport}"
        return f"<sip:switch@{format_host(host)}:{port}{suffix}>"

    def _respond(self, tid: TransactionId, request: Request, status: int,
                 reason: str | None = None, to_tag: str | None = None,
                 headers: list[tuple[str, str]] | None = None, body: bytes = b"") -> bool:
        response = make_response(request, status, reason,
                                 to_tag=(to_tag or self._new_tag()) if status > 100 else None,
                                 headers=headers or ())
        response.body = body
        try:
            self.layer.respond(tid, response, self._now)
        except TransactionError as error:
            log.debug("response %d dropped: %s", status, error)
            return False
        return True

    # -- a call for the switch -----------------------------------------------------------

    def offer(self, offered: Offered, now: float, wall: float) -> list[CenterAction] | None:
        """Take an INVITE whose number leads to the switch itself; None when it does not
        (the B2BUA rings the number instead)."""
        request = offered.request
        number = getattr(request.uri, "user", None) or ""
        target = self.route(number, offered.user)
        if target is None:
            return None
        self._clock(now, wall)
        if isinstance(target, Refused):
            self._log(target.event, request.call_id, **target.fields)
            self._respond(offered.tid, request, target.status)
            return self.take()
        leg = self._answer(offered)
        if leg is None:
            return self.take()
        call = CenterCall(request.call_id, leg, offered.user, started_at=wall,
                          dialled=number)
        self.calls[call.call_id] = call
        self._log("call.offered", call.call_id, caller=offered.user, callee=number,
                  target=type(target).__name__)
        if isinstance(target, FeatureCall):
            self._feature(call, target)
        else:
            self._answered(call, target)
        return self.take()

    def _answer(self, offered: Offered) -> EndLeg | None:
        request = offered.request
        try:
            if request.from_.tag is None or not request.contacts:
                self._respond(offered.tid, request, 400, "Missing From tag or Contact")
                return None
            offer_sdp = body_sdp(request)  # None: a late offer, ours goes in the 200
            negotiated = None if offer_sdp is None else negotiate(offer_sdp,
                                                                   self.settings.codecs)
        except ProtocolError as error:
            self._respond(offered.tid, request, error.status if error.status >= 400 else 488)
            return None
        port = self.ports.allocate()
        if port is None:
            self._respond(offered.tid, request, 503, "Service Unavailable (no RTP ports)")
            return None
        sdp = LocalSdp(self.settings.media_address, secrets.randbits(31))
        destination = reply_to(offered.source)
        leg = EndLeg(next(self._leg_ids), request.call_id, "caller", request, offered.tid,
                     destination, port, sdp, number=offered.user)
        tag = self._new_tag()
        response = make_response(request, 200, None, to_tag=tag, headers=[
            ("Contact", self._contact(destination)), ("Allow", ALLOW + ", INFO"),
            ("Content-Type", SDP)])
        response.body = session_body(sdp, offer_sdp, self.settings.codecs, port)
        try:
            self.layer.respond(offered.tid, response, self._now)
        except TransactionError:
            self.ports.release(port)
            return None
        leg.dialog = Dialog.as_uas(request, response,
                                   parse_name_addr(self._contact(destination)))
        leg.state = "confirmed"
        leg.media = (waiting_params(self.settings.codecs) if negotiated is None
                     else media_params(negotiated))
        leg.answer_due = negotiated is None
        self._by_tid[offered.tid] = leg
        self._by_dialog[leg.dialog.id] = leg
        self._by_leg[leg.id] = leg
        self._open(leg)
        return leg

    def _open(self, leg: EndLeg) -> None:
        if leg.media is not None and not leg.media_open:
            leg.media_open = True
            self._out.append(OpenMedia(leg.id, leg.port, leg.media))

    def _answered(self, call: CenterCall, target: Answered) -> None:
        if target.kind == "ivr":
            flow = self.flows.get(target.name)
            if flow is None:
                self._close_with(call, ("not_available",))
                return
            call.ivr = IvrSession(flow, call.call_id)
            self._ivr(call, call.ivr.start(self._now, self._wall))
        elif target.kind == "queue":
            self._enqueue(call, target.name, 0, {})
        elif target.kind == "extension":
            self._dial_extension(call, target.name)
        else:
            self._close_with(call, ("not_available",))

    # -- from an operator (the control socket) ------------------------------------------

    def adopt(self, leg: EndLeg, caller: str, dialled: str,
              target: Answered | FeatureCall | str, now: float,
              wall: float) -> list[CenterAction]:
        """A party the switch called, who answered (a click-to-dial's first leg), becomes
        a call here as if they had dialled `dialled`: an extension (str) is rung and
        bridged, a DID runs its IVR or queue, a feature code runs."""
        self._clock(now, wall)
        leg.id = next(self._leg_ids)
        call = CenterCall(leg.call_id, leg, caller, started_at=wall, dialled=dialled)
        self.calls[call.call_id] = call
        if leg.dialog is not None:
            self._by_dialog[leg.dialog.id] = leg
        self._by_leg[leg.id] = leg
        self._open(leg)
        self._log("call.offered", call.call_id, caller=caller, callee=dialled,
                  target="originate")
        if isinstance(target, str):
            self._dial_extension(call, target)
        elif isinstance(target, FeatureCall):
            self._feature(call, target)
        else:
            self._answered(call, target)
        return self.take()

    def hang_up(self, call_id: str, now: float, wall: float) -> list[CenterAction] | None:
        """End a call from outside: every leg is hung up or cancelled, the ACD told.
        None when there is no such call."""
        call = self.calls.get(call_id)
        if call is None or call.phase == "ended":
            return None
        self._clock(now, wall)
        center = self.center
        if center is not None and call.queue:  # the ACD ignores a call it has let go
            self._later.append(lambda: center.hangup(call.call_id))
        self._end(call)
        return self.take()

    def media_timeout(self, leg_id: int, now: float,
                      wall: float) -> list[CenterAction] | None:
        """A leg's RTP and RTCP stopped (a dead phone): the call ends as an operator's
        hang-up does, every leg a BYE and the ACD told, so an agent is never left on a
        call that is gone. [] when the silence is allowed (not answered, on hold,
        already ending); None when the leg is not one of ours."""
        leg = self._by_leg.get(leg_id)
        if leg is None:
            return None
        call = self.calls.get(leg.call_id)
        if call is None or call.phase == "ended" or leg.state != "confirmed" or any(
                other.holding for other in [call.caller, *call.agent_legs]
                if other.state == "confirmed"):
            return []
        self._clock(now, wall)
        self._log(MEDIA_TIMEOUT_EVENT, call.call_id, leg=leg.id, role=leg.kind,
                  agent=leg.agent or None, queue=call.queue or None)
        ended = self.hang_up(call.call_id, now, wall) or []
        self._leg_ended(leg)  # a dead phone answers no BYE: its port is free at once
        return ended + self.take()

    # -- IVR ------------------------------------------------------------------------------

    def _ivr(self, call: CenterCall, effects: list[IvrEffect]) -> None:
        for effect in effects:
            if isinstance(effect, Emit):
                fields = dict(effect.fields)
                fields.pop("call_id", None)
                self._log(effect.kind, call.call_id, **fields)
            elif isinstance(effect, Play):
                call.language = effect.language
                self._play(call, effect.prompts, on_end="ivr")
            elif isinstance(effect, StopPlayback):
                self._out.append(StopPrompts(call.caller.id))
            elif isinstance(effect, TransferToQueue):
                call.language = effect.language
                self._enqueue(call, effect.queue, effect.priority, dict(effect.skills))
            elif isinstance(effect, TransferToExtension):
                self._dial_extension(call, effect.number)
            elif isinstance(effect, Voicemail):
                self._close_with(call, ("not_available",))
            elif isinstance(effect, Hangup):
                self._close_with(call, ("goodbye",))

    def resolve(self, names: tuple[str, ...] | list[str], language: str) -> tuple[str, ...]:
        """Prompt names as the flow or the ACD write them -> the engine's names (per
        language, dashes or underscores); names with no audio are left out."""
        out = []
        for name in names:
            for candidate in (f"{language}/{name}", f"{language}/{name.replace('-', '_')}",
                              name, name.replace("-", "_"), f"en/{name.replace('-', '_')}"):
                if candidate in self.prompts:
                    out.append(candidate)
                    break
        return tuple(out)

    def _play(self, call: CenterCall, names: tuple[str, ...] | list[str], on_end: str,
              loop_music: bool = False) -> None:
        resolved = self.resolve(names, call.language)
        call.after_prompt = on_end
        if loop_music:
            music = self.resolve((call.music, "moh"), call.language)[:1]
            self._out.append(StopPrompts(call.caller.id))
            self._out.append(PlayPrompts(call.caller.id, resolved + music, loop=True))
            return
        if not resolved:
            self._later.append(lambda: self._prompt_done(call))
            return
        self._out.append(StopPrompts(call.caller.id))
        self._out.append(PlayPrompts(call.caller.id, resolved))

    def _close_with(self, call: CenterCall, prompts: tuple[str, ...]) -> None:
        call.phase = "closing"
        self._play(call, prompts, on_end="bye")

    def prompt_finished(self, leg_id: int, now: float, wall: float) -> list[CenterAction]:
        """The media engine played a leg's prompts to their end."""
        self._clock(now, wall)
        leg = self._by_leg.get(leg_id)
        call = self.calls.get(leg.call_id) if leg is not None else None
        if call is not None and leg is call.caller:
            self._prompt_done(call)
        return self.take()

    def _prompt_done(self, call: CenterCall) -> None:
        then, call.after_prompt = call.after_prompt, ""
        if then == "bye":
            self._end(call)
        elif then == "ivr" and call.ivr is not None and call.phase == "ivr":
            self._ivr(call, call.ivr.prompt_finished(self._now))
        elif then == "survey":
            self._timers.set((call.call_id, "survey"), self._now + SURVEY_TIMEOUT)
        elif then == "release" and call.phase == "callback":
            self._drop(call.caller)  # the place in line is kept without the line

    def digit(self, leg_id: int, digit: str, now: float, wall: float) -> list[CenterAction]:
        """A key pressed on a leg (RFC 4733, in-band or SIP INFO)."""
        self._clock(now, wall)
        leg = self._by_leg.get(leg_id)
        call = self.calls.get(leg.call_id) if leg is not None else None
        if call is None or leg is not call.caller:
            return self.take()
        if call.phase == "supervising" and digit in MODE_KEYS:
            self._out.extend(self.supervision.key(call.call_id, digit))
        elif call.phase == "ivr" and call.ivr is not None:
            self._ivr(call, call.ivr.digit(digit, now))
        elif call.phase == "queue" and digit == "1":
            self._log("callback.pressed", call.call_id, queue=call.queue)
            self._later.append(lambda: self._request_callback(call))
        elif call.phase == "queue" and digit == "0":
            self._queue_voicemail(call)
        elif call.phase == "survey" and digit in "12345":
            self._timers.cancel((call.call_id, "survey"))
            self._log("survey.completed", call.call_id, agent=call.agent, queue=call.queue,
                      score=int(digit))
            self._close_with(call, ("thank_you",))
        return self.take()

    def handle_timer(self, now: float, wall: float) -> list[CenterAction]:
        self._clock(now, wall)
        for call_id, what in self._timers.pop_due(now):
            call = self.calls.get(call_id)
            if call is not None and what == "survey" and call.phase == "survey":
                self._log("survey.skipped", call_id, agent=call.agent, queue=call.queue)
                self._end(call)
        for call in list(self.calls.values()):
            if call.ivr is not None and call.phase == "ivr":
                due = call.ivr.next_deadline()
                if due is not None and due <= now:
                    self._ivr(call, call.ivr.handle_timers(now))
        return self.take()

    # -- the queue ------------------------------------------------------------------------

    def _enqueue(self, call: CenterCall, queue: str, priority: int,
                 skills: dict[str, int]) -> None:
        center = self.center
        if center is None:
            self._close_with(call, ("not_available",))
            return
        call.phase = "queue"
        call.queue = queue
        call.music = self.music.get(queue, "moh")

        def enqueue() -> None:
            try:
                center.enqueue(call.call_id, queue, number=call.number, priority=priority,
                               skills=skills)
            except (KeyError, ValueError) as error:
                log.warning("call %s not queued in %s: %s", call.call_id, queue, error)
                self._close_with(call, ("not_available",))
        self._later.append(enqueue)

    # the ACD's CallCenterEffects --------------------------------------------------------

    def ring_agent(self, effect: RingAgent) -> None:
        call = self.calls.get(effect.call_id)
        if call is None:
            return
        before = len(call.agent_legs)
        for binding in self._lookup(effect.extension):
            self._invite(call, binding, effect.agent_id, effect.extension)
        if len(call.agent_legs) == before:
            center = self.center
            assert center is not None
            self._later.append(lambda: center.agent_rejected(effect.call_id, effect.agent_id))

    def stop_ringing(self, effect: StopRinging) -> None:
        call = self.calls.get(effect.call_id)
        if call is None:
            return
        for leg in call.agent_legs:
            if leg.agent == effect.agent_id and leg is not call.bridged:
                self._drop(leg)

    def bridge(self, effect: Bridge) -> None:
        call = self.calls.get(effect.call_id)
        if call is None:
            return
        winner = next((leg for leg in call.agent_legs if leg.agent == effect.agent_id
                       and leg.state == "confirmed"), None)
        if winner is None:
            return
        if call.phase == "callback":
            self._call_back(call, winner)
            return
        for leg in call.agent_legs:
            if leg is not winner and leg.agent == effect.agent_id:
                self._drop(leg)
        call.phase = "bridged"
        call.agent = effect.agent_id
        call.bridged = winner
        call.after_prompt = ""
        self._out.append(StopPrompts(call.caller.id))
        self._open(winner)
        self._out.append(BridgeMedia(call.caller.id, winner.id))
        if self.recordings is not None:
            self._out.extend(self.recordings.bridged(call.call_id, call.queue, call.agent,
                                                     call.caller.id, winner.id, self._wall))

    def play(self, effect: PlayAnnouncement) -> None:
        call = self.calls.get(effect.call_id)
        if call is not None and call.phase == "queue":
            said = announcement_prompts(effect.prompts, call.language)
            # the log says what the caller heard, in their language (the ACD says tokens)
            self._log("queue.announced", call.call_id, queue=call.queue,
                      language=call.language, tokens=list(effect.prompts),
                      prompts=list(self.resolve(said, call.language)))
            self._play(call, said, on_end="", loop_music=True)

    def start_music(self, effect: StartMusic) -> None:
        call = self.calls.get(effect.call_id)
        if call is not None:
            call.phase = "queue"
            call.music = self.music.get(effect.queue, call.music)
            self._play(call, ("please_hold",), on_end="", loop_music=True)

    def overflow(self, effect: Overflow) -> None:
        call = self.calls.get(effect.call_id)
        if call is None:
            return
        if effect.kind == "queue":
            call.queue = effect.target
            return
        if effect.kind == "callback" and call.number and call.phase == "queue":
            # the ACD keeps the caller's place as a callback: release them with thanks
            call.phase = "callback"
            self._play(call, CALLBACK_PROMPTS, on_end="release")
            return
        if call.phase == "callback":  # a released caller's place is given up
            self._end(call)
            return
        self._close_with(call, ("not_available", "goodbye"))

    def dial_callback(self, effect: DialCallback) -> None:
        """A kept place reached the front: ring the agent first; the customer is dialled
        when the agent answers (`_call_back`)."""
        call = self.calls.get(effect.call_id)
        center = self.center
        assert center is not None
        if call is None or call.phase not in ("callback", "queue"):
            # nothing left to call back (the record is gone): the ACD gives the place up
            self._later.append(lambda: center.hangup(effect.call_id))
            return
        self.ring_agent(RingAgent(effect.call_id, effect.agent_id,
                                  center.extension_of(effect.agent_id), 0.0, effect.queue))

    # -- callback and voicemail while waiting -------------------------------------------

    def _request_callback(self, call: CenterCall) -> None:
        center = self.center
        if center is None or call.phase != "queue":
            return
        effects = center.request_callback(call.call_id, call.number)
        if not any(getattr(e, "kind", "") == "callback.requested" for e in effects):
            # refused (the ACD logged why): the caller keeps waiting on the line
            self._play(call, ("not_available",), on_end="", loop_music=True)
            return
        if call.phase == "queue":
            call.phase = "callback"
            self._play(call, CALLBACK_PROMPTS, on_end="release")

    def _queue_voicemail(self, call: CenterCall) -> None:
        voicemail = self.voicemail
        actions = (voicemail.leave_message(call.caller, call.queue, self._now, self._wall)
                   if voicemail is not None else None)
        if actions is None:
            self._log("voicemail.unavailable", call.call_id, queue=call.queue)
            self._play(call, ("not_available",), on_end="", loop_music=True)
            return
        center = self.center
        call.phase = "voicemail"
        self._log("queue.voicemail", call.call_id, queue=call.queue)
        if center is not None:  # a choice, not an abandon
            self._later.append(lambda: center.leave(call.call_id, "voicemail", call.queue))
        self._out.extend(actions)

    def _call_back(self, call: CenterCall, agent_leg: EndLeg) -> None:
        """The agent took the callback: bridge the caller if still on the line, else dial
        their number (an extension, or a trunk's carrier) with the agent on hold."""
        for leg in call.agent_legs:
            if leg is not agent_leg and leg.agent == agent_leg.agent:
                self._drop(leg)
        call.agent = agent_leg.agent
        call.bridged = agent_leg
        self._open(agent_leg)
        if call.caller.state == "confirmed":
            call.phase = "bridged"
            call.after_prompt = ""
            self._out.append(StopPrompts(call.caller.id))
            self._out.append(BridgeMedia(call.caller.id, agent_leg.id))
            self._log("callback.answered", call.call_id, queue=call.queue,
                      agent=call.agent, number=call.number)
            return
        call.phase = "calling_back"
        hold = self.resolve(("please_hold",), "en") + self.resolve((call.music, "moh"), "en")[:1]
        self._out.append(PlayPrompts(agent_leg.id, hold, loop=True))
        bindings = list(self._lookup(call.number))
        if not bindings and self.outbound is not None:
            carrier = self.outbound(call.number)
            bindings = [carrier] if carrier is not None else []
        before = len(call.agent_legs)
        for binding in bindings:
            self._invite(call, binding, "", call.number, kind="customer",
                         from_user=call.queue)
        if len(call.agent_legs) == before:
            self._callback_failed(call, "unreachable")

    def _customer_answered(self, call: CenterCall, leg: EndLeg) -> None:
        for other in call.agent_legs:
            if other is not leg and other.kind == "customer":
                self._drop(other)
        call.caller = leg
        call.phase = "bridged"
        agent_leg = call.bridged
        self._open(leg)
        if agent_leg is not None:
            self._out.append(StopPrompts(agent_leg.id))
            self._out.append(BridgeMedia(leg.id, agent_leg.id))
        self._log("callback.answered", call.call_id, queue=call.queue, agent=call.agent,
                  number=call.number)

    def _callback_failed(self, call: CenterCall, why: str) -> None:
        """The customer could not be reached (or the agent gave up): the agent's call
        ends (wrap-up follows) and the callback is reported failed."""
        self._log("callback.failed", call.call_id, queue=call.queue, agent=call.agent,
                  number=call.number, reason=why)
        center = self.center
        if center is not None:
            self._later.append(lambda: center.hangup(call.call_id))
        self._end(call)

    def agent_paused(self, effect: PauseAgent) -> None:
        pass

    # -- legs we dial ---------------------------------------------------------------------

    def _invite(self, call: CenterCall, binding: Binding, agent: str, extension: str,
                kind: str = "agent", from_user: str | None = None) -> None:
        port = self.ports.allocate()
        if port is None:
            return
        try:
            uri = contact_uri(binding)
        except ProtocolError:
            self.ports.release(port)
            return
        destination = binding_destination(binding)
        sdp = LocalSdp(self.settings.media_address, secrets.randbits(31))
        preference = call.caller.media.codec if call.caller.media else None
        codecs = sorted(self.settings.codecs, key=lambda c: c.name.upper() != preference)
        headers = Headers([
            ("Via", self._via(destination)), ("Max-Forwards", "70"),
            ("From", f"<sip:{from_user or call.number or 'anonymous'}@{self.domain}>"
                     f";tag={self._new_tag()}"),
            ("To", f"<sip:{extension}@{self.domain}>"),
            ("Call-ID", self._new_call_id()), ("CSeq", "1 INVITE"),
            ("Contact", self._contact(destination)), ("Allow", ALLOW),
            ("Content-Type", SDP)])
        invite = Request("INVITE", uri, headers, str(sdp.offer(port, codecs)).encode())
        try:
            tid = self.layer.send_request(invite, destination, self._now)
        except TransactionError as error:
            log.warning("cannot ring %s: %s", binding.contact, error)
            self.ports.release(port)
            return
        leg = EndLeg(next(self._leg_ids), call.call_id, kind, invite, tid, destination,
                     port, sdp, agent=agent, number=extension)
        call.agent_legs.append(leg)
        self._by_tid[tid] = leg
        self._by_leg[leg.id] = leg

    def _dial_extension(self, call: CenterCall, extension: str) -> None:
        call.phase = "dialling"
        before = len(call.agent_legs)
        for binding in self._lookup(extension):
            self._invite(call, binding, "", extension)
        if len(call.agent_legs) == before:
            self._close_with(call, ("not_available",))
            return
        self._log("call.transferred", call.call_id, target=extension, by="ivr")
        self._play(call, ("please_hold",), on_end="", loop_music=True)

    def on_response(self, tid: TransactionId, response: Response, now: float,
                    wall: float) -> list[CenterAction]:
        self._clock(now, wall)
        leg = self._by_tid.get(tid)
        if leg is None:
            return self.take()
        if tid == leg.bye_tid:
            if response.status >= 200:
                self._leg_ended(leg)
            return self.take()
        if tid != leg.tid or leg.kind not in ("agent", "customer") or response.status < 200:
            return self.take()
        call = self.calls.get(leg.call_id)
        if response.status >= 300:
            self._failed(leg, response.status)
            return self.take()
        try:
            dialog = Dialog.as_uac(leg.invite, response,
                                   parse_name_addr(self._contact(leg.destination)))
            answer = body_sdp(response)
            params = media_params(negotiate(answer, self.settings.codecs)) if answer else None
        except (DialogError, ProtocolError) as error:
            log.warning("agent leg %d: unusable 2xx (%s)", leg.id, error)
            self._failed(leg, 502)
            return self.take()
        leg.dialog = dialog
        self._by_dialog[dialog.id] = leg
        self.layer.send_message(dialog.create_request("ACK", via=self._via(leg.destination)),
                                leg.destination)
        leg.acked = True
        was = leg.state
        leg.state = "confirmed"
        leg.media = params
        allowed = ("calling_back",) if leg.kind == "customer" else (
            "queue", "dialling", "callback")
        if was == "cancelling" or call is None or params is None or call.phase not in allowed:
            self._send_bye(leg)
            return self.take()
        if leg.kind == "customer":
            self._customer_answered(call, leg)
            return self.take()
        if call.phase == "dialling":
            for other in call.agent_legs:
                if other is not leg:
                    self._drop(other)
            call.phase = "bridged"
            call.bridged = leg
            self._out.append(StopPrompts(call.caller.id))
            self._open(leg)
            self._out.append(BridgeMedia(call.caller.id, leg.id))
            self._log("call.answered", call.call_id, extension=leg.number)
            return self.take()
        center = self.center
        assert center is not None
        self._later.append(lambda: center.agent_answered(call.call_id, leg.agent))
        return self.take()

    def _failed(self, leg: EndLeg, status: int) -> None:
        # a leg we cancelled because the ACD stopped ringing it (its ring timeout, or the
        # caller taken by another agent) is not news to the ACD: no second miss
        asked = leg.state == "cancelling"
        self._leg_ended(leg)
        call = self.calls.get(leg.call_id)
        if call is None:
            return
        if leg.kind == "customer":
            if call.phase == "calling_back" and not any(
                    o.kind == "customer" and o.state in ("inviting", "confirmed")
                    for o in call.agent_legs):
                self._callback_failed(call, f"status {status}")
            return
        if call.phase == "dialling":
            if not any(o.state in ("inviting", "confirmed") for o in call.agent_legs):
                self._close_with(call, ("not_available",))
            return
        if asked or call.phase != "queue" or not leg.agent or any(
                o.agent == leg.agent and o.state in ("inviting", "confirmed")
                for o in call.agent_legs):
            return
        center = self.center
        assert center is not None
        if status in (486, 600, 603):
            self._later.append(lambda: center.agent_rejected(call.call_id, leg.agent,
                                                             busy=status != 603))
        else:
            self._later.append(lambda: center.agent_no_answer(call.call_id, leg.agent))

    def on_timeout(self, tid: TransactionId, now: float, wall: float) -> list[CenterAction]:
        self._clock(now, wall)
        leg = self._by_tid.get(tid)
        if leg is not None:
            if tid == leg.bye_tid or leg.kind not in ("agent", "customer"):
                self._leg_ended(leg)
            elif leg.state in ("inviting", "cancelling"):
                self._failed(leg, 408)
        return self.take()

    def on_ack(self, request: Request, now: float, wall: float) -> list[CenterAction] | None:
        leg = self._by_dialog.get(DialogId.of_incoming_request(request))
        if leg is None:
            return None
        leg.acked = True
        if leg.answer_due:
            update = take_answer(leg, request, self.settings.codecs)
            if update is None:  # no usable answer: the call cannot go on
                return self.hang_up(leg.call_id, now, wall) or self.take()
            self._out.append(update)
        return self.take()

    def on_cancel(self, tid: TransactionId, now: float, wall: float) -> list[CenterAction] | None:
        return None  # callers are answered at once: nothing is left to cancel

    # -- in-dialog requests ----------------------------------------------------------------

    def in_dialog(self, tid: TransactionId, request: Request, now: float,
                  wall: float) -> list[CenterAction] | None:
        """BYE, INFO (DTMF) or a refresh on one of our legs; None when not ours."""
        leg = self._by_dialog.get(DialogId.of_incoming_request(request))
        if leg is None or leg.dialog is None:
            return None
        self._clock(now, wall)
        tag = leg.dialog.id.local_tag
        try:
            leg.dialog.on_request(request)
        except ProtocolError as error:
            self._respond(tid, request, error.status, error.reason, to_tag=tag)
            return self.take()
        if request.method == "BYE":
            self._respond(tid, request, 200, to_tag=tag)
            self._leg_ended(leg)
            self._hung_up(leg)
        elif request.method == "INFO":
            try:
                event = parse_info_body(request.content_type or "", request.body, now)
            except ProtocolError as error:
                self._respond(tid, request, 415 if "type" in error.reason.lower() else 400,
                              to_tag=tag)
                return self.take()
            self._respond(tid, request, 200, to_tag=tag)
            pressed = self.digit(leg.id, event.digit, now, wall)  # digit() empties _out
            self._out.extend(pressed)
        elif request.method == "INVITE" and leg.media is not None:
            offer = body_sdp(request)
            leg.holding = offer_holds(offer)
            body = (leg.sdp.answer(offer, list(self.settings.codecs), leg.port) if offer
                    else leg.sdp.offer(leg.port, list(self.settings.codecs)))
            self._respond(tid, request, 200, to_tag=tag, headers=[
                ("Contact", self._contact(leg.destination)), ("Content-Type", SDP)],
                body=str(body).encode())
        else:
            self._respond(tid, request, 200, to_tag=tag)
        return self.take()

    def _hung_up(self, leg: EndLeg) -> None:
        call = self.calls.get(leg.call_id)
        if call is None:
            return
        center = self.center
        if call.phase == "callback":
            return  # the caller was released (or left early): their place is kept
        if call.phase == "calling_back" and leg is call.bridged:
            self._callback_failed(call, "agent hung up")
            return
        if leg is call.caller:
            if call.phase in ("queue", "bridged") and center is not None and call.queue:
                self._later.append(lambda: center.hangup(call.call_id))
            self._end(call)
        elif leg is call.bridged:
            if center is not None and call.queue:
                self._later.append(lambda: center.hangup(call.call_id))
            if call.queue:
                call.phase = "survey"
                self._log("survey.offered", call.call_id, agent=call.agent, queue=call.queue)
                self._play(call, SURVEY_PROMPTS, on_end="survey")
            else:
                self._end(call)

    def _end(self, call: CenterCall) -> None:
        """The call is over: every leg still up is hung up or cancelled."""
        if call.phase == "ended":
            return
        call.phase = "ended"
        self._timers.cancel((call.call_id, "survey"))
        for leg in [call.caller, *call.agent_legs]:
            self._drop(leg)
        self._log("call.ended", call.call_id, agent=call.agent or None,
                  queue=call.queue or None)
        self._forget(call)

    def _forget(self, call: CenterCall) -> None:
        if call.phase == "ended" and all(
                leg.state == "ended" for leg in [call.caller, *call.agent_legs]):
            self.calls.pop(call.call_id, None)

    def _drop(self, leg: EndLeg) -> None:
        if leg.state == "inviting":
            leg.state = "cancelling"
            try:
                self.layer.cancel(leg.tid, self._now)
            except TransactionError:
                self._leg_ended(leg)
        elif leg.state == "confirmed":
            self._send_bye(leg)

    def _send_bye(self, leg: EndLeg) -> None:
        if leg.dialog is None or leg.state not in ("confirmed",):
            return
        try:
            bye = leg.dialog.create_request("BYE", via=self._via(leg.destination))
            tid = self.layer.send_request(bye, leg.destination, self._now)
        except (DialogError, TransactionError) as error:
            log.warning("cannot send BYE on leg %d: %s", leg.id, error)
            self._leg_ended(leg)
            return
        leg.state = "ending"
        leg.bye_tid = tid
        self._by_tid[tid] = leg

    def _leg_ended(self, leg: EndLeg) -> None:
        if leg.state == "ended":
            return
        leg.state = "ended"
        if self.recordings is not None:  # before its media closes: the last frames count
            self._out.extend(self.recordings.leg_ended(leg.id, self._wall))
        if leg.media_open:
            leg.media_open = False
            self._out.append(CloseMedia(leg.id))
        self.ports.release(leg.port)
        for tid in (leg.tid, leg.bye_tid):
            if tid is not None and self._by_tid.get(tid) is leg:
                del self._by_tid[tid]
        if leg.dialog is not None:
            leg.dialog.terminate()
            self._by_dialog.pop(leg.dialog.id, None)
        self._by_leg.pop(leg.id, None)
        call = self.calls.get(leg.call_id)
        if call is not None:
            self._supervised_leg_ended(call, leg)
            self._forget(call)

    # -- feature codes ----------------------------------------------------------------------

    def _feature(self, call: CenterCall, feature: FeatureCall) -> None:
        call.phase = "feature"
        if feature.name in tuple(Mode) and not feature.refused:
            self._supervise(call, feature)
            return
        center = self.center
        if feature.refused or center is None:
            self._log("feature.refused", call.call_id, feature=feature.name,
                      extension=call.number, reason=feature.refused or "no call center")
            self._close_with(call, ("not_available",))
            return
        action: Callable[[], object] = {
            "agent_login": lambda: center.login(feature.agent),
            "agent_logout": lambda: center.logout(feature.agent),
            "agent_pause": lambda: center.pause(feature.agent, feature.argument or "break"),
            "agent_resume": lambda: center.resume(feature.agent),
        }.get(feature.name, lambda: None)

        def run() -> None:
            try:
                action()
            except (KeyError, ValueError) as error:
                self._log("feature.failed", call.call_id, feature=feature.name,
                          agent=feature.agent, reason=str(error))
        self._later.append(run)
        self._log("feature.used", call.call_id, feature=feature.name, agent=feature.agent,
                  extension=call.number)
        self._close_with(call, ("thank_you",))

    # -- supervisors -----------------------------------------------------------------------

    def _supervise(self, call: CenterCall, feature: FeatureCall) -> None:
        """A supervisor let in by the route joins the agent's call in the feature's mode."""
        target = next((c for c in self.calls.values() if c.agent == feature.agent
                       and c.phase == "bridged" and c.bridged is not None
                       and c.bridged.state == "confirmed"), None)
        if target is None or target.bridged is None:
            self._log("supervisor.no_call", call.call_id, feature=feature.name,
                      supervisor=call.number, agent=feature.agent)
            self._close_with(call, ("not_available",))
            return
        call.phase = "supervising"
        self._out.extend(self.supervision.start(
            call.call_id, call.caller.id, call.number, target.call_id, feature.agent,
            target.bridged.id, feature.name, self._now))

    def _supervised_leg_ended(self, call: CenterCall, leg: EndLeg) -> None:
        """A supervisor leaving ends the session; the watched talk ending ends theirs."""
        if call.phase in ("supervising", "ended") and leg is call.caller:
            self._out.extend(self.supervision.ended(call.call_id, self._now))
        if leg is call.caller or leg is call.bridged:
            for watcher_id in self.supervision.watching(call.call_id):
                watcher = self.calls.get(watcher_id)
                if watcher is not None:
                    self._later.append(lambda w=watcher: self._end(w))


__all__ = ["CALLBACK_PROMPTS", "SURVEY_TIMEOUT", "CenterAction", "CenterCall", "CenterCalls",
           "CenterPort", "EndLeg", "PlayPrompts", "QueueVoicemail", "StopPrompts", "route_number"]
