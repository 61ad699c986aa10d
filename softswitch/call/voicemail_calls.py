"""Voicemail over real calls: the switch answers a leg itself and runs a `Deposit` (a
caller leaving a message) or a `Review` (the owner at the voicemail feature code) on it.

Sans-IO, like the B2BUA and `CenterCalls` beside it: it drives the transaction layer it
is given and returns actions for the edge. Legs come three ways: a caller the B2BUA
could not connect (`divert`: no phone registered, busy, no answer, do-not-disturb), the
voicemail feature code dialled from a phone (`offer`), and a leg another part already
answered (`leave_message`: the IVR's voicemail node, a queue's "press 0"). The sessions'
effects become media actions (prompts, recording, a message loaded as a prompt) and
storage actions (keep a recording, mark or delete a message) that the edge carries out,
updating the mailbox index and the message-waiting lamps.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from softswitch.call.actions import Action, CloseMedia, LogEvent, OpenMedia
from softswitch.call.b2bua import ALLOW, CallSettings, Offered
from softswitch.call.center_calls import EndLeg, PlayPrompts, StopPrompts
from softswitch.call.feature_codes import Feature, FeatureTable
from softswitch.call.late_offer import session_body, take_answer, waiting_params
from softswitch.call.leg_media import SDP, body_sdp, media_params
from softswitch.call.mailboxes import Mailboxes
from softswitch.call.ports import PortPool
from softswitch.call.voicemail import (
    Deposit,
    DepositState,
    Effect,
    Event,
    Hangup,
    MarkMessage,
    PlayMessage,
    PlayPrompt,
    Review,
    ReviewState,
    StartRecording,
    StopRecording,
    StoreMessage,
    default_pin,
)
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

#: a mailbox name is also a folder name: digits, letters, dash, underscore
MAILBOX = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: the engine's name for a message loaded as a prompt
MESSAGE_PROMPT = "vm-message/{id}"


# -- what the B2BUA hands over -----------------------------------------------------------

class Diversion(Protocol):
    """A caller's INVITE, not yet answered, that the B2BUA could not connect to
    `mailbox`'s phones (`forwarding.Diversion`); `reason` is "busy", "no_answer", "dnd"
    or "unavailable" (no phone registered)."""

    @property
    def offered(self) -> Offered: ...
    @property
    def mailbox(self) -> str: ...
    @property
    def reason(self) -> str: ...


# -- actions for the edge ----------------------------------------------------------------

@dataclass(frozen=True)
class RecordMessage:
    """Start recording `leg` (both directions mixed) into a file of `mailbox`'s folder."""

    leg: int
    mailbox: str


@dataclass(frozen=True)
class FinishRecording:
    """Stop recording `leg`; `keep` the file as a message, or throw it away (None)."""

    leg: int
    keep: StoreMessage | None


@dataclass(frozen=True)
class LoadMessage:
    """Make message `message_id` (its WAV at `path`) playable as the prompt `name`."""

    name: str
    message_id: int
    path: str


@dataclass(frozen=True)
class ChangeMessage:
    """Mark a message heard and kept (`saved`) or `deleted`."""

    mailbox: str
    message_id: int
    action: str


VoicemailAction = (Action | PlayPrompts | StopPrompts | RecordMessage | FinishRecording
                   | LoadMessage | ChangeMessage)
Session = Deposit | Review


@dataclass(eq=False)
class VoicemailLeg:
    leg: EndLeg
    session: Session
    language: str = "en"
    #: hang up when the prompts now playing end
    hang_up_after_prompt: bool = False


class VoicemailCalls:
    def __init__(self, *, layer: TransactionLayer, mailboxes: Mailboxes,
                 features: FeatureTable, ports: PortPool,
                 local: dict[str, tuple[str, int]], settings: CallSettings | None = None,
                 has_prompt: Callable[[str], bool] = lambda name: False,
                 has_mailbox: Callable[[str], bool] = lambda mailbox: False,
                 diverts: Callable[[str], bool] = lambda mailbox: False,
                 pin_of: Callable[[str], str | None] = lambda mailbox: None,
                 max_message_seconds: float = 120.0,
                 tag_factory: Callable[[], str] = new_tag) -> None:
        self.layer = layer
        self.mailboxes = mailboxes
        self.features = features
        self.ports = ports
        self._local = local
        self.settings = settings or CallSettings()
        #: the media engine's prompts: a name without audio is skipped
        self.has_prompt = has_prompt
        #: every configured user has a mailbox (*97 reaches it)
        self.has_mailbox = has_mailbox
        #: whose unanswered calls go to their mailbox
        self.diverts = diverts
        self.pin_of = pin_of
        self.max_message_seconds = max_message_seconds
        self._new_tag = tag_factory
        self._leg_ids = itertools.count(2_000_000)  # apart from the B2BUA's and the center's
        self.legs: dict[int, VoicemailLeg] = {}
        self._by_tid: dict[TransactionId, VoicemailLeg] = {}
        self._by_dialog: dict[DialogId, VoicemailLeg] = {}
        self._out: list[VoicemailAction] = []
        self._now = 0.0
        self._wall = 0.0

    # -- bookkeeping ---------------------------------------------------------------------

    def owns(self, tid: TransactionId) -> bool:
        return tid in self._by_tid

    def owns_leg(self, leg_id: int) -> bool:
        return leg_id in self.legs

    def get_timer(self) -> float | None:
        return min((t for vm in self.legs.values()
                    if (t := vm.session.get_timer()) is not None), default=None)

    def _take(self) -> list[VoicemailAction]:
        out, self._out = self._out, []
        return out

    def _clock(self, now: float, wall: float) -> None:
        self._now, self._wall = now, wall

    def _log(self, kind: str, vm: VoicemailLeg, **fields: object) -> None:
        self._out.append(LogEvent(kind, dict(fields), call_id=vm.leg.call_id))

    # -- SIP plumbing --------------------------------------------------------------------

    def _local_for(self, destination: Destination) -> tuple[str, tuple[str, int]]:
        transport = destination.transport.lower()
        return transport, self._local.get(transport) or next(iter(self._local.values()))

    def _via(self, destination: Destination) -> str:
        transport, (host, port) = self._local_for(destination)
        return f"SIP/2.0/{transport.upper()} {format_host(host)}:{port};rport"

    def _contact(self, destination: Destination) -> str:
        transport, (host, port) = self._local_for(destination)
        suffix = "" if transport == "udp" else f";transport={transport}"
        return f"<sip:voicemail@{format_host(host)}:{port}{suffix}>"

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

    def _answer(self, tid: TransactionId, request: Request, destination: Destination,
                caller: str, to_tag: str | None) -> EndLeg | None:
        """200 with our SDP on a new INVITE: the leg ends on the switch."""
        try:
            if request.from_.tag is None or not request.contacts:
                self._respond(tid, request, 400, "Missing From tag or Contact", to_tag)
                return None
            offer_sdp = body_sdp(request)  # None: a late offer, ours goes in the 200
            negotiated = None if offer_sdp is None else negotiate(offer_sdp,
                                                                   self.settings.codecs)
        except ProtocolError as error:
            self._respond(tid, request, error.status if error.status >= 400 else 488,
                          to_tag=to_tag)
            return None
        port = self.ports.allocate()
        if port is None:
            self._respond(tid, request, 503, "Service Unavailable (no RTP ports)", to_tag)
            return None
        sdp = LocalSdp(self.settings.media_address, secrets.randbits(31))
        tag = to_tag or self._new_tag()
        contact = self._contact(destination)
        response = make_response(request, 200, None, to_tag=tag, headers=[
            ("Contact", contact), ("Allow", ALLOW + ", INFO"), ("Content-Type", SDP)])
        response.body = session_body(sdp, offer_sdp, self.settings.codecs, port)
        try:
            self.layer.respond(tid, response, self._now)
        except TransactionError:
            self.ports.release(port)
            return None
        leg = EndLeg(next(self._leg_ids), request.call_id, "voicemail", request, tid,
                     destination, port, sdp, state="confirmed", number=caller)
        leg.dialog = Dialog.as_uas(request, response, parse_name_addr(contact))
        leg.media = (waiting_params(self.settings.codecs) if negotiated is None
                     else media_params(negotiated))
        leg.answer_due = negotiated is None
        return leg

    # -- the ways in ---------------------------------------------------------------------

    def divert(self, diversion: Diversion, now: float,
               wall: float) -> list[VoicemailAction] | None:
        """The B2BUA could not connect a caller: answer into the callee's mailbox when
        that user takes voicemail; None lets the B2BUA answer the failure itself."""
        mailbox = diversion.mailbox
        if not self.has_mailbox(mailbox) or not self.diverts(mailbox):
            return None
        self._clock(now, wall)
        offered = diversion.offered
        source = offered.source
        leg = self._answer(offered.tid, offered.request,
                           Destination(source.transport, source.host, source.port,
                                       source.connection), offered.user, None)
        if leg is None:
            return self._take()
        self._deposit(leg, mailbox, offered.user, str(diversion.reason))
        return self._take()

    def offer(self, offered: Offered, now: float, wall: float) -> list[VoicemailAction] | None:
        """A phone dialled the voicemail feature code (its own mailbox, or the one dialled
        after the code); None for every other number."""
        number = getattr(offered.request.uri, "user", None) or ""
        match = self.features.match(number)
        if match is None or match.feature is not Feature.VOICEMAIL:
            return None
        self._clock(now, wall)
        mailbox = match.argument or offered.user
        if not self.has_mailbox(mailbox):
            self._respond(offered.tid, offered.request, 404, "Not Found (no such mailbox)")
            return self._take()
        source = offered.source
        leg = self._answer(offered.tid, offered.request,
                           Destination(source.transport, source.host, source.port,
                                       source.connection), offered.user, None)
        if leg is None:
            return self._take()
        review = Review(mailbox, default_pin(mailbox, self.pin_of(mailbox)),
                        [m.id for m in self.mailboxes.listing(mailbox)])
        vm = self._adopt(leg, review)
        self._log("voicemail.review", vm, mailbox=mailbox, user=offered.user,
                  messages=len(review.messages))
        self._run(vm, review.start(now))
        return self._take()

    def leave_message(self, leg: EndLeg, mailbox: str, now: float,
                      wall: float) -> list[VoicemailAction] | None:
        """Take over a leg another part answered (the IVR's voicemail node, a queue's
        "press 0") and let its caller leave a message in `mailbox`. The leg's media stays
        open; from now on its BYE, INFO and key presses come here. None (nothing taken)
        when there is no such mailbox or the leg is not up."""
        if not MAILBOX.match(mailbox) or leg.state != "confirmed" or leg.dialog is None:
            return None
        self._clock(now, wall)
        self._deposit(leg, mailbox, leg.number, "transferred")
        return self._take()

    def _adopt(self, leg: EndLeg, session: Session) -> VoicemailLeg:
        vm = VoicemailLeg(leg, session)
        self.legs[leg.id] = vm
        self._by_tid[leg.tid] = vm
        if leg.dialog is not None:
            self._by_dialog[leg.dialog.id] = vm
        if leg.media is not None and not leg.media_open:
            leg.media_open = True
            self._out.append(OpenMedia(leg.id, leg.port, leg.media))
        return vm

    def _deposit(self, leg: EndLeg, mailbox: str, caller: str, reason: str) -> None:
        deposit = Deposit(mailbox, caller, max_seconds=self.max_message_seconds)
        vm = self._adopt(leg, deposit)
        self._log("voicemail.deposit", vm, mailbox=mailbox, caller=caller, reason=reason)
        self._run(vm, deposit.start(self._now, self._wall))

    # -- running a session's effects -----------------------------------------------------

    def _resolve(self, name: str, language: str) -> str | None:
        plain = name.replace("-", "_")
        for candidate in (f"{language}/{plain}", plain, name, f"en/{plain}"):
            if self.has_prompt(candidate):
                return candidate
        return None

    def _run(self, vm: VoicemailLeg, effects: list[Effect]) -> None:
        """Effects in order; the prompts of one batch play as one sequence, and a hang-up
        after prompts waits for their end."""
        for _ in range(16):  # prompts with no audio finish at once, which may go on
            names: list[str] = []
            hang_up = False
            i = 0
            while i < len(effects):
                effect = effects[i]
                if isinstance(effect, PlayPrompt):
                    resolved = self._resolve(effect.name, vm.language)
                    if resolved is not None:
                        names.append(resolved)
                elif isinstance(effect, PlayMessage):
                    entry = self.mailboxes.get(effect.message_id)
                    if entry is not None:
                        name = MESSAGE_PROMPT.format(id=entry.id)
                        self._out.append(LoadMessage(name, entry.id, entry.path))
                        names.append(name)
                        self._log("voicemail.played", vm, mailbox=entry.mailbox,
                                  message=entry.id)
                elif isinstance(effect, StartRecording):
                    self._out.append(RecordMessage(vm.leg.id, effect.mailbox))
                elif isinstance(effect, StopRecording):
                    keep = None
                    if i + 1 < len(effects) and isinstance(effects[i + 1], StoreMessage):
                        i += 1
                        keep = effects[i]
                        assert isinstance(keep, StoreMessage)
                        self._log("voicemail.left", vm, mailbox=keep.mailbox,
                                  caller=keep.caller, duration=round(keep.duration, 2))
                    self._out.append(FinishRecording(vm.leg.id, keep))
                elif isinstance(effect, MarkMessage):
                    self._out.append(ChangeMessage(vm.session.mailbox, effect.message_id,
                                                   effect.action))
                    self._log(f"voicemail.{effect.action}", vm, mailbox=vm.session.mailbox,
                              message=effect.message_id)
                elif isinstance(effect, Hangup):
                    hang_up = True
                i += 1
            if names:
                self._out.append(StopPrompts(vm.leg.id))
                self._out.append(PlayPrompts(vm.leg.id, tuple(names)))
                vm.hang_up_after_prompt = hang_up
                return
            if hang_up:
                self._hang_up(vm)
                return
            if not any(isinstance(e, PlayPrompt | PlayMessage) for e in effects):
                return
            effects = vm.session.handle(Event.PROMPT_FINISHED, self._now)

    def _hang_up(self, vm: VoicemailLeg) -> None:
        leg = vm.leg
        if leg.dialog is None or leg.state != "confirmed":
            return
        try:
            bye = leg.dialog.create_request("BYE", via=self._via(leg.destination))
            tid = self.layer.send_request(bye, leg.destination, self._now)
        except (DialogError, TransactionError) as error:
            log.warning("cannot send BYE on voicemail leg %d: %s", leg.id, error)
            self._leg_ended(vm)
            return
        leg.state = "ending"
        leg.bye_tid = tid
        self._by_tid[tid] = vm

    def _leg_ended(self, vm: VoicemailLeg) -> None:
        leg = vm.leg
        if leg.state == "ended":
            return
        leg.state = "ended"
        # a recording still running is kept (or dropped) before the media goes
        self._run(vm, vm.session.handle(Event.HANGUP, self._now))
        if leg.media_open:
            leg.media_open = False
            self._out.append(CloseMedia(leg.id))
        self.ports.release(leg.port)
        for tid in (leg.tid, leg.bye_tid):
            if tid is not None and self._by_tid.get(tid) is vm:
                del self._by_tid[tid]
        if leg.dialog is not None:
            leg.dialog.terminate()
            self._by_dialog.pop(leg.dialog.id, None)
        self.legs.pop(leg.id, None)
        self._log("voicemail.ended", vm, mailbox=vm.session.mailbox)

    # -- events from the edge and the transaction layer -----------------------------------

    def prompt_finished(self, leg_id: int, now: float, wall: float) -> list[VoicemailAction]:
        self._clock(now, wall)
        vm = self.legs.get(leg_id)
        if vm is None:
            return self._take()
        if vm.hang_up_after_prompt:
            vm.hang_up_after_prompt = False
            self._hang_up(vm)
            return self._take()
        self._run(vm, vm.session.handle(Event.PROMPT_FINISHED, now))
        return self._take()

    def digit(self, leg_id: int, digit: str, now: float, wall: float) -> list[VoicemailAction]:
        self._clock(now, wall)
        vm = self.legs.get(leg_id)
        if vm is not None and vm.leg.state == "confirmed":
            self._run(vm, vm.session.handle(Event.DIGIT, now, digit))
        return self._take()

    def handle_timer(self, now: float, wall: float) -> list[VoicemailAction]:
        self._clock(now, wall)
        for vm in list(self.legs.values()):
            due = vm.session.get_timer()
            if due is not None and due <= now:
                self._run(vm, vm.session.handle_timer(now))
        return self._take()

    def on_ack(self, request: Request, now: float, wall: float) -> list[VoicemailAction] | None:
        vm = self._by_dialog.get(DialogId.of_incoming_request(request))
        if vm is None:
            return None
        vm.leg.acked = True
        if vm.leg.answer_due:
            update = take_answer(vm.leg, request, self.settings.codecs)
            if update is None:  # no usable answer: the session cannot start
                self._clock(now, wall)
                self._hang_up(vm)
            else:
                self._out.append(update)
        return self._take()

    def on_response(self, tid: TransactionId, status: int, now: float,
                    wall: float) -> list[VoicemailAction]:
        """Our BYE answered (any final status ends the leg)."""
        self._clock(now, wall)
        vm = self._by_tid.get(tid)
        if vm is not None and tid == vm.leg.bye_tid and status >= 200:
            self._leg_ended(vm)
        return self._take()

    def on_timeout(self, tid: TransactionId, now: float, wall: float) -> list[VoicemailAction]:
        self._clock(now, wall)
        vm = self._by_tid.get(tid)
        if vm is not None:
            self._leg_ended(vm)
        return self._take()

    def in_dialog(self, tid: TransactionId, request: Request, now: float,
                  wall: float) -> list[VoicemailAction] | None:
        """BYE, INFO (a key) or a session refresh on one of our legs; None when not ours."""
        vm = self._by_dialog.get(DialogId.of_incoming_request(request))
        if vm is None or vm.leg.dialog is None:
            return None
        self._clock(now, wall)
        leg = vm.leg
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
            self._leg_ended(vm)
        elif request.method == "INFO":
            try:
                event = parse_info_body(request.content_type or "", request.body, now)
            except ProtocolError as error:
                self._respond(tid, request, 415 if "type" in error.reason.lower() else 400,
                              to_tag=tag)
                return self._take()
            self._respond(tid, request, 200, to_tag=tag)
            self._out.extend(self.digit(leg.id, event.digit, now, wall))
        elif request.method == "INVITE" and leg.media is not None:
            offer = body_sdp(request)
            codecs = list(self.settings.codecs)
            body = (leg.sdp.answer(offer, codecs, leg.port) if offer
                    else leg.sdp.offer(leg.port, codecs))
            self._respond(tid, request, 200, to_tag=tag, headers=[
                ("Contact", self._contact(leg.destination)), ("Content-Type", SDP)],
                body=str(body).encode())
        else:
            self._respond(tid, request, 200, to_tag=tag)
        return self._take()

    # -- for the operators ------------------------------------------------------------------

    def sessions(self) -> list[tuple[str, str, str]]:
        """(Call-ID, mailbox, state) of every voicemail leg up now."""
        out = []
        for vm in self.legs.values():
            state = vm.session.state
            kind = "deposit" if isinstance(state, DepositState) else "review"
            assert isinstance(state, DepositState | ReviewState)
            out.append((vm.leg.call_id, vm.session.mailbox, f"{kind}:{state.value}"))
        return out


__all__ = ["MAILBOX", "MESSAGE_PROMPT", "ChangeMessage", "Diversion",
           "FinishRecording", "LoadMessage", "RecordMessage",
           "VoicemailAction", "VoicemailCalls", "VoicemailLeg"]
