import pytest

from softswitch.clock import ManualClock


def test_manual_clock_advances_only_when_told() -> None:
    clock = ManualClock(start=5.0, wall_start=1000.0)
    assert clock.now() == 5.0 and clock.wall() == 1000.0
    clock.advance(0.5)
    assert clock.now() == 5.5 and clock.wall() == 1000.5
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(1.0)
