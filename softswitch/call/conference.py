"""Ad-hoc conference rooms: who is in which room, PINs asked at the door, beeps on join
and leave, and the room closed when its last member leaves.

Pure and clock-free, driven by legs entering, keys pressed and legs leaving; it answers
with effects the call edge carries out on the media engine (`MediaEngine.conference`
opens a room's mix group, `join`/`leave` move channels, where each member hears
everyone but themselves).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

BEEP = "beep"
ENTER_PIN = ("vm_enter_pin",)
WRONG_PIN = ("vm_wrong_pin",)
GOODBYE = ("goodbye",)
#: wrong PINs before the caller is sent away
MAX_PIN_TRIES = 3
#: keys of one PIN attempt, so a caller leaning on a key cannot grow a buffer
MAX_PIN_LENGTH = 16


@dataclass(frozen=True)
class Room:
    """A dial-plan target: the number is a conference room."""

    number: str


@dataclass(frozen=True)
class OpenRoom:
    room: str


@dataclass(frozen=True)
class CloseRoom:
    room: str


@dataclass(frozen=True)
class JoinRoom:
    leg: int
    room: str


@dataclass(frozen=True)
class LeaveRoom:
    leg: int


@dataclass(frozen=True)
class PlayTo:
    """Prompts to one leg (the PIN question, its refusal)."""

    leg: int
    prompts: tuple[str, ...]


@dataclass(frozen=True)
class Beep:
    """A short tone to every leg listed: someone came in or went out."""

    legs: tuple[int, ...]


@dataclass(frozen=True)
class SendAway:
    """Hang the leg up (after its prompts): too many wrong PINs."""

    leg: int


@dataclass(frozen=True)
class RoomEvent:
    kind: str  # "conference.joined", "conference.left", "conference.pin_refused", ...
    room: str
    leg: int


Effect = OpenRoom | CloseRoom | JoinRoom | LeaveRoom | PlayTo | Beep | SendAway | RoomEvent


@dataclass
class _Door:
    """A caller at a closed room's door, typing its PIN."""

    room: str
    typed: str = ""
    tries: int = 0


@dataclass
class _Room:
    members: list[int] = field(default_factory=list)


class ConferenceRooms:
    def __init__(self, numbers: Sequence[str], pins: Mapping[str, str] | None = None) -> None:
        self.numbers = tuple(numbers)
        self.pins = dict(pins or {})
        unknown = set(self.pins) - set(self.numbers)
        if unknown:
            raise ValueError(f"PINs for rooms that do not exist: {sorted(unknown)}")
        self._rooms: dict[str, _Room] = {}
        self._doors: dict[int, _Door] = {}
        self._room_of: dict[int, str] = {}

    def target(self, number: str) -> Room | None:
        return Room(number) if number in self.numbers else None

    def members(self, room: str) -> tuple[int, ...]:
        found = self._rooms.get(room)
        return tuple(found.members) if found else ()

    @property
    def open_rooms(self) -> tuple[str, ...]:
        return tuple(self._rooms)

    def enter(self, leg: int, room: str) -> list[Effect]:
        """An answered caller dialled `room`: in at once, or asked for the PIN first."""
        if room not in self.numbers:
            raise ValueError(f"{room} is not a conference room")
        if leg in self._room_of or leg in self._doors:
            return []
        if room in self.pins:
            self._doors[leg] = _Door(room)
            return [PlayTo(leg, ENTER_PIN)]
        return self._join(leg, room)

    def digit(self, leg: int, digit: str) -> list[Effect]:
        """A key from a caller at a door; `#` ends the PIN. Keys in the room are ignored."""
        door = self._doors.get(leg)
        if door is None:
            return []
        if digit != "#":
            if len(door.typed) < MAX_PIN_LENGTH and digit.isdigit():
                door.typed += digit
            return []
        if door.typed == self.pins[door.room]:
            del self._doors[leg]
            return self._join(leg, door.room)
        door.tries += 1
        door.typed = ""
        refused = RoomEvent("conference.pin_refused", door.room, leg)
        if door.tries >= MAX_PIN_TRIES:
            del self._doors[leg]
            return [refused, PlayTo(leg, WRONG_PIN + GOODBYE), SendAway(leg)]
        return [refused, PlayTo(leg, WRONG_PIN + ENTER_PIN)]

    def leave(self, leg: int) -> list[Effect]:
        """The leg hung up (or was sent away): the others hear a beep; an empty room closes."""
        if self._doors.pop(leg, None) is not None:
            return []
        room = self._room_of.pop(leg, None)
        if room is None:
            return []
        state = self._rooms[room]
        state.members.remove(leg)
        out: list[Effect] = [LeaveRoom(leg), RoomEvent("conference.left", room, leg)]
        if state.members:
            out.append(Beep(tuple(state.members)))
        else:
            del self._rooms[room]
            out += [CloseRoom(room), RoomEvent("conference.closed", room, leg)]
        return out

    def _join(self, leg: int, room: str) -> list[Effect]:
        out: list[Effect] = []
        state = self._rooms.get(room)
        if state is None:
            state = self._rooms[room] = _Room()
            out.append(OpenRoom(room))
        others = tuple(state.members)
        state.members.append(leg)
        self._room_of[leg] = room
        out += [JoinRoom(leg, room), RoomEvent("conference.joined", room, leg),
                Beep((*others, leg))]
        return out
