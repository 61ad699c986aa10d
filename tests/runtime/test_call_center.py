"""The live ACD's edge: effects to the log and to the call layer, one timer, on a
ManualClock with a real event log."""

from __future__ import annotations

import asyncio
from typing import Any

from softswitch.acd import Acd, Agent, QueueConfig, Tier
from softswitch.acd.effects import Bridge, RingAgent, StopRinging
from softswitch.clock import ManualClock
from softswitch.config import parse_config
from softswitch.runtime.call_center import (
    DEFAULT_QUEUE,
    CallCenter,
    NoCallEffects,
    build_call_center_acd,
)
from softswitch.storage.database import Database


class RecordingCalls(NoCallEffects):
    def __init__(self) -> None:
        self.done: list[Any] = []

    def ring_agent(self, effect: RingAgent) -> None:
        self.done.append(effect)

    def stop_ringing(self, effect: StopRinging) -> None:
        self.done.append(effect)

    def bridge(self, effect: Bridge) -> None:
        self.done.append(effect)


def test_effects_reach_the_call_layer_and_the_log_and_one_timer_is_armed(
        tmp_path: Any) -> None:
    async def scenario() -> None:
        db = await Database.open(tmp_path / "t.db")
        clock = ManualClock(start=100.0)
        queue = QueueConfig(name="sales", tiers=(Tier("a1"),), ring_timeout=15.0)
        acd = Acd(queues=[queue], agents=[Agent(id="a1", extension="1001")])
        center = CallCenter(acd, db.events, clock, asyncio.get_running_loop())
        calls = RecordingCalls()
        center.connect_calls(calls)
        center.login("a1")
        center.enqueue("c1", "sales", number="555")
        assert calls.done == [RingAgent("c1", "a1", "1001", 15.0, "sales")]
        assert center._timer is not None and center._timer_at == 115.0
        clock.advance(15.0)
        center._on_timer()  # what the loop's call_at does when the deadline passes
        # no answer: the ringing stops, and the only agent is offered the caller again
        ring = RingAgent("c1", "a1", "1001", 15.0, "sales")
        assert calls.done == [ring, StopRinging("c1", "a1"), ring]
        assert center._timer_at == 130.0
        kinds = [e.kind async for e in db.events.read()]
        assert kinds[0] == "agent.status"
        assert "call.enqueued" in kinds and "agent.no_answer" in kinds
        [enqueued] = [e async for e in db.events.read(kinds=["call.enqueued"])]
        assert (enqueued.call_id, enqueued.queue, enqueued.data["number"]) == \
            ("c1", "sales", "555")
        assert enqueued.ts == clock.wall() - 15.0
        center.close()
        assert center._timer is None
        await db.close()
    asyncio.run(scenario())


def test_without_a_call_layer_effects_are_dropped_but_logged(tmp_path: Any) -> None:
    async def scenario() -> None:
        db = await Database.open(tmp_path / "t.db")
        acd = Acd(queues=[QueueConfig(name="q", tiers=(Tier("a"),))], agents=[Agent(id="a")])
        center = CallCenter(acd, db.events, ManualClock(), asyncio.get_running_loop())
        center.login("a")
        center.enqueue("c", "q")
        center.agent_answered("c", "a")
        center.hangup("c")
        kinds = [e.kind async for e in db.events.read()]
        assert "call.answered" in kinds and "call.ended" in kinds
        assert center.agent_status("a")["calls_answered"] == 1
        center.close()
        await db.close()
    asyncio.run(scenario())


def test_fallback_acd_makes_every_user_an_agent_of_one_queue() -> None:
    import random

    config = parse_config('[[users]]\nextension = "1001"\npassword = "x"\n'
                          '[[users]]\nextension = "1002"\npassword = "y"\nname = "Bo"\n',
                          "test.toml")
    acd = build_call_center_acd(config, random.Random(1))
    assert sorted(acd.agents) == ["1001", "1002"]
    assert acd.agents["1002"].name == "Bo"
    assert sorted(acd.matcher.tiers[DEFAULT_QUEUE]) == ["1001", "1002"]


def _two_agents() -> Acd:
    queue = QueueConfig(name="q", tiers=(Tier("a"), Tier("b")))
    return Acd(queues=[queue], agents=[Agent(id="a", extension="1001"),
                                       Agent(id="b", extension="1002")])


def test_agent_sessions_are_kept_and_restored_after_a_restart(tmp_path: Any) -> None:
    from softswitch.storage.agents import AgentSessionRepository

    async def scenario() -> None:
        clock = ManualClock(start=10.0)
        db = await Database.open(tmp_path / "t.db")
        center = CallCenter(_two_agents(), db.events, clock, asyncio.get_running_loop())
        assert await center.restore(AgentSessionRepository(db.conn, db.writer)) == []
        center.login("a")
        center.login("b")
        clock.advance(5.0)
        center.pause("b", "lunch")
        paused_at = clock.wall()
        center.close()
        await db.close()

        clock.advance(60.0)
        db = await Database.open(tmp_path / "t.db")
        center = CallCenter(_two_agents(), db.events, clock, asyncio.get_running_loop())
        await center.restore(AgentSessionRepository(db.conn, db.writer))
        a, b = center.agent_status("a"), center.agent_status("b")
        assert (a["status"], a["state"]) == ("available", "idle")
        assert (b["status"], b["reason"]) == ("on_break", "lunch")
        assert b["since"] == paused_at  # the break did not restart with the switch
        # a waiting caller goes to the restored available agent, not the paused one
        calls = RecordingCalls()
        center.connect_calls(calls)
        center.enqueue("c", "q")
        assert [e.agent_id for e in calls.done] == ["a"]
        # and a change after the restore is kept too
        center.logout("b")
        center.close()
        await db.close()
        db = await Database.open(tmp_path / "t.db")
        rows = await AgentSessionRepository(db.conn, db.writer).load_sessions()
        assert {r.agent_id: r.status for r in rows} == {"a": "available", "b": "logged_out"}
        await db.close()
    asyncio.run(scenario())


def test_reconcile_frees_an_agent_whose_call_is_gone(tmp_path: Any) -> None:
    async def scenario() -> None:
        db = await Database.open(tmp_path / "t.db")
        center = CallCenter(_two_agents(), db.events, ManualClock(),
                            asyncio.get_running_loop())
        center.login("a")
        center.enqueue("c", "q")
        center.agent_answered("c", "a")
        assert center.reconcile("a", True) == []
        assert center.agent_status("a")["state"] == "on_call"
        effects = center.reconcile("a", False)
        assert any(getattr(e, "kind", "") == "agent.reconciled" for e in effects)
        assert center.agent_status("a")["call_id"] is None
        kinds = [e.kind async for e in db.events.read()]
        assert "agent.reconciled" in kinds
        center.close()
        await db.close()
    asyncio.run(scenario())
