"""Voicemail sessions, sans-IO: leaving a message and listening to one's mailbox.

Each session is a table of (state, event) -> (step, next state) driven by the media
edge's events (prompt finished, a DTMF digit, hang-up) and one deadline (the recording's
maximum length, the PIN entry's patience); the steps return effects for the edge: play
a prompt, start or stop recording, store or change a message, hang up.

The PIN is the user's `voicemail_pin` from config; without one it is the extension's
last four digits (the whole extension when shorter), which is what a new office expects
and what the user is told to change.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

GREETING = "vm-greeting"
BEEP = "beep"
SAVED = "vm-saved"
ENTER_PIN = "vm-enter-pin"
WRONG_PIN = "vm-wrong-pin"
MESSAGE_MENU = "vm-message-menu"  # "7 to delete, 9 to save, # for the next"
NO_MORE = "vm-no-more-messages"
DELETED = "vm-deleted"
GOODBYE = "goodbye"


def default_pin(extension: str, configured: str | None = None) -> str:
    return configured if configured else extension[-4:]


# -- effects -----------------------------------------------------------------------------

@dataclass(frozen=True)
class PlayPrompt:
    name: str


@dataclass(frozen=True)
class PlayMessage:
    message_id: int


@dataclass(frozen=True)
class StartRecording:
    mailbox: str


@dataclass(frozen=True)
class StopRecording:
    pass


@dataclass(frozen=True)
class StoreMessage:
    """The recording is kept: the edge writes the row and updates the lamp (MWI)."""

    mailbox: str
    caller: str
    started_at: float
    duration: float


@dataclass(frozen=True)
class MarkMessage:
    """A message heard and kept (`saved`: new -> old) or `deleted`."""

    message_id: int
    action: str  # "saved" or "deleted"


@dataclass(frozen=True)
class Hangup:
    pass


Effect = (PlayPrompt | PlayMessage | StartRecording | StopRecording | StoreMessage
          | MarkMessage | Hangup)


class Event(enum.Enum):
    PROMPT_FINISHED = "prompt finished"
    DIGIT = "digit"
    HANGUP = "hangup"
    TIMER = "timer"


# -- leaving a message -------------------------------------------------------------------

class DepositState(enum.Enum):
    GREETING = "greeting"
    BEEP = "beep"
    RECORDING = "recording"
    DONE = "done"


#: (state, event) -> (step name, next state); pairs not listed are ignored
DEPOSIT_TRANSITIONS: dict[tuple[DepositState, Event], tuple[str, DepositState]] = {
    (DepositState.GREETING, Event.PROMPT_FINISHED): ("beep", DepositState.BEEP),
    (DepositState.GREETING, Event.DIGIT): ("beep", DepositState.BEEP),  # skip greeting
    (DepositState.GREETING, Event.HANGUP): ("nothing", DepositState.DONE),
    (DepositState.BEEP, Event.PROMPT_FINISHED): ("record", DepositState.RECORDING),
    (DepositState.BEEP, Event.HANGUP): ("nothing", DepositState.DONE),
    (DepositState.RECORDING, Event.DIGIT): ("finish_on_pound", DepositState.RECORDING),
    (DepositState.RECORDING, Event.HANGUP): ("keep", DepositState.DONE),
    (DepositState.RECORDING, Event.TIMER): ("keep_and_hang_up", DepositState.DONE),
}


@dataclass
class Deposit:
    """A caller leaving a message in `mailbox`."""

    mailbox: str
    caller: str
    max_seconds: float = 120.0
    #: shorter recordings are discarded (a hang-up at the beep is not a message)
    min_seconds: float = 1.0
    state: DepositState = DepositState.GREETING
    recording_since: float | None = None
    deadline: float | None = None
    wall_offset: float = 0.0  # wall - now at the start, to stamp the message
    _steps: dict[str, Callable[[float, str], list[Effect]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._steps = {"beep": self._beep, "record": self._record,
                       "finish_on_pound": self._finish_on_pound, "keep": self._keep,
                       "keep_and_hang_up": self._keep_and_hang_up,
                       "nothing": lambda now, digit: []}

    def start(self, now: float, wall: float) -> list[Effect]:
        self.wall_offset = wall - now
        return [PlayPrompt(GREETING)]

    def handle(self, event: Event, now: float, digit: str = "") -> list[Effect]:
        entry = DEPOSIT_TRANSITIONS.get((self.state, event))
        if entry is None:
            return []
        step, following = entry
        effects = self._steps[step](now, digit)
        if self.state is not DepositState.DONE:  # a step that stopped recording ends it
            self.state = following
        return effects

    def get_timer(self) -> float | None:
        return self.deadline if self.state is DepositState.RECORDING else None

    def handle_timer(self, now: float) -> list[Effect]:
        if self.deadline is None or now < self.deadline:
            return []
        return self.handle(Event.TIMER, now)

    def _beep(self, now: float, digit: str) -> list[Effect]:
        return [PlayPrompt(BEEP)]

    def _record(self, now: float, digit: str) -> list[Effect]:
        self.recording_since = now
        self.deadline = now + self.max_seconds
        return [StartRecording(self.mailbox)]

    def _stop(self, now: float) -> list[Effect]:
        assert self.recording_since is not None
        duration = min(now - self.recording_since, self.max_seconds)
        self.state = DepositState.DONE
        self.deadline = None
        out: list[Effect] = [StopRecording()]
        if duration >= self.min_seconds:
            out.append(StoreMessage(self.mailbox, self.caller,
                                    self.recording_since + self.wall_offset, duration))
        return out

    def _finish_on_pound(self, now: float, digit: str) -> list[Effect]:
        if digit != "#":
            return []
        return [*self._stop(now), PlayPrompt(SAVED), Hangup()]

    def _keep(self, now: float, digit: str) -> list[Effect]:
        return self._stop(now)

    def _keep_and_hang_up(self, now: float, digit: str) -> list[Effect]:
        return [*self._stop(now), Hangup()]


# -- listening to one's mailbox ----------------------------------------------------------

class ReviewState(enum.Enum):
    PIN = "pin"
    PLAYING = "playing"
    MENU = "menu"
    ENDING = "ending"
    DONE = "done"


REVIEW_TRANSITIONS: dict[tuple[ReviewState, Event], tuple[str, ReviewState]] = {
    (ReviewState.PIN, Event.DIGIT): ("pin_digit", ReviewState.PIN),
    (ReviewState.PIN, Event.TIMER): ("hang_up", ReviewState.DONE),
    (ReviewState.PLAYING, Event.PROMPT_FINISHED): ("menu", ReviewState.MENU),
    (ReviewState.PLAYING, Event.DIGIT): ("choice", ReviewState.PLAYING),
    (ReviewState.MENU, Event.DIGIT): ("choice", ReviewState.MENU),
    (ReviewState.MENU, Event.TIMER): ("hang_up", ReviewState.DONE),
    (ReviewState.ENDING, Event.PROMPT_FINISHED): ("hang_up", ReviewState.DONE),
}
for _state in ReviewState:
    REVIEW_TRANSITIONS.setdefault((_state, Event.HANGUP), ("nothing", ReviewState.DONE))


@dataclass
class Review:
    """The owner of `mailbox` listening: PIN, then each message (new first) with the menu
    7 delete, 9 save, # next (a new message skipped stays new)."""

    mailbox: str
    pin: str
    messages: list[int]  # message ids in the order to play them
    max_pin_tries: int = 3
    patience: float = 15.0  # seconds without a key before hanging up
    state: ReviewState = ReviewState.PIN
    entered: str = ""
    tries: int = 0
    position: int = 0
    deadline: float | None = None

    def start(self, now: float) -> list[Effect]:
        self.deadline = now + self.patience
        return [PlayPrompt(ENTER_PIN)]

    def get_timer(self) -> float | None:
        return self.deadline

    def handle_timer(self, now: float) -> list[Effect]:
        if self.deadline is None or now < self.deadline:
            return []
        return self.handle(Event.TIMER, now)

    def handle(self, event: Event, now: float, digit: str = "") -> list[Effect]:
        entry = REVIEW_TRANSITIONS.get((self.state, event))
        if entry is None:
            return []
        step, following = entry
        self.state = following
        return getattr(self, f"_{step}")(now, digit)

    def _nothing(self, now: float, digit: str) -> list[Effect]:
        self.deadline = None
        return []

    def _hang_up(self, now: float, digit: str) -> list[Effect]:
        self.state = ReviewState.DONE
        self.deadline = None
        return [Hangup()]

    def _pin_digit(self, now: float, digit: str) -> list[Effect]:
        self.deadline = now + self.patience
        if digit != "#":
            self.entered = (self.entered + digit)[-32:]
            return []
        if self.entered == self.pin:
            return self._play(now)
        self.entered = ""
        self.tries += 1
        if self.tries >= self.max_pin_tries:
            self.state = ReviewState.ENDING
            self.deadline = None
            return [PlayPrompt(GOODBYE)]
        return [PlayPrompt(WRONG_PIN), PlayPrompt(ENTER_PIN)]

    def _play(self, now: float) -> list[Effect]:
        if self.position >= len(self.messages):
            self.state = ReviewState.ENDING
            self.deadline = None
            return [PlayPrompt(NO_MORE), PlayPrompt(GOODBYE)]
        self.state = ReviewState.PLAYING
        self.deadline = None
        return [PlayMessage(self.messages[self.position])]

    def _menu(self, now: float, digit: str) -> list[Effect]:
        self.deadline = now + self.patience
        return [PlayPrompt(MESSAGE_MENU)]

    def _choice(self, now: float, digit: str) -> list[Effect]:
        current = self.messages[self.position]
        marks: list[Effect]
        if digit == "7":
            marks = [MarkMessage(current, "deleted"), PlayPrompt(DELETED)]
        elif digit == "9":
            marks = [MarkMessage(current, "saved")]
        elif digit == "#":
            marks = []
        else:
            return []
        self.position += 1
        return [*marks, *self._play(now)]
