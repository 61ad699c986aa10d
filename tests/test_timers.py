from softswitch.timers import Deadlines


def test_deadlines_pop_in_order_and_honour_moves_and_cancels() -> None:
    d: Deadlines[str] = Deadlines()
    d.set("a", 3.0)
    d.set("b", 1.0)
    d.set("c", 2.0)
    d.set("a", 0.5)  # moved earlier
    d.cancel("c")
    assert d.next() == 0.5
    assert d.pop_due(1.0) == ["a", "b"]
    assert d.next() is None
    assert len(d) == 0


def test_deadline_moved_later_does_not_fire_at_old_time() -> None:
    d: Deadlines[str] = Deadlines()
    d.set("t", 1.0)
    d.set("t", 5.0)
    assert d.pop_due(2.0) == []
    assert d.next() == 5.0
    assert d.pop_due(5.0) == ["t"]
