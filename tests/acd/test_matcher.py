"""The one matcher: tiers, skills that relax, priority without starvation, sticky agents,
and the longest-waiting caller across every queue an agent serves."""

from __future__ import annotations

from softswitch.acd.agent import Agent
from softswitch.acd.engine import Acd
from softswitch.acd.queue import QueueConfig, Tier, relaxed_level

from .conftest import emitted, make_acd, rung


def occupy(acd: Acd, agent_id: str, queue: str, now: float) -> None:
    call_id = f"busy-{agent_id}-{now}"
    effects = acd.enqueue(call_id, queue, now)
    assert rung(effects) == [agent_id]
    acd.agent_answered(call_id, agent_id, now)


def test_level_two_tier_only_after_tier_wait() -> None:
    agents = [Agent(id="first"), Agent(id="second")]
    queue = QueueConfig(name="q", tiers=(Tier("first", 1), Tier("second", 2)), tier_wait=30.0)
    acd = Acd([queue], agents)
    acd.login("first", 0.0)
    acd.login("second", 0.0)
    assert rung(acd.enqueue("c1", "q", 0.0)) == ["first"]
    acd.agent_answered("c1", "first", 0.5)
    assert rung(acd.enqueue("c2", "q", 1.0)) == []        # second is level 2: not yet
    assert acd.next_deadline() == 31.0
    assert rung(acd.handle_timers(31.0)) == ["second"]


def test_lower_level_preferred_when_both_free() -> None:
    agents = [Agent(id="low"), Agent(id="high")]
    queue = QueueConfig(name="q", tiers=(Tier("low", 2), Tier("high", 1)))
    acd = Acd([queue], agents)
    acd.login("low", 0.0)
    acd.login("high", 0.0)
    assert rung(acd.enqueue("c1", "q", 0.0)) == ["high"]
    assert rung(acd.enqueue("c2", "q", 0.0)) == ["low"]   # tier_wait 0: at once


def test_relaxed_level() -> None:
    assert relaxed_level(8, 0, 20, 1) == 8
    assert relaxed_level(8, 45, 20, 1) == 6
    assert relaxed_level(8, 1000, 20, 3) == 3
    assert relaxed_level(8, 1000, 0, 1) == 8


def test_skill_requirement_relaxes_as_the_caller_waits() -> None:
    agents = [Agent(id="junior", skills={"fr": 5})]
    queue = QueueConfig(name="q", tiers=(Tier("junior"),), skill_relax_every=10.0)
    acd = Acd([queue], agents)
    acd.login("junior", 0.0)
    assert rung(acd.enqueue("c1", "q", 0.0, skills={"fr": 8})) == []
    assert acd.next_deadline() == 10.0
    assert rung(acd.handle_timers(10.0)) == []            # needs 7
    assert rung(acd.handle_timers(20.0)) == []            # needs 6
    assert rung(acd.handle_timers(30.0)) == ["junior"]    # needs 5


def test_agent_without_the_skill_is_skipped_but_serves_the_next() -> None:
    agents = [Agent(id="en", skills={"en": 5})]
    acd = Acd([QueueConfig(name="q", tiers=(Tier("en"),))], agents)
    acd.enqueue("fr-caller", "q", 0.0, skills={"fr": 1})
    effects = acd.enqueue("en-caller", "q", 1.0, skills={"en": 3})
    assert effects and acd.waiting("q") == ["fr-caller", "en-caller"]
    assert rung(acd.login("en", 2.0)) == ["en"]
    assert acd.waiting("q") == ["fr-caller"]


def test_prefix_routing_and_vip_numbers() -> None:
    queue = QueueConfig(name="q", prefix_skills={"+86": {"zh": 3}, "+8610": {"zh": 5}},
                        vip={"+15550001": 5}, required_skills={"phone": 1})
    assert queue.caller_skills("+8610123", None) == {"phone": 1, "zh": 5}
    assert queue.caller_skills("+8621123", {"x": 2}) == {"phone": 1, "zh": 3, "x": 2}
    assert queue.caller_priority("+15550001", 0) == 5
    assert queue.caller_priority("+1999", 2) == 2


def test_priority_first_but_nobody_starves() -> None:
    acd = make_acd(1, priority_weight=60.0)
    occupy(acd, "a1", "q", 0.0)
    acd.enqueue("old", "q", 10.0)
    acd.enqueue("vip", "q", 50.0, priority=1)       # rank -10: ahead of "old" (10)
    acd.enqueue("older", "q", 11.0 + 0.0)
    assert acd.waiting("q") == ["vip", "old", "older"]
    acd.enqueue("late-vip", "q", 200.0, priority=1)   # rank 140: behind those waiting long
    assert acd.waiting("q")[-1] == "late-vip"
    effects = acd.hangup("busy-a1-0.0", 300.0)
    assert rung(effects) == ["a1"] and emitted(effects, "agent.rung")[0]["call_id"] == "vip"


def test_free_agent_takes_the_longest_waiting_across_queues() -> None:
    agents = [Agent(id="both"), Agent(id="sales"), Agent(id="support")]
    sales = QueueConfig(name="sales", tiers=(Tier("both"), Tier("sales")))
    support = QueueConfig(name="support", tiers=(Tier("both"), Tier("support")))
    acd = Acd([sales, support], agents)
    for a in ("both", "sales", "support"):
        acd.login(a, 0.0)
    occupy(acd, "both", "sales", 0.0)
    occupy(acd, "sales", "sales", 0.0)
    occupy(acd, "support", "support", 0.0)
    acd.enqueue("s1", "sales", 5.0)
    acd.enqueue("t1", "support", 3.0)
    acd.enqueue("t2", "support", 4.0)
    effects = acd.hangup("busy-both-0.0", 20.0)
    assert emitted(effects, "agent.rung")[0]["call_id"] == "t1"
    acd.agent_answered("t1", "both", 21.0)
    effects = acd.hangup("t1", 30.0)
    assert emitted(effects, "agent.rung")[0]["call_id"] == "t2"


def test_sticky_agent_preferred_within_sticky_seconds() -> None:
    acd = make_acd(3, "top-down", sticky_seconds=600.0)
    occupy(acd, "a1", "q", 0.0)
    acd.enqueue("c1", "q", 1.0, number="555")
    acd.agent_answered("c1", "a2", 1.0)
    acd.hangup("c1", 60.0)
    acd.hangup("busy-a1-0.0", 61.0)
    assert rung(acd.enqueue("c2", "q", 100.0, number="555")) == ["a2"]
    acd.hangup("c2", 101.0)
    # after sticky_seconds the strategy decides again
    assert rung(acd.enqueue("c3", "q", 1000.0, number="555")) == ["a1"]
