"""Conference rooms: joining, PINs at the door, beeps, and rooms that close when empty."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.call.conference import (
    ENTER_PIN,
    MAX_PIN_TRIES,
    Beep,
    CloseRoom,
    ConferenceRooms,
    JoinRoom,
    LeaveRoom,
    OpenRoom,
    PlayTo,
    Room,
    RoomEvent,
    SendAway,
)

ROOMS = ("800", "801", "802")


def test_room_numbers_are_targets() -> None:
    rooms = ConferenceRooms(ROOMS)
    assert rooms.target("801") == Room("801") and rooms.target("803") is None


def test_the_first_caller_opens_the_room_and_everyone_hears_a_beep_on_join() -> None:
    rooms = ConferenceRooms(ROOMS)
    assert rooms.enter(1, "800") == [OpenRoom("800"), JoinRoom(1, "800"),
                                     RoomEvent("conference.joined", "800", 1), Beep((1,))]
    assert rooms.enter(2, "800") == [JoinRoom(2, "800"),
                                     RoomEvent("conference.joined", "800", 2), Beep((1, 2))]
    assert rooms.members("800") == (1, 2)


def test_leaving_beeps_the_others_and_the_last_one_out_closes_the_room() -> None:
    rooms = ConferenceRooms(ROOMS)
    for leg in (1, 2, 3):
        rooms.enter(leg, "800")
    assert rooms.leave(2) == [LeaveRoom(2), RoomEvent("conference.left", "800", 2),
                              Beep((1, 3))]
    rooms.leave(1)
    assert rooms.leave(3)[-2:] == [CloseRoom("800"), RoomEvent("conference.closed", "800", 3)]
    assert rooms.open_rooms == () and rooms.leave(3) == []


def test_rooms_are_apart() -> None:
    rooms = ConferenceRooms(ROOMS)
    rooms.enter(1, "800")
    assert OpenRoom("801") in rooms.enter(2, "801")
    assert rooms.members("800") == (1,) and rooms.members("801") == (2,)


def test_a_closed_room_asks_for_the_pin_and_lets_in_on_the_right_one() -> None:
    rooms = ConferenceRooms(ROOMS, {"801": "42"})
    assert rooms.enter(1, "801") == [PlayTo(1, ENTER_PIN)]
    assert rooms.members("801") == ()
    assert rooms.digit(1, "4") == [] and rooms.digit(1, "2") == []
    assert JoinRoom(1, "801") in rooms.digit(1, "#")
    assert rooms.digit(1, "#") == []  # keys in the room are not PINs


def test_wrong_pins_are_refused_and_the_caller_sent_away_after_the_last_try() -> None:
    rooms = ConferenceRooms(ROOMS, {"801": "42"})
    rooms.enter(1, "801")
    for _ in range(MAX_PIN_TRIES - 1):
        rooms.digit(1, "9")
        effects = rooms.digit(1, "#")
        assert RoomEvent("conference.pin_refused", "801", 1) in effects
        assert not any(isinstance(e, SendAway) for e in effects)
    rooms.digit(1, "4")
    assert rooms.digit(1, "#")[-1] == SendAway(1)
    assert rooms.open_rooms == () and rooms.leave(1) == []


def test_hanging_up_at_the_door_leaves_nothing() -> None:
    rooms = ConferenceRooms(ROOMS, {"801": "42"})
    rooms.enter(1, "801")
    assert rooms.leave(1) == [] and rooms.digit(1, "#") == []


def test_unknown_rooms_and_pins_for_them_are_errors() -> None:
    with pytest.raises(ValueError):
        ConferenceRooms(ROOMS, {"900": "1"})
    with pytest.raises(ValueError):
        ConferenceRooms(ROOMS).enter(1, "900")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 6), st.sampled_from(ROOMS)),
                max_size=50))
def test_rooms_open_and_close_with_their_members(steps: list[tuple[bool, int, str]]) -> None:
    rooms = ConferenceRooms(ROOMS)
    opened: set[str] = set()
    for joining, leg, room in steps:
        effects = rooms.enter(leg, room) if joining else rooms.leave(leg)
        for effect in effects:
            if isinstance(effect, OpenRoom):
                assert effect.room not in opened
                opened.add(effect.room)
            elif isinstance(effect, CloseRoom):
                opened.remove(effect.room)
        assert set(rooms.open_rooms) == opened
        assert all(rooms.members(r) for r in opened)
        everyone = [leg for r in opened for leg in rooms.members(r)]
        assert len(everyone) == len(set(everyone))
