"""RFC 3261 §17 transaction state machines, written as data.

Each of the four machines is a table `(state, event) -> (actions, next state)`. The layer
in `transaction.py` looks the pair up and runs the actions in order; it owns no `if` that
decides what a transaction does next. A pair missing from a table means "ignore" for
events from the network (a stray retransmission) and "not allowed" for events from the
transaction user (a second final response), which the layer reports as an error.

The timers are named as in the RFC (A to K), plus:

- `TRYING`: the 100 Trying an INVITE server transaction sends after 200 ms when the TU
  has not answered yet (§17.2.1);
- `L` and `RETRANSMIT_2XX`: the Accepted state of RFC 6026, which fixes §17.2.1. After a
  2xx the INVITE server transaction lives on for 64*T1, absorbing retransmitted INVITEs
  so the TU never sees one twice, and re-sends the 2xx on the UAS core's behalf
  (§13.3.1.4: T1 doubling up to T2) until the ACK comes;
- `CANCEL_GUARD`: §9.1's "destroy the INVITE transaction 64*T1 after sending CANCEL";
- `ANSWER_GUARD`: ends a non-INVITE server transaction the TU never answered, once the
  client has given up by its timer F.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    INVITE_CLIENT = "invite_client"
    NON_INVITE_CLIENT = "non_invite_client"
    INVITE_SERVER = "invite_server"
    NON_INVITE_SERVER = "non_invite_server"


class State(Enum):
    INIT = "init"
    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"      # RFC 6026: an INVITE server transaction after a 2xx
    TERMINATED = "terminated"


class Event(Enum):
    START = "start"            # the TU sent a request / the network brought a new request
    # from the network
    PROVISIONAL = "1xx"
    SUCCESS = "2xx"
    FAILURE = "3xx-6xx"        # any final response that is not a 2xx
    REQUEST = "request"        # a retransmission of the transaction's request
    ACK = "ack"                # an ACK matching an INVITE server transaction
    ACK_2XX = "ack for 2xx"    # the ACK for the 2xx an INVITE server transaction sent
    TRANSPORT_ERROR = "transport error"  # the connection a client transaction uses is gone
    # from the transaction user
    TU_PROVISIONAL = "tu_1xx"
    TU_SUCCESS = "tu_2xx"
    TU_FAILURE = "tu_3xx-6xx"
    TU_CANCEL = "tu_cancel"    # the TU sent a CANCEL for this INVITE
    # timers
    TIMER_A = "A"
    TIMER_B = "B"
    TIMER_D = "D"
    TIMER_E = "E"
    TIMER_F = "F"
    TIMER_G = "G"
    TIMER_H = "H"
    TIMER_I = "I"
    TIMER_J = "J"
    TIMER_K = "K"
    TIMER_TRYING = "TRYING"
    TIMER_CANCEL_GUARD = "CANCEL_GUARD"
    TIMER_ANSWER_GUARD = "ANSWER_GUARD"
    TIMER_L = "L"
    TIMER_RETRANSMIT_2XX = "2XX"


#: events that come from the transaction user: a missing table entry for them is an error
TU_EVENTS = frozenset({Event.TU_PROVISIONAL, Event.TU_SUCCESS, Event.TU_FAILURE})


class Timer(Enum):
    A = "A"
    B = "B"
    D = "D"
    E = "E"
    F = "F"
    G = "G"
    H = "H"
    I = "I"  # noqa: E741 - the RFC's name
    J = "J"
    K = "K"
    TRYING = "TRYING"
    CANCEL_GUARD = "CANCEL_GUARD"
    ANSWER_GUARD = "ANSWER_GUARD"
    L = "L"
    RETRANSMIT_2XX = "2XX"


TIMER_EVENT = {timer: Event["TIMER_" + timer.name] for timer in Timer}


class Action(Enum):
    SEND_REQUEST = "send the request (first time or retransmission)"
    SEND_RESPONSE = "send the response the TU gave and remember it"
    RESEND_RESPONSE = "re-send the last response, if any"
    SEND_TRYING = "send and remember a 100 Trying"
    SEND_ACK = "send (or re-send) the ACK for a non-2xx final response"
    SEND_PENDING_CANCEL = "send the CANCEL the TU asked for before any provisional"
    PASS_REQUEST = "give the request to the TU"
    PASS_RESPONSE = "give the response to the TU"
    REPORT_TIMEOUT = "tell the TU the transaction timed out"
    # timers: ARM starts at the initial interval, BACKOFF doubles it (capped at T2 for
    # E and G), AT_T2 restarts it at T2, STOP cancels it
    ARM_A = "arm A"
    BACKOFF_A = "double A"
    STOP_A = "stop A"
    ARM_B = "arm B"
    STOP_B = "stop B"
    ARM_D = "arm D"
    ARM_E = "arm E"
    BACKOFF_E = "double E"
    E_AT_T2 = "E at T2"
    STOP_E = "stop E"
    ARM_F = "arm F"
    STOP_F = "stop F"
    ARM_G = "arm G"
    BACKOFF_G = "double G"
    STOP_G = "stop G"
    ARM_H = "arm H"
    STOP_H = "stop H"
    ARM_I = "arm I"
    ARM_J = "arm J"
    ARM_K = "arm K"
    ARM_TRYING = "arm the 200 ms Trying timer"
    STOP_TRYING = "stop the Trying timer"
    ARM_CANCEL_GUARD = "arm the 64*T1 guard after a CANCEL"
    ARM_ANSWER_GUARD = "arm the 64*T1 guard on a non-INVITE the TU must answer"
    STOP_ANSWER_GUARD = "stop the answer guard"
    ARM_L = "arm L"
    ARM_RETRANSMIT_2XX = "arm the 2xx retransmission timer"
    BACKOFF_RETRANSMIT_2XX = "double the 2xx retransmission timer"
    STOP_RETRANSMIT_2XX = "stop the 2xx retransmission timer"


@dataclass(frozen=True)
class Transition:
    actions: tuple[Action, ...]
    next_state: State


A = Action
S = State
E = Event


def _t(*actions: Action, then: State) -> Transition:
    return Transition(actions, then)


#: §17.1.1, figure 5
INVITE_CLIENT: dict[tuple[State, Event], Transition] = {
    (S.INIT, E.START): _t(A.SEND_REQUEST, A.ARM_A, A.ARM_B, then=S.CALLING),
    (S.CALLING, E.TIMER_A): _t(A.SEND_REQUEST, A.BACKOFF_A, then=S.CALLING),
    (S.CALLING, E.TIMER_B): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),
    (S.CALLING, E.PROVISIONAL): _t(
        A.STOP_A, A.STOP_B, A.PASS_RESPONSE, A.SEND_PENDING_CANCEL, then=S.PROCEEDING),
    (S.CALLING, E.SUCCESS): _t(A.PASS_RESPONSE, then=S.TERMINATED),
    (S.CALLING, E.FAILURE): _t(
        A.STOP_A, A.STOP_B, A.PASS_RESPONSE, A.SEND_ACK, A.ARM_D, then=S.COMPLETED),
    (S.CALLING, E.TU_CANCEL): _t(then=S.CALLING),  # remembered; sent on the first 1xx
    (S.CALLING, E.TRANSPORT_ERROR): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),
    (S.PROCEEDING, E.TRANSPORT_ERROR): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),
    (S.PROCEEDING, E.PROVISIONAL): _t(A.PASS_RESPONSE, then=S.PROCEEDING),
    (S.PROCEEDING, E.SUCCESS): _t(A.PASS_RESPONSE, then=S.TERMINATED),
    (S.PROCEEDING, E.FAILURE): _t(A.PASS_RESPONSE, A.SEND_ACK, A.ARM_D, then=S.COMPLETED),
    (S.PROCEEDING, E.TU_CANCEL): _t(A.SEND_PENDING_CANCEL, then=S.PROCEEDING),
    (S.PROCEEDING, E.TIMER_CANCEL_GUARD): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),
    (S.COMPLETED, E.FAILURE): _t(A.SEND_ACK, then=S.COMPLETED),
    (S.COMPLETED, E.TIMER_D): _t(then=S.TERMINATED),
}

#: §17.1.2, figure 6
NON_INVITE_CLIENT: dict[tuple[State, Event], Transition] = {
    (S.INIT, E.START): _t(A.SEND_REQUEST, A.ARM_E, A.ARM_F, then=S.TRYING),
    (S.TRYING, E.TIMER_E): _t(A.SEND_REQUEST, A.BACKOFF_E, then=S.TRYING),
    (S.TRYING, E.TIMER_F): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),
    (S.TRYING, E.PROVISIONAL): _t(A.PASS_RESPONSE, then=S.PROCEEDING),
    (S.TRYING, E.SUCCESS): _t(A.STOP_E, A.STOP_F, A.PASS_RESPONSE, A.ARM_K, then=S.COMPLETED),
    (S.TRYING, E.FAILURE): _t(A.STOP_E, A.STOP_F, A.PASS_RESPONSE, A.ARM_K, then=S.COMPLETED),
    (S.PROCEEDING, E.TIMER_E): _t(A.SEND_REQUEST, A.E_AT_T2, then=S.PROCEEDING),
    (S.PROCEEDING, E.TIMER_F): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),
    (S.PROCEEDING, E.PROVISIONAL): _t(A.PASS_RESPONSE, then=S.PROCEEDING),
    (S.PROCEEDING, E.SUCCESS): _t(
        A.STOP_E, A.STOP_F, A.PASS_RESPONSE, A.ARM_K, then=S.COMPLETED),
    (S.PROCEEDING, E.FAILURE): _t(
        A.STOP_E, A.STOP_F, A.PASS_RESPONSE, A.ARM_K, then=S.COMPLETED),
    (S.COMPLETED, E.TIMER_K): _t(then=S.TERMINATED),
    (S.TRYING, E.TRANSPORT_ERROR): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),
    (S.PROCEEDING, E.TRANSPORT_ERROR): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),
}

#: §17.2.1, figure 7, with the Accepted state of RFC 6026 §7.1
INVITE_SERVER: dict[tuple[State, Event], Transition] = {
    (S.INIT, E.START): _t(A.PASS_REQUEST, A.ARM_TRYING, then=S.PROCEEDING),
    (S.PROCEEDING, E.TIMER_TRYING): _t(A.SEND_TRYING, then=S.PROCEEDING),
    (S.PROCEEDING, E.REQUEST): _t(A.RESEND_RESPONSE, then=S.PROCEEDING),
    (S.PROCEEDING, E.TU_PROVISIONAL): _t(A.STOP_TRYING, A.SEND_RESPONSE, then=S.PROCEEDING),
    (S.PROCEEDING, E.TU_SUCCESS): _t(
        A.STOP_TRYING, A.SEND_RESPONSE, A.ARM_RETRANSMIT_2XX, A.ARM_L, then=S.ACCEPTED),
    (S.PROCEEDING, E.TU_FAILURE): _t(
        A.STOP_TRYING, A.SEND_RESPONSE, A.ARM_G, A.ARM_H, then=S.COMPLETED),
    (S.COMPLETED, E.TIMER_G): _t(A.RESEND_RESPONSE, A.BACKOFF_G, then=S.COMPLETED),
    (S.COMPLETED, E.TIMER_H): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),
    (S.COMPLETED, E.REQUEST): _t(A.RESEND_RESPONSE, then=S.COMPLETED),
    (S.COMPLETED, E.ACK): _t(A.STOP_G, A.STOP_H, A.ARM_I, then=S.CONFIRMED),
    (S.CONFIRMED, E.ACK): _t(then=S.CONFIRMED),
    (S.CONFIRMED, E.REQUEST): _t(then=S.CONFIRMED),
    (S.CONFIRMED, E.TIMER_I): _t(then=S.TERMINATED),
    (S.ACCEPTED, E.TU_SUCCESS): _t(A.SEND_RESPONSE, then=S.ACCEPTED),
    (S.ACCEPTED, E.REQUEST): _t(then=S.ACCEPTED),
    (S.ACCEPTED, E.TIMER_RETRANSMIT_2XX): _t(
        A.RESEND_RESPONSE, A.BACKOFF_RETRANSMIT_2XX, then=S.ACCEPTED),
    (S.ACCEPTED, E.ACK_2XX): _t(A.STOP_RETRANSMIT_2XX, then=S.CONFIRMED),
    (S.ACCEPTED, E.TIMER_L): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),  # no ACK came
    (S.CONFIRMED, E.ACK_2XX): _t(then=S.CONFIRMED),
    (S.CONFIRMED, E.TIMER_L): _t(then=S.TERMINATED),
}

#: §17.2.2, figure 8. The TU must answer; 64*T1 after the request (when the client has
#: given up by timer F) the transaction ends anyway so that a silent TU leaks nothing.
NON_INVITE_SERVER: dict[tuple[State, Event], Transition] = {
    (S.INIT, E.START): _t(A.PASS_REQUEST, A.ARM_ANSWER_GUARD, then=S.TRYING),
    (S.TRYING, E.REQUEST): _t(then=S.TRYING),
    (S.TRYING, E.TU_PROVISIONAL): _t(A.SEND_RESPONSE, then=S.PROCEEDING),
    (S.TRYING, E.TU_SUCCESS): _t(
        A.STOP_ANSWER_GUARD, A.SEND_RESPONSE, A.ARM_J, then=S.COMPLETED),
    (S.TRYING, E.TU_FAILURE): _t(
        A.STOP_ANSWER_GUARD, A.SEND_RESPONSE, A.ARM_J, then=S.COMPLETED),
    (S.TRYING, E.TIMER_ANSWER_GUARD): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),
    (S.PROCEEDING, E.REQUEST): _t(A.RESEND_RESPONSE, then=S.PROCEEDING),
    (S.PROCEEDING, E.TU_PROVISIONAL): _t(A.SEND_RESPONSE, then=S.PROCEEDING),
    (S.PROCEEDING, E.TU_SUCCESS): _t(
        A.STOP_ANSWER_GUARD, A.SEND_RESPONSE, A.ARM_J, then=S.COMPLETED),
    (S.PROCEEDING, E.TU_FAILURE): _t(
        A.STOP_ANSWER_GUARD, A.SEND_RESPONSE, A.ARM_J, then=S.COMPLETED),
    (S.PROCEEDING, E.TIMER_ANSWER_GUARD): _t(A.REPORT_TIMEOUT, then=S.TERMINATED),
    (S.COMPLETED, E.REQUEST): _t(A.RESEND_RESPONSE, then=S.COMPLETED),
    (S.COMPLETED, E.TIMER_J): _t(then=S.TERMINATED),
}

TABLES: dict[Kind, dict[tuple[State, Event], Transition]] = {
    Kind.INVITE_CLIENT: INVITE_CLIENT,
    Kind.NON_INVITE_CLIENT: NON_INVITE_CLIENT,
    Kind.INVITE_SERVER: INVITE_SERVER,
    Kind.NON_INVITE_SERVER: NON_INVITE_SERVER,
}


@dataclass(frozen=True)
class TimerSettings:
    """RFC 3261 §17.1.1.1 base values: T1 the RTT estimate, T2 the cap, T4 the lifetime."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    trying: float = 0.2

    def __post_init__(self) -> None:
        if not (0 < self.t1 <= self.t2) or self.t4 <= 0 or self.trying < 0:
            raise ValueError(f"timer values must satisfy 0 < T1 <= T2 and T4 > 0: {self}")


#: for each ARM action: (timer, its first interval given settings and reliability)
#: retransmit timers return None on a reliable transport (not started, §17.1.1.2); the
#: wait timers D, I, J, K return 0 (fire at once, leaving the state immediately).
def initial_interval(timer: Timer, settings: TimerSettings, reliable: bool) -> float | None:
    t1, t4 = settings.t1, settings.t4
    intervals: dict[Timer, tuple[float | None, float | None]] = {
        # timer: (unreliable, reliable)
        Timer.A: (t1, None),
        Timer.B: (64 * t1, 64 * t1),
        Timer.D: (max(32.0, 64 * t1), 0.0),
        Timer.E: (t1, None),
        Timer.F: (64 * t1, 64 * t1),
        Timer.G: (t1, None),
        Timer.H: (64 * t1, 64 * t1),
        Timer.I: (t4, 0.0),
        Timer.J: (64 * t1, 0.0),
        Timer.K: (t4, 0.0),
        Timer.TRYING: (settings.trying, settings.trying),
        Timer.CANCEL_GUARD: (64 * t1, 64 * t1),
        Timer.ANSWER_GUARD: (64 * t1, 64 * t1),
        Timer.L: (64 * t1, 64 * t1),
        Timer.RETRANSMIT_2XX: (t1, None),
    }
    unreliable_value, reliable_value = intervals[timer]
    return reliable_value if reliable else unreliable_value


ARM: dict[Action, Timer] = {
    A.ARM_A: Timer.A, A.ARM_B: Timer.B, A.ARM_D: Timer.D, A.ARM_E: Timer.E,
    A.ARM_F: Timer.F, A.ARM_G: Timer.G, A.ARM_H: Timer.H, A.ARM_I: Timer.I,
    A.ARM_J: Timer.J, A.ARM_K: Timer.K, A.ARM_TRYING: Timer.TRYING,
    A.ARM_CANCEL_GUARD: Timer.CANCEL_GUARD, A.ARM_ANSWER_GUARD: Timer.ANSWER_GUARD,
    A.ARM_L: Timer.L, A.ARM_RETRANSMIT_2XX: Timer.RETRANSMIT_2XX,
}
STOP: dict[Action, Timer] = {
    A.STOP_A: Timer.A, A.STOP_B: Timer.B, A.STOP_E: Timer.E, A.STOP_F: Timer.F,
    A.STOP_G: Timer.G, A.STOP_H: Timer.H, A.STOP_TRYING: Timer.TRYING,
    A.STOP_ANSWER_GUARD: Timer.ANSWER_GUARD, A.STOP_RETRANSMIT_2XX: Timer.RETRANSMIT_2XX,
}
#: backoff: (timer, capped at T2?) — A doubles without a cap (§17.1.1.2), E and G cap at T2
BACKOFF: dict[Action, tuple[Timer, bool]] = {
    A.BACKOFF_A: (Timer.A, False), A.BACKOFF_E: (Timer.E, True), A.BACKOFF_G: (Timer.G, True),
    A.BACKOFF_RETRANSMIT_2XX: (Timer.RETRANSMIT_2XX, True),
}
AT_T2: dict[Action, Timer] = {A.E_AT_T2: Timer.E}
