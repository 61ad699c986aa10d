"""The ACD engine: lifecycle, no-answer, wrap-up, overflow, callback, watchdog, restart."""

from __future__ import annotations

import random

import pytest

from softswitch.acd.agent import Agent, State, Status
from softswitch.acd.effects import (
    Bridge,
    DialCallback,
    Overflow,
    PauseAgent,
    PlayAnnouncement,
    StartMusic,
    StopRinging,
)
from softswitch.acd.engine import Acd, UnknownName
from softswitch.acd.queue import OverflowTarget, QueueConfig, Tier
from softswitch.clock import ManualClock

from .conftest import emitted, kinds, make_acd, rung


def test_a_call_from_enqueue_to_wrap_up() -> None:
    clock = ManualClock()
    acd = make_acd(1, wrap_up=30.0)
    effects = acd.enqueue("c1", "q", clock.now(), number="555")
    assert rung(effects) == ["a1"]
    assert StartMusic("c1", "q") in effects
    assert kinds(effects)[:1] == ["call.enqueued"]
    assert acd.agents["a1"].state is State.RINGING
    clock.advance(4)
    effects = acd.agent_answered("c1", "a1", clock.now())
    assert Bridge("c1", "a1") in effects
    assert emitted(effects, "call.answered")[0]["wait"] == 4.0
    clock.advance(60)
    effects = acd.hangup("c1", clock.now())
    assert emitted(effects, "call.ended")[0]["talk"] == 60.0
    assert emitted(effects, "wrapup.started")[0]["seconds"] == 30.0
    agent = acd.agents["a1"]
    assert agent.state is State.WRAP_UP and agent.calls_answered == 1
    assert acd.next_deadline() == 94.0
    # a caller arriving during wrap-up waits for it to end
    assert rung(acd.enqueue("c2", "q", 70.0)) == []
    effects = acd.handle_timers(94.0)
    assert "wrapup.ended" in kinds(effects) and rung(effects) == ["a1"]


def test_agent_wrap_up_overrides_queue_default() -> None:
    acd = make_acd(1, wrap_up=30.0)
    acd.agents["a1"].wrap_up = 5.0
    acd.enqueue("c1", "q", 0.0)
    acd.agent_answered("c1", "a1", 1.0)
    acd.hangup("c1", 11.0)
    assert acd.next_deadline() == 16.0


def test_agent_is_never_offered_two_calls() -> None:
    acd = make_acd(1)
    assert rung(acd.enqueue("c1", "q", 0.0)) == ["a1"]
    assert rung(acd.enqueue("c2", "q", 0.1)) == []
    assert acd.waiting("q") == ["c2"]


def test_no_answer_sends_caller_back_to_the_head() -> None:
    acd = make_acd(2, "top-down", ring_timeout=15.0)
    acd.enqueue("busy", "q", 0.0)            # a1 rings
    acd.agent_answered("busy", "a1", 0.0)     # a1 on a call
    assert rung(acd.enqueue("c1", "q", 1.0)) == ["a2"]
    acd.enqueue("c2", "q", 2.0)
    acd.enqueue("c3", "q", 3.0)
    acd.agents["a2"].no_answer_delay = 100.0
    effects = acd.handle_timers(16.0)        # a2 did not answer c1
    assert StopRinging("c1", "a2") in effects
    assert emitted(effects, "agent.no_answer")[0]["misses"] == 1
    assert acd.waiting("q") == ["c1", "c2", "c3"]
    assert acd.agents["a2"].state is State.IDLE and "a2" not in acd.matcher.free
    # after the delay, a2 gets c1 again: c1 kept their original place
    assert rung(acd.handle_timers(116.0)) == ["a2"]
    assert acd.waiting("q") == ["c2", "c3"]


def test_max_no_answer_puts_agent_on_break() -> None:
    acd = make_acd(1, ring_timeout=10.0)
    acd.agents["a1"].max_no_answer = 2
    acd.enqueue("c1", "q", 0.0)
    effects = acd.handle_timers(10.0)
    assert rung(effects) == ["a1"]              # rung again (only agent, no delay)
    effects = acd.handle_timers(20.0)
    assert PauseAgent("a1", "no answer") in effects
    agent = acd.agents["a1"]
    assert agent.status is Status.ON_BREAK and agent.break_reason == "no answer"
    assert acd.waiting("q") == ["c1"]
    # back from break: the miss count starts again and the caller is offered
    assert rung(acd.set_available("a1", 30.0)) == ["a1"]
    assert agent.missed_in_a_row == 0


def test_answer_resets_missed_count() -> None:
    acd = make_acd(1, ring_timeout=10.0)
    acd.enqueue("c1", "q", 0.0)
    acd.handle_timers(10.0)
    assert acd.agents["a1"].missed_in_a_row == 1
    acd.agent_answered("c1", "a1", 12.0)
    assert acd.agents["a1"].missed_in_a_row == 0


def test_reject_and_busy_delay_without_counting_a_miss() -> None:
    acd = make_acd(1)
    acd.agents["a1"].reject_delay = 10.0
    acd.agents["a1"].busy_delay = 40.0
    acd.enqueue("c1", "q", 0.0)
    effects = acd.agent_rejected("c1", "a1", 1.0)
    assert "agent.rejected" in kinds(effects) and acd.agents["a1"].missed_in_a_row == 0
    assert acd.next_deadline() == 11.0
    assert rung(acd.handle_timers(11.0)) == ["a1"]
    acd.agent_rejected("c1", "a1", 12.0, busy=True)
    assert acd.next_deadline() == 52.0


def test_caller_hangs_up_while_waiting_and_while_ringing() -> None:
    acd = make_acd(1)
    acd.enqueue("c1", "q", 0.0)
    acd.enqueue("c2", "q", 1.0)
    effects = acd.hangup("c2", 9.0)
    assert emitted(effects, "call.abandoned")[0]["wait"] == 8.0
    effects = acd.hangup("c1", 10.0)
    assert StopRinging("c1", "a1") in effects
    assert acd.agents["a1"].state is State.IDLE and acd.callers == {}
    assert acd.hangup("c1", 11.0) == []


def test_late_answer_is_refused_and_the_leg_dropped() -> None:
    acd = make_acd(2, "top-down", ring_timeout=5.0)
    acd.enqueue("c1", "q", 0.0)
    acd.handle_timers(5.0)                     # a1 missed, c1 -> a2
    effects = acd.agent_answered("c1", "a1", 5.5)
    assert StopRinging("c1", "a1") in effects and "call.refused" in kinds(effects)


def test_status_changes_and_refusals_are_events() -> None:
    acd = make_acd(1, login=False)
    assert kinds(acd.set_break("a1", "lunch", 0.0)) == ["agent.refused"]
    assert emitted(acd.login("a1", 0.0), "agent.status")[0]["to"] == "available"
    refused = emitted(acd.login("a1", 1.0), "agent.refused")[0]
    assert refused == {"agent": "a1", "machine": "status", "from": "available",
                       "event": "login", "at": 1.0}
    assert emitted(acd.set_break("a1", "lunch", 2.0), "agent.status")[0]["reason"] == "lunch"
    assert "a1" not in acd.matcher.free
    with pytest.raises(UnknownName, match="no agent 'zz'"):
        acd.login("zz", 0.0)
    with pytest.raises(UnknownName, match="no queue"):
        acd.enqueue("c", "nope", 0.0)


def test_break_while_ringing_gives_the_caller_back() -> None:
    acd = make_acd(2, "top-down")
    acd.enqueue("c1", "q", 0.0)
    effects = acd.set_break("a1", "coffee", 1.0)
    assert StopRinging("c1", "a1") in effects and rung(effects) == ["a2"]


def test_logout_during_a_call_takes_effect_and_the_call_finishes() -> None:
    acd = make_acd(1)
    acd.enqueue("c1", "q", 0.0)
    acd.agent_answered("c1", "a1", 1.0)
    acd.logout("a1", 2.0)
    assert acd.agents["a1"].status is Status.LOGGED_OUT
    acd.hangup("c1", 3.0)
    assert acd.agents["a1"].state is State.IDLE and "a1" not in acd.matcher.free


def test_overflow_on_max_wait_to_another_queue_keeps_the_wait() -> None:
    agents = [Agent(id="a1"), Agent(id="b1")]
    first = QueueConfig(name="q", tiers=(Tier("a1"),), max_wait=60.0,
                        overflow=OverflowTarget("queue", "backup"))
    backup = QueueConfig(name="backup", tiers=(Tier("b1"),))
    acd = Acd([first, backup], agents)
    acd.login("a1", 0.0)
    acd.enqueue("busy", "q", 0.0)
    acd.agent_answered("busy", "a1", 0.0)
    acd.enqueue("c1", "q", 10.0)
    assert acd.next_deadline() == 70.0
    effects = acd.handle_timers(70.0)
    assert Overflow("c1", "q", "queue", "backup", "max_wait") in effects
    assert emitted(effects, "queue.overflow")[0]["wait"] == 60.0
    assert acd.waiting("backup") == ["c1"]
    effects = acd.login("b1", 80.0)
    assert rung(effects) == ["b1"]
    assert emitted(acd.agent_answered("c1", "b1", 81.0), "call.answered")[0]["wait"] == 71.0


def test_overflow_on_max_length_to_voicemail() -> None:
    acd = make_acd(1, max_length=1, overflow=OverflowTarget("voicemail", "200"))
    acd.enqueue("c1", "q", 0.0)            # ringing a1: not in the line
    acd.enqueue("c2", "q", 1.0)            # waiting
    effects = acd.enqueue("c3", "q", 2.0)
    assert Overflow("c3", "q", "voicemail", "200", "max_length") in effects
    assert "c3" not in acd.callers and acd.waiting("q") == ["c2"]


def test_join_empty_and_leave_when_empty() -> None:
    acd = make_acd(1, login=False, join_empty=False)
    effects = acd.enqueue("c1", "q", 0.0)
    assert Overflow("c1", "q", "none", "", "empty") in effects
    acd2 = make_acd(1, leave_when_empty=True)
    acd2.enqueue("busy", "q", 0.0)
    acd2.agent_answered("busy", "a1", 0.0)
    acd2.enqueue("c2", "q", 1.0)
    effects = acd2.logout("a1", 2.0)
    assert Overflow("c2", "q", "none", "", "empty") in effects


def test_overflow_never_loops() -> None:
    a = QueueConfig(name="qa", max_length=1, overflow=OverflowTarget("queue", "qb"))
    b = QueueConfig(name="qb", max_length=1, overflow=OverflowTarget("queue", "qa"))
    acd = Acd([a, b])
    acd.enqueue("c1", "qa", 0.0)
    acd.enqueue("c2", "qb", 0.0)
    acd.enqueue("c3", "qa", 0.0)     # qa full -> qb full -> back to qa refused: dropped
    assert "c3" not in acd.callers


def test_callback_keeps_its_place_and_is_dialed_from_the_front() -> None:
    acd = make_acd(1)
    acd.enqueue("busy", "q", 0.0)
    acd.agent_answered("busy", "a1", 0.0)
    acd.enqueue("c1", "q", 1.0, number="5551")
    acd.enqueue("c2", "q", 2.0, number="5552")
    effects = acd.request_callback("c1", "5551", 3.0)
    assert emitted(effects, "callback.requested")[0]["position"] == 1
    assert acd.waiting("q") == ["c1", "c2"]
    effects = acd.hangup("busy", 50.0)
    assert DialCallback("c1", "5551", "a1", "q") in effects
    assert emitted(effects, "callback.dialed")[0]["agent"] == "a1"
    answered = acd.agent_answered("c1", "a1", 55.0)
    assert emitted(answered, "call.answered")[0]["callback"] is True
    assert kinds(acd.request_callback("c9", "1", 56.0)) == ["call.refused"]


def test_overflow_to_callback() -> None:
    acd = make_acd(1, max_wait=30.0, overflow=OverflowTarget("callback"))
    acd.enqueue("busy", "q", 0.0)
    acd.agent_answered("busy", "a1", 0.0)
    acd.enqueue("c1", "q", 1.0, number="777")
    effects = acd.handle_timers(31.0)
    assert "callback.requested" in kinds(effects)
    assert DialCallback("c1", "777", "a1", "q") in acd.hangup("busy", 40.0)


def test_announcements_give_position_and_wait() -> None:
    acd = Acd([QueueConfig(name="q", tiers=(Tier("a1"),), announce_every=30.0)],
              [Agent(id="a1")], default_aht=120.0)
    acd.login("a1", 0.0)
    acd.enqueue("busy", "q", 0.0)
    acd.agent_answered("busy", "a1", 0.0)
    acd.enqueue("c1", "q", 1.0)
    acd.enqueue("c2", "q", 2.0)
    effects = acd.handle_timers(32.0)
    assert PlayAnnouncement("c2", ("queue-position", "2", "queue-wait-minutes", "4")) in effects
    assert PlayAnnouncement("c1", ("queue-position", "1", "queue-wait-minutes", "2")) in effects


def test_reconcile_fixes_ghost_and_missing_calls() -> None:
    acd = make_acd(1, wrap_up=0.0)
    acd.enqueue("c1", "q", 0.0)
    acd.agent_answered("c1", "a1", 1.0)
    effects = acd.reconcile("a1", has_live_dialog=False, now=100.0)
    assert emitted(effects, "agent.reconciled")[0]["found"] == "no call"
    assert emitted(effects, "call.ended")[0]["talk"] == 99.0
    assert acd.agents["a1"].state is State.IDLE and "c1" not in acd.callers
    effects = acd.reconcile("a1", has_live_dialog=True, now=101.0)
    assert acd.agents["a1"].state is State.ON_CALL
    assert acd.reconcile("a1", has_live_dialog=True, now=102.0) == []
    # a ringing agent whose offer vanished: the caller goes back to the line
    acd2 = make_acd(1)
    acd2.enqueue("c1", "q", 0.0)
    effects = acd2.reconcile("a1", has_live_dialog=False, now=1.0)
    assert rung(effects) == ["a1"]


def test_snapshot_and_restore_agent_sessions() -> None:
    acd = make_acd(2)
    acd.set_break("a2", "training", 1.0)
    acd.enqueue("c1", "q", 2.0)
    acd.agent_answered("c1", "a1", 3.0)
    acd.hangup("c1", 30.0)
    data = acd.snapshot()
    fresh = Acd([QueueConfig(name="q")], rng=random.Random(1))
    fresh.restore(data, 100.0)
    assert fresh.agents["a2"].status is Status.ON_BREAK
    assert fresh.agents["a2"].break_reason == "training"
    assert fresh.agents["a1"].calls_answered == 1
    assert set(fresh.matcher.tiers["q"]) == {"a1", "a2"}
    assert rung(fresh.enqueue("c2", "q", 101.0)) == ["a1"]


def test_replaying_inputs_rebuilds_the_same_state() -> None:
    rng = random.Random(5)
    inputs: list[tuple[str, tuple[object, ...]]] = []
    acd = make_acd(4, "random", seed=9, ring_timeout=8.0, wrap_up=3.0)
    now = 0.0
    for i in range(300):
        now += rng.expovariate(1.0)
        roll = rng.random()
        ringing = [(a.call_id, a.id) for a in acd.agents.values()
                   if a.state is State.RINGING]
        bridged = [c.call_id for c in acd.callers.values() if c.phase == "bridged"]
        if roll < 0.4:
            step = ("enqueue", (f"c{i}", "q", now))
        elif roll < 0.7 and ringing:
            step = ("agent_answered", (*ringing[0], now))
        elif roll < 0.9 and bridged:
            step = ("hangup", (bridged[0], now))
        else:
            step = ("handle_timers", (now,))
        inputs.append(step)
        getattr(acd, step[0])(*step[1])
    again = make_acd(4, "random", seed=9, ring_timeout=8.0, wrap_up=3.0)
    for name, args in inputs:
        getattr(again, name)(*args)
    assert again.snapshot() == acd.snapshot()
    assert {a.id: (a.state, a.call_id) for a in again.agents.values()} == \
        {a.id: (a.state, a.call_id) for a in acd.agents.values()}
    assert again.waiting("q") == acd.waiting("q")
