"""Voicemail sessions on a manual clock: leaving a message, listening with the PIN menu."""

from __future__ import annotations

import pytest

from softswitch.call.voicemail import (
    BEEP,
    DEPOSIT_TRANSITIONS,
    ENTER_PIN,
    GREETING,
    MESSAGE_MENU,
    NO_MORE,
    SAVED,
    WRONG_PIN,
    Deposit,
    DepositState,
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
from softswitch.clock import ManualClock


def recording(clock: ManualClock, **kwargs: float) -> Deposit:
    deposit = Deposit("1002", "1001", **kwargs)
    assert deposit.start(clock.now(), 1_700_000_000.0) == [PlayPrompt(GREETING)]
    assert deposit.handle(Event.PROMPT_FINISHED, clock.now()) == [PlayPrompt(BEEP)]
    assert deposit.handle(Event.PROMPT_FINISHED, clock.now()) == [StartRecording("1002")]
    assert deposit.state is DepositState.RECORDING
    return deposit


def test_pound_ends_the_recording_and_stores_it_with_its_length() -> None:
    clock = ManualClock()
    deposit = recording(clock)
    clock.advance(7.5)
    assert deposit.handle(Event.DIGIT, clock.now(), "5") == []
    effects = deposit.handle(Event.DIGIT, clock.now(), "#")
    assert effects == [StopRecording(), StoreMessage("1002", "1001", 1_700_000_000.0, 7.5),
                       PlayPrompt(SAVED), Hangup()]
    assert deposit.state is DepositState.DONE and deposit.get_timer() is None


def test_hangup_while_recording_keeps_the_message() -> None:
    clock = ManualClock()
    deposit = recording(clock)
    clock.advance(3)
    assert deposit.handle(Event.HANGUP, clock.now()) == [
        StopRecording(), StoreMessage("1002", "1001", 1_700_000_000.0, 3.0)]


def test_hangup_at_the_beep_stores_nothing() -> None:
    clock = ManualClock()
    deposit = recording(clock, min_seconds=1.0)
    clock.advance(0.4)
    assert deposit.handle(Event.HANGUP, clock.now()) == [StopRecording()]


def test_maximum_length_stops_and_hangs_up() -> None:
    clock = ManualClock()
    deposit = recording(clock, max_seconds=30)
    assert deposit.get_timer() == 30
    clock.advance(29.9)
    assert deposit.handle_timer(clock.now()) == []
    clock.advance(0.1)
    effects = deposit.handle_timer(clock.now())
    assert effects[0] == StopRecording() and effects[-1] == Hangup()
    assert isinstance(effects[1], StoreMessage) and effects[1].duration == pytest.approx(30)


def test_a_key_during_the_greeting_skips_to_the_beep() -> None:
    deposit = Deposit("1002", "1001")
    deposit.start(0.0, 0.0)
    assert deposit.handle(Event.DIGIT, 1.0, "1") == [PlayPrompt(BEEP)]
    assert deposit.handle(Event.HANGUP, 1.5) == [] and deposit.state is DepositState.DONE


def test_every_deposit_transition_is_handled() -> None:
    for state, event in DEPOSIT_TRANSITIONS:
        deposit = recording(ManualClock())
        deposit.state = state
        deposit.handle(event, 200.0, "#")  # no exception for any listed pair


def test_default_pin_is_the_last_four_digits_unless_configured() -> None:
    assert default_pin("201001") == "1001"
    assert default_pin("12") == "12"
    assert default_pin("1001", "4321") == "4321"


def review(messages: list[int]) -> tuple[Review, ManualClock]:
    clock = ManualClock()
    session = Review("1002", "1234", messages)
    assert session.start(clock.now()) == [PlayPrompt(ENTER_PIN)]
    return session, clock


def enter(session: Review, clock: ManualClock, keys: str) -> list:
    out: list = []
    for key in keys:
        out += session.handle(Event.DIGIT, clock.now(), key)
    return out


def test_right_pin_plays_the_first_message_then_the_menu() -> None:
    session, clock = review([11, 12])
    assert enter(session, clock, "1234#") == [PlayMessage(11)]
    assert session.handle(Event.PROMPT_FINISHED, clock.now()) == [PlayPrompt(MESSAGE_MENU)]
    assert enter(session, clock, "7")[:2] == [MarkMessage(11, "deleted"), PlayPrompt("vm-deleted")]
    assert session.state is ReviewState.PLAYING
    # 9 while the second message still plays saves it and ends the list
    assert enter(session, clock, "9") == [MarkMessage(12, "saved"), PlayPrompt(NO_MORE),
                                          PlayPrompt("goodbye")]
    assert session.handle(Event.PROMPT_FINISHED, clock.now()) == [Hangup()]


def test_pound_skips_a_message_without_marking_it() -> None:
    session, clock = review([11, 12])
    enter(session, clock, "1234#")
    assert enter(session, clock, "#") == [PlayMessage(12)]


def test_wrong_pin_three_times_says_goodbye() -> None:
    session, clock = review([11])
    assert enter(session, clock, "0000#") == [PlayPrompt(WRONG_PIN), PlayPrompt(ENTER_PIN)]
    enter(session, clock, "1111#")
    assert enter(session, clock, "2222#") == [PlayPrompt("goodbye")]
    assert session.handle(Event.PROMPT_FINISHED, clock.now()) == [Hangup()]
    assert session.state is ReviewState.DONE


def test_silence_at_the_pin_prompt_hangs_up() -> None:
    session, clock = review([11])
    clock.advance(14)
    assert session.handle_timer(clock.now()) == []
    clock.advance(1)
    assert session.handle_timer(clock.now()) == [Hangup()]


def test_empty_mailbox_says_no_more_messages() -> None:
    session, clock = review([])
    assert enter(session, clock, "1234#") == [PlayPrompt(NO_MORE), PlayPrompt("goodbye")]


def test_other_keys_in_the_menu_do_nothing() -> None:
    session, clock = review([11])
    enter(session, clock, "1234#")
    assert enter(session, clock, "5*") == []
    assert session.position == 0
