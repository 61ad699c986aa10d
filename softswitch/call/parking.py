"""Call parking: the slots parked calls wait in, who parked them, and when they ring back.

Pure and clock-free: time is an argument. A blind transfer (REFER) to the park code puts
the other party in the first free slot; the parker hears the slot said digit by digit
before being released; dialling the slot takes the call back; a call nobody takes back
within the timeout rings the phone that parked it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from softswitch.call.feature_codes import Feature, FeatureTable
from softswitch.media.prompts import Speaker
from softswitch.timers import Deadlines


@dataclass(frozen=True)
class Park:
    """A dial-plan target: the park code (a slot may follow it)."""

    number: str


@dataclass(frozen=True)
class ParkedCall:
    slot: str
    call: int  # the B2BUA's call key
    leg: int  # the parked party's leg
    parker: str  # the extension that parked it, rung back at the timeout
    parked_at: float


@dataclass(frozen=True)
class SlotTaken:
    """Parking failed: the asked slot is busy, or every slot is."""

    reason: str


class ParkingLot:
    def __init__(self, slots: Sequence[str], timeout: float, features: FeatureTable) -> None:
        if not slots:
            raise ValueError("a parking lot needs at least one slot")
        self.slots = tuple(slots)
        self.timeout = timeout
        self.features = features
        self._parked: dict[str, ParkedCall] = {}
        self._deadlines: Deadlines[str] = Deadlines()

    def __len__(self) -> int:
        return len(self._parked)

    def target(self, number: str) -> Park | None:
        match = self.features.match(number)
        if match is None or match.feature is not Feature.PARK:
            return None
        return Park(number)

    def is_slot(self, number: str) -> bool:
        return number in self.slots

    def park(self, number: str, call: int, leg: int, parker: str,
             now: float) -> ParkedCall | SlotTaken:
        """Park in the slot dialled after the code, else in the first free one."""
        match = self.features.match(number)
        asked = match.argument if match is not None else ""
        if asked:
            if asked not in self.slots:
                return SlotTaken(f"{asked} is not a parking slot")
            if asked in self._parked:
                return SlotTaken(f"slot {asked} is taken")
            slot = asked
        else:
            free = [s for s in self.slots if s not in self._parked]
            if not free:
                return SlotTaken("every parking slot is taken")
            slot = free[0]
        parked = ParkedCall(slot, call, leg, parker, now)
        self._parked[slot] = parked
        self._deadlines.set(slot, now + self.timeout)
        return parked

    def retrieve(self, slot: str) -> ParkedCall | None:
        """The call parked in `slot`, which leaves the lot (None: nothing there)."""
        parked = self._parked.pop(slot, None)
        if parked is not None:
            self._deadlines.cancel(slot)
        return parked

    def left(self, call: int) -> ParkedCall | None:
        """The parked party hung up: its slot is free again."""
        for slot, parked in list(self._parked.items()):
            if parked.call == call:
                return self.retrieve(slot)
        return None

    def slot_of(self, call: int) -> str | None:
        return next((s for s, p in self._parked.items() if p.call == call), None)

    def next_deadline(self) -> float | None:
        return self._deadlines.next()

    def expired(self, now: float) -> list[ParkedCall]:
        """Calls parked for longer than the timeout: they leave the lot and ring back
        their parkers."""
        out = []
        for slot in self._deadlines.pop_due(now):
            parked = self._parked.pop(slot, None)
            if parked is not None:
                out.append(parked)
        return out


def slot_announcement(slot: str, language: str = "en") -> tuple[str, ...]:
    """What the parker hears before being released: the slot, digit by digit."""
    speaker = Speaker(language)
    return tuple(name for digit in slot for name in speaker.number(int(digit)))
