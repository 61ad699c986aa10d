"""A caller leaving the line by choice (press 0 for the queue's voicemail): an overflow
to the chosen target, never an abandon, and any agent being rung is let go."""

from __future__ import annotations

from softswitch.acd.engine import Acd

from .conftest import emitted, kinds, make_acd, rung


def test_a_waiting_caller_who_leaves_for_voicemail_is_an_overflow_not_an_abandon() -> None:
    acd = make_acd(n_agents=1, login=False)
    acd.enqueue("c1", "q", 10.0, number="1003")
    effects = acd.leave("c1", "voicemail", "q", 25.0)
    assert "call.abandoned" not in kinds(effects)
    [overflow] = emitted(effects, "queue.overflow")
    assert overflow["reason"] == "caller" and overflow["target_kind"] == "voicemail"
    assert overflow["target"] == "q" and overflow["wait"] == 15.0
    assert acd.waiting("q") == [] and "c1" not in acd.callers


def test_leaving_while_an_agent_rings_stops_the_ringing_and_frees_the_agent() -> None:
    acd: Acd = make_acd(n_agents=1)
    assert rung(acd.enqueue("c1", "q", 0.0, number="1003")) == ["a1"]
    effects = acd.leave("c1", "voicemail", "q", 3.0)
    assert kinds(effects).count("queue.overflow") == 1
    assert "call.abandoned" not in kinds(effects)
    assert acd.agents["a1"].call_id is None
    # the agent takes the next caller at once
    assert rung(acd.enqueue("c2", "q", 4.0, number="1001")) == ["a1"]


def test_leaving_a_call_the_acd_does_not_know_does_nothing() -> None:
    acd = make_acd(n_agents=1)
    assert acd.leave("nobody", "voicemail", "q", 1.0) == []
