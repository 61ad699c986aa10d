"""The parking lot on a manual clock: slots, retrieval, timeouts that ring back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.call.feature_codes import FeatureTable
from softswitch.call.parking import Park, ParkedCall, ParkingLot, SlotTaken, slot_announcement
from softswitch.clock import ManualClock

SLOTS = ("701", "702", "703")


def lot(timeout: float = 60.0) -> ParkingLot:
    return ParkingLot(SLOTS, timeout, FeatureTable())


def test_the_park_code_is_a_target_and_slots_are_known() -> None:
    parking = lot()
    assert parking.target("*70") == Park("*70") and parking.target("*70702") == Park("*70702")
    assert parking.target("*8") is None and parking.target("701") is None
    assert parking.is_slot("702") and not parking.is_slot("704")


def test_calls_take_the_first_free_slot_and_are_retrieved_by_it() -> None:
    parking = lot()
    first = parking.park("*70", call=1, leg=11, parker="1002", now=0.0)
    second = parking.park("*70", call=2, leg=21, parker="1003", now=1.0)
    assert isinstance(first, ParkedCall) and first.slot == "701"
    assert isinstance(second, ParkedCall) and second.slot == "702"
    assert parking.retrieve("701") == first
    assert parking.retrieve("701") is None
    third = parking.park("*70", call=3, leg=31, parker="1002", now=2.0)
    assert isinstance(third, ParkedCall) and third.slot == "701"


def test_a_named_slot_is_used_or_refused() -> None:
    parking = lot()
    parked = parking.park("*70703", call=1, leg=1, parker="1002", now=0.0)
    assert isinstance(parked, ParkedCall) and parked.slot == "703"
    assert parking.park("*70703", call=2, leg=2, parker="1002", now=0.0) == \
        SlotTaken("slot 703 is taken")
    assert isinstance(parking.park("*70999", call=2, leg=2, parker="1002", now=0.0), SlotTaken)


def test_a_full_lot_refuses() -> None:
    parking = lot()
    for key in range(3):
        assert isinstance(parking.park("*70", key, key, "1002", 0.0), ParkedCall)
    assert parking.park("*70", 9, 9, "1002", 0.0) == SlotTaken("every parking slot is taken")


def test_a_call_not_retrieved_rings_back_at_the_timeout() -> None:
    clock = ManualClock()
    parking = lot(timeout=30.0)
    parked = parking.park("*70", call=1, leg=11, parker="1002", now=clock.now())
    assert parking.next_deadline() == clock.now() + 30
    clock.advance(29.9)
    assert parking.expired(clock.now()) == []
    clock.advance(0.2)
    assert parking.expired(clock.now()) == [parked]
    assert len(parking) == 0 and parking.next_deadline() is None


def test_a_retrieved_or_abandoned_call_never_rings_back() -> None:
    parking = lot(timeout=10.0)
    parking.park("*70", call=1, leg=11, parker="1002", now=0.0)
    parking.park("*70", call=2, leg=21, parker="1002", now=0.0)
    assert parking.slot_of(2) == "702"
    assert parking.retrieve("701") is not None
    assert parking.left(2) is not None and parking.left(2) is None
    assert parking.expired(100.0) == []


def test_the_slot_is_announced_digit_by_digit() -> None:
    assert slot_announcement("701") == ("en/7", "en/0", "en/1")
    assert slot_announcement("72", "zh")[0].startswith("zh/")


def test_an_empty_lot_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        ParkingLot((), 10, FeatureTable())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["park", "retrieve", "leave", "tick"]),
                          st.integers(0, 5)), max_size=40))
def test_a_slot_never_holds_two_calls_and_every_call_leaves_once(
        steps: list[tuple[str, int]]) -> None:
    parking = lot(timeout=5.0)
    now, inside, gone = 0.0, set(), []
    for what, n in steps:
        if what == "park" and n not in inside and n not in gone:
            if isinstance(parking.park("*70", n, n, "1002", now), ParkedCall):
                inside.add(n)
        elif what == "retrieve":
            taken = parking.retrieve(SLOTS[n % 3])
            if taken is not None:
                inside.remove(taken.call)
                gone.append(taken.call)
        elif what == "leave":
            if parking.left(n) is not None:
                inside.remove(n)
                gone.append(n)
        else:
            now += n
            for expired in parking.expired(now):
                inside.remove(expired.call)
                gone.append(expired.call)
        assert len(parking) == len(inside) <= len(SLOTS)
        assert len(gone) == len(set(gone))
