"""Agent status and state tables: listed transitions apply, all others are refused."""

from __future__ import annotations

import pytest

from softswitch.acd.agent import (
    STATE_EVENTS,
    STATE_TABLE,
    STATUS_EVENTS,
    STATUS_TABLE,
    Agent,
    State,
    Status,
    TransitionRefused,
)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("event", sorted(STATUS_EVENTS))
def test_every_status_transition_follows_the_table(status: Status, event: str) -> None:
    agent = Agent(id="a")
    agent.status = status
    expected = STATUS_TABLE.get((status, event))
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            agent.apply_status(event)
        assert refused.value.machine == "status" and refused.value.event == event
        assert agent.status is status
    else:
        assert agent.apply_status(event) == (status, expected)
        assert agent.status is expected


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("event", sorted(STATE_EVENTS))
def test_every_state_transition_follows_the_table(state: State, event: str) -> None:
    agent = Agent(id="a")
    agent.state = state
    expected = STATE_TABLE.get((state, event))
    if expected is None:
        with pytest.raises(TransitionRefused, match=f"does not allow '{event}'"):
            agent.apply_state(event)
        assert agent.state is state
    else:
        assert agent.apply_state(event) == (state, expected)


def test_unknown_event_is_refused() -> None:
    with pytest.raises(TransitionRefused):
        Agent(id="a").apply_state("teleport")


def test_offered_only_when_available_idle_and_not_delayed() -> None:
    agent = Agent(id="a")
    assert not agent.can_take_calls(0.0)
    agent.apply_status("login")
    assert agent.can_take_calls(0.0)
    agent.delay_until = 5.0
    assert not agent.can_take_calls(4.9) and agent.can_take_calls(5.0)
    agent.apply_state("reserve")
    assert not agent.can_take_calls(10.0)


def test_skill_levels_are_checked() -> None:
    with pytest.raises(ValueError, match=r"1\.\.10"):
        Agent(id="a", skills={"fr": 11})


def test_session_round_trip() -> None:
    agent = Agent(id="a", name="Ann", extension="101", skills={"fr": 3}, wrap_up=5.0)
    agent.apply_status("login")
    agent.apply_status("break")
    agent.break_reason = "lunch"
    agent.calls_answered = 4
    back = Agent.from_session(agent.session())
    assert back.session() == agent.session()
    assert back.state is State.IDLE
