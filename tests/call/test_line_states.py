"""Busy-lamp line states: a pickup moves the call from the ringing line to the picker's."""

from softswitch.call.line_states import LineStates


def _ringing(lines: LineStates) -> None:
    lines.on_call_event("call.offered", "c1", {"caller": "1001", "callee": "1002"})
    lines.on_call_event("call.ringing", "c1", {})


def test_a_pickup_moves_the_call_to_the_picker_and_ends_the_ringing_line() -> None:
    lines = LineStates()
    _ringing(lines)
    changed = lines.on_call_event("call.picked_up", "c1", {"by": "1003", "ringing": "1002"})
    assert changed == {"1001", "1002", "1003"}
    assert [(d.direction, d.state, d.peer) for d in lines.dialogs("1002")] == [
        ("recipient", "terminated", "1001")]
    assert [(d.direction, d.state, d.peer) for d in lines.dialogs("1003")] == [
        ("recipient", "early", "1001")]
    assert [(d.direction, d.state, d.peer) for d in lines.dialogs("1001")] == [
        ("initiator", "early", "1003")]


def test_after_a_pickup_the_answer_and_the_end_reach_the_picker_not_the_rung_line() -> None:
    lines = LineStates()
    _ringing(lines)
    lines.on_call_event("call.picked_up", "c1", {"by": "1003"})
    assert lines.on_call_event("call.answered", "c1", {}) == {"1001", "1003"}
    assert lines.dialogs("1002") == []
    assert [d.state for d in lines.dialogs("1003")] == ["confirmed"]
    assert lines.on_call_event("call.ended", "c1", {}) == {"1001", "1003"}
    assert [d.state for d in lines.dialogs("1003")] == ["terminated"]
    assert len(lines) == 0


def test_a_pickup_of_an_unknown_call_or_without_a_picker_changes_nothing() -> None:
    lines = LineStates()
    _ringing(lines)
    assert lines.on_call_event("call.picked_up", "other", {"by": "1003"}) == set()
    assert lines.on_call_event("call.picked_up", "c1", {}) == set()
    assert lines.on_call_event("call.picked_up", "c1", {"by": 1003}) == set()
    assert [d.peer for d in lines.dialogs("1001")] == ["1002"]
