"""The call model: a Call, its Legs (one per SIP dialog side), and the call's states as
a table of (state, event) -> (steps, next state), in the manner of the transaction layer.

A call ends in exactly one place (the ENDED state, entered through the table) and is
forgotten in exactly one place (when its last leg is gone), so no leg outlives its call
and no call outlives its legs, whatever order the messages come in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from softswitch.call.actions import MediaParams
from softswitch.call.cdr import Disposition, HangupSide
from softswitch.sdp.description import SessionDescription
from softswitch.sdp.negotiation import LocalSdp
from softswitch.sip.dialog import Dialog
from softswitch.sip.message import Request
from softswitch.sip.routing import Destination
from softswitch.sip.transaction_events import TransactionId


class Role(Enum):
    CALLER = "caller"  # the A leg: we are its UAS
    CALLEE = "callee"  # a B leg: we are its UAC


class LegState(Enum):
    INVITING = "inviting"      # the INVITE has no final answer yet
    CANCELLING = "cancelling"  # B: CANCEL sent, waiting for the INVITE's final answer
    CONFIRMED = "confirmed"    # a 2xx was exchanged: the dialog is up
    ENDING = "ending"          # our BYE is out, waiting for its answer
    ENDED = "ended"


@dataclass(eq=False)
class Leg:
    id: int
    role: Role
    call: Call
    invite: Request  # the INVITE received (caller) or sent (callee)
    tid: TransactionId  # its transaction
    destination: Destination  # where this leg's peer is reached (its source address)
    port: int  # our RTP port for it
    sdp: LocalSdp
    peer: str
    state: LegState = LegState.INVITING
    local_tag: str | None = None  # caller leg: the To tag of every response we send
    dialog: Dialog | None = None
    offer: SessionDescription | None = None  # caller leg: the SDP offer it sent
    media: MediaParams | None = None
    media_open: bool = False
    acked: bool = False  # caller: ACK for our 2xx came; callee: we sent the ACK
    ack: Request | None = None  # callee: our ACK, re-sent for 2xx retransmissions
    bye_pending: bool = False  # caller: BYE to send once the ACK comes (RFC 3261 §15)
    bye_tid: TransactionId | None = None
    status: int | None = None  # the final status it gave or got
    rang: bool = False
    holding: bool = False  # its last offer put the call on hold
    #: caller: the SDP answer its 183 carried (early media); the 200 repeats it
    early_sdp: bytes | None = None
    #: caller: a late offer (INVITE without SDP): our 200 offered, its ACK must answer
    answer_due: bool = False


class CallState(Enum):
    ROUTING = "routing"    # callee legs invited; nothing heard yet
    ALERTING = "alerting"  # a callee rings; the caller has its 180
    ANSWERED = "answered"
    TRANSFERRING = "transferring"  # a party REFERred the other to a target that rings
    ENDED = "ended"


class CallEvent(Enum):
    CALLEE_RINGING = "callee ringing"
    CALLEE_ANSWERED = "callee answered"
    ALL_CALLEES_FAILED = "all callees failed"
    CALLER_CANCELLED = "caller cancelled"
    RING_TIMEOUT = "ring timeout"
    CALLER_HUNG_UP = "caller hung up"
    CALLEE_HUNG_UP = "callee hung up"
    ACK_TIMEOUT = "caller never acknowledged"
    CALLER_LOST = "caller transaction gone"
    TRANSFER_REQUESTED = "transfer requested"
    TRANSFEROR_LEFT = "transferor hung up"
    TRANSFER_FAILED = "no transfer target answered"
    OPERATOR_HANGUP = "an operator ended the call"
    FORWARDED = "forwarded on busy or no answer"
    DIVERTED = "handed to voicemail on busy or no answer"
    TRANSFER_REPLACES = "attended transfer: REFER with Replaces"
    REPLACED = "an attended transfer took its party"
    ACK_WITHOUT_ANSWER = "a late-offer caller's ACK brought no usable SDP answer"
    MEDIA_TIMEOUT = "a confirmed leg sent no RTP or RTCP for the media timeout"


class Step(Enum):
    SEND_RINGING = "send 180 to the caller"
    CONNECT = "answer the caller, bridge, cancel the other callees"
    DROP_LATE_CALLEE = "ACK and BYE a callee that answered too late"
    REJECT_CALLER = "send the caller the best failure"
    ANSWER_CANCEL = "send 487 to the caller"
    REJECT_NO_ANSWER = "send 480 to the caller"
    CANCEL_CALLEES = "cancel every callee still ringing"
    HANG_UP_OTHERS = "BYE every other party still up"
    ACCEPT_TRANSFER = "202 the REFER, NOTIFY 100, ring the target"
    RECONNECT = "bridge the anchor with the target, NOTIFY 200, BYE the transferor"
    NOTIFY_TRANSFER_FAILED = "NOTIFY the transferor of the failure"
    FORWARD = "ring the forward target, cancel the callees still ringing"
    DIVERT = "cancel the callees, hand the caller to voicemail (or refuse it)"
    REPLACE = "bridge the anchor with the other call's party, NOTIFY 200, BYE the transferor"


@dataclass(frozen=True)
class Transition:
    steps: tuple[Step, ...]
    then: CallState


S, E, X = CallState, CallEvent, Step

#: a pair missing from the table leaves the call as it is
CALL_TRANSITIONS: dict[tuple[CallState, CallEvent], Transition] = {
    **{(state, E.CALLEE_RINGING): Transition((X.SEND_RINGING,), S.ALERTING)
       for state in (S.ROUTING, S.ALERTING)},
    **{(state, E.CALLEE_ANSWERED): Transition((X.CONNECT,), S.ANSWERED)
       for state in (S.ROUTING, S.ALERTING)},
    (S.ANSWERED, E.CALLEE_ANSWERED): Transition((X.DROP_LATE_CALLEE,), S.ANSWERED),
    (S.ENDED, E.CALLEE_ANSWERED): Transition((X.DROP_LATE_CALLEE,), S.ENDED),
    **{(state, E.ALL_CALLEES_FAILED): Transition((X.REJECT_CALLER,), S.ENDED)
       for state in (S.ROUTING, S.ALERTING)},
    **{(state, E.CALLER_CANCELLED): Transition((X.ANSWER_CANCEL, X.CANCEL_CALLEES), S.ENDED)
       for state in (S.ROUTING, S.ALERTING)},
    **{(state, E.RING_TIMEOUT): Transition((X.REJECT_NO_ANSWER, X.CANCEL_CALLEES), S.ENDED)
       for state in (S.ROUTING, S.ALERTING)},
    **{(state, E.CALLER_LOST): Transition((X.CANCEL_CALLEES,), S.ENDED)
       for state in (S.ROUTING, S.ALERTING)},
    (S.ANSWERED, E.CALLER_HUNG_UP): Transition((X.HANG_UP_OTHERS,), S.ENDED),
    (S.ANSWERED, E.CALLEE_HUNG_UP): Transition((X.HANG_UP_OTHERS,), S.ENDED),
    (S.ANSWERED, E.ACK_TIMEOUT): Transition((X.HANG_UP_OTHERS,), S.ENDED),
    (S.ANSWERED, E.CALLER_LOST): Transition((X.HANG_UP_OTHERS,), S.ENDED),
    (S.ANSWERED, E.TRANSFER_REQUESTED): Transition((X.ACCEPT_TRANSFER,), S.TRANSFERRING),
    (S.TRANSFERRING, E.CALLEE_ANSWERED): Transition((X.RECONNECT,), S.ANSWERED),
    (S.TRANSFERRING, E.TRANSFEROR_LEFT): Transition((), S.TRANSFERRING),
    (S.TRANSFERRING, E.TRANSFER_FAILED): Transition(
        (X.NOTIFY_TRANSFER_FAILED, X.HANG_UP_OTHERS), S.ENDED),
    **{(S.TRANSFERRING, event): Transition((X.CANCEL_CALLEES, X.HANG_UP_OTHERS), S.ENDED)
       for event in (E.CALLER_HUNG_UP, E.CALLEE_HUNG_UP, E.ACK_TIMEOUT)},
    **{(state, E.OPERATOR_HANGUP): Transition((X.ANSWER_CANCEL, X.CANCEL_CALLEES), S.ENDED)
       for state in (S.ROUTING, S.ALERTING)},
    (S.ANSWERED, E.OPERATOR_HANGUP): Transition((X.HANG_UP_OTHERS,), S.ENDED),
    (S.TRANSFERRING, E.OPERATOR_HANGUP): Transition(
        (X.CANCEL_CALLEES, X.HANG_UP_OTHERS), S.ENDED),
    **{(state, E.FORWARDED): Transition((X.FORWARD,), state)
       for state in (S.ROUTING, S.ALERTING)},
    **{(state, E.DIVERTED): Transition((X.DIVERT,), S.ENDED)
       for state in (S.ROUTING, S.ALERTING)},
    (S.ANSWERED, E.TRANSFER_REPLACES): Transition((X.REPLACE,), S.ANSWERED),
    (S.ANSWERED, E.REPLACED): Transition((X.HANG_UP_OTHERS,), S.ENDED),
    (S.ANSWERED, E.ACK_WITHOUT_ANSWER): Transition((X.HANG_UP_OTHERS,), S.ENDED),
    (S.ANSWERED, E.MEDIA_TIMEOUT): Transition((X.HANG_UP_OTHERS,), S.ENDED),
    (S.TRANSFERRING, E.MEDIA_TIMEOUT): Transition(
        (X.CANCEL_CALLEES, X.HANG_UP_OTHERS), S.ENDED),
}

#: how the call ended, by the event that ended it (ALL_CALLEES_FAILED depends on status)
ENDINGS: dict[CallEvent, tuple[Disposition | None, HangupSide | None]] = {
    E.CALLER_CANCELLED: (Disposition.CANCELLED, HangupSide.CALLER),
    E.RING_TIMEOUT: (Disposition.NO_ANSWER, HangupSide.SWITCH),
    E.CALLER_LOST: (Disposition.FAILED, HangupSide.CALLER),
    E.CALLER_HUNG_UP: (None, HangupSide.CALLER),
    E.CALLEE_HUNG_UP: (None, HangupSide.CALLEE),
    E.ACK_TIMEOUT: (None, HangupSide.SWITCH),
    E.ALL_CALLEES_FAILED: (None, HangupSide.CALLEE),
    E.TRANSFER_FAILED: (None, HangupSide.SWITCH),
    E.OPERATOR_HANGUP: (None, HangupSide.SWITCH),
    E.DIVERTED: (None, HangupSide.SWITCH),
    E.REPLACED: (None, HangupSide.SWITCH),
    E.ACK_WITHOUT_ANSWER: (Disposition.FAILED, HangupSide.SWITCH),
    E.MEDIA_TIMEOUT: (None, HangupSide.MEDIA_TIMEOUT),
}


@dataclass(eq=False)
class Call:
    key: int
    call_id: str  # the caller's Call-ID, the name the event log uses
    caller: str
    callee: str
    started_at: float  # wall clock
    state: CallState = CallState.ROUTING
    caller_leg: Leg | None = None
    callees: list[Leg] = field(default_factory=list)
    winner: Leg | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    disposition: Disposition | None = None
    hangup_side: HangupSide | None = None
    sip_status: int | None = None
    #: during a blind transfer: who asked, who stays, and the REFER to answer
    transferor: Leg | None = None
    anchor: Leg | None = None
    transfer_target: str | None = None
    #: forwarding: the next extension to ring, the reason for the divert, hops taken
    forward_to: str | None = None
    divert_reason: str | None = None
    forwards: int = 0
    #: attended transfer: the leg of another call that takes the transferor's place
    replacement: Leg | None = None
    #: the callee whose early media (183 with SDP) the caller hears before the answer
    early: Leg | None = None

    @property
    def legs(self) -> list[Leg]:
        head = [self.caller_leg] if self.caller_leg is not None else []
        return head + self.callees

    def live_legs(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.state is not LegState.ENDED]


def disposition_of_failure(status: int) -> Disposition:
    if status in (486, 600):
        return Disposition.BUSY
    if status in (408, 480, 487):
        return Disposition.NO_ANSWER
    return Disposition.FAILED


def best_failure(statuses: list[int]) -> int:
    """The answer for the caller when every branch failed (RFC 3261 §16.7, simplified):
    a 6xx, then busy, then the lowest 4xx/5xx; 487s caused by our own CANCELs do not count."""
    heard = [status for status in statuses if status != 487] or [480]
    for status in sorted(heard):
        if status >= 600:
            return status
    if 486 in heard:
        return 486
    for klass in (4, 5, 3):
        in_class = sorted(s for s in heard if s // 100 == klass)
        if in_class:
            return 480 if in_class[0] == 408 else in_class[0]
    return 480
