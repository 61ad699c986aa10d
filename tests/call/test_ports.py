from __future__ import annotations

import pytest

from softswitch.call.ports import PortRange


def test_even_ports_and_least_recently_released_first() -> None:
    ports = PortRange(20001, 20010)
    got = [ports.allocate() for _ in range(4)]
    assert got == [20002, 20004, 20006, 20008]
    assert ports.allocate() is None  # 20010 has no RTCP partner in range
    ports.release(20004)
    ports.release(20002)
    assert ports.allocate() == 20004
    assert ports.in_use == 3


def test_release_twice_and_discard() -> None:
    ports = PortRange(20000, 20003)
    port = ports.allocate()
    assert port == 20000
    ports.release(port)
    ports.release(port)  # a second release must not hand it out twice
    assert ports.capacity == 2
    ports.discard(20002)
    assert [ports.allocate(), ports.allocate()] == [20000, None]


@pytest.mark.parametrize(("low", "high"), [(100, 200), (30000, 20000), (60000, 70000),
                                           (20000, 20000)])
def test_bad_ranges_are_refused(low: int, high: int) -> None:
    with pytest.raises(ValueError):
        PortRange(low, high)
