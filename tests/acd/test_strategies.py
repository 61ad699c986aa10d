"""Each strategy does what its name says, through the real ACD."""

from __future__ import annotations

import random
from collections import Counter

from softswitch.acd.agent import Agent
from softswitch.acd.engine import Acd
from softswitch.acd.queue import QueueConfig, Tier
from softswitch.acd.strategies import STRATEGIES, QueueMemory

from .conftest import make_acd, rung


def serve(acd: Acd, call_id: str, now: float, talk: float = 10.0) -> str:
    """Enqueue, answer by the agent rung, hang up after `talk`; return the agent id."""
    agents = rung(acd.enqueue(call_id, "q", now))
    assert len(agents) == 1
    acd.agent_answered(call_id, agents[0], now)
    acd.hangup(call_id, now + talk)
    return agents[0]


def test_registry_names() -> None:
    assert set(STRATEGIES) == {"ring-all", "longest-idle", "round-robin", "fewest-calls",
                               "least-talk-time", "top-down", "random", "weighted-random"}


def test_ring_all_rings_every_free_agent_and_first_answer_wins() -> None:
    acd = make_acd(3, "ring-all")
    effects = acd.enqueue("c1", "q", 1.0)
    assert rung(effects) == ["a1", "a2", "a3"]
    answer = acd.agent_answered("c1", "a2", 2.0)
    stopped = sorted(e.agent_id for e in answer if type(e).__name__ == "StopRinging")
    assert stopped == ["a1", "a3"]
    assert acd.matcher.free == {"a1", "a3"}


def test_longest_idle_picks_who_finished_first() -> None:
    acd = make_acd(3, "longest-idle")
    assert serve(acd, "c1", 1.0) == "a1"      # all idle since login: tier order
    assert serve(acd, "c2", 2.0) == "a2"
    assert serve(acd, "c3", 3.0) == "a3"
    # a1 finished at 11, a2 at 12, a3 at 13
    assert serve(acd, "c4", 20.0) == "a1"


def test_round_robin_rotates_with_memory_per_queue() -> None:
    acd = make_acd(3, "round-robin")
    order = [serve(acd, f"c{i}", float(i * 100)) for i in range(7)]
    assert order == ["a1", "a2", "a3", "a1", "a2", "a3", "a1"]


def test_fewest_calls() -> None:
    acd = make_acd(3, "fewest-calls")
    acd.agents["a1"].calls_answered = 5
    acd.agents["a2"].calls_answered = 1
    acd.agents["a3"].calls_answered = 3
    assert serve(acd, "c1", 1.0) == "a2"
    assert serve(acd, "c2", 100.0) == "a2"  # now 2 calls, still fewest
    assert serve(acd, "c3", 200.0) == "a3"


def test_least_talk_time() -> None:
    acd = make_acd(3, "least-talk-time")
    acd.agents["a1"].talk_time = 50
    acd.agents["a3"].talk_time = 20
    acd.agents["a2"].talk_time = 30
    assert serve(acd, "c1", 1.0, talk=15) == "a3"  # 20 -> 35
    assert serve(acd, "c2", 100.0) == "a2"


def test_top_down_always_starts_at_the_top() -> None:
    acd = make_acd(3, "top-down")
    assert [serve(acd, f"c{i}", i * 100.0) for i in range(3)] == ["a1", "a1", "a1"]
    acd.enqueue("busy", "q", 500.0)
    acd.agent_answered("busy", "a1", 501.0)
    assert rung(acd.enqueue("c9", "q", 502.0)) == ["a2"]


def test_random_is_uniform_and_seeded() -> None:
    counts: Counter[str] = Counter()
    first = None
    for seed in range(300):
        acd = make_acd(3, "random", seed=seed)
        agent = rung(acd.enqueue("c1", "q", 1.0))[0]
        counts[agent] += 1
        if seed == 0:
            first = agent
    assert all(80 < counts[a] < 120 for a in ("a1", "a2", "a3")), counts
    assert rung(make_acd(3, "random", seed=0).enqueue("c1", "q", 1.0)) == [first]


def test_weighted_random_follows_tier_weights() -> None:
    agents = [Agent(id="h"), Agent(id="l")]
    tiers = (Tier("h", weight=9.0), Tier("l", weight=1.0))
    memory = QueueMemory()
    rng = random.Random(4)
    cands = [(agents[0], tiers[0]), (agents[1], tiers[1])]
    picks = Counter(STRATEGIES["weighted-random"](cands, memory, rng)[0].id
                    for _ in range(2000))
    assert 0.86 < picks["h"] / 2000 < 0.94


def test_unknown_strategy_is_refused() -> None:
    import pytest
    with pytest.raises(ValueError, match="unknown strategy"):
        Acd([QueueConfig(name="q", strategy="smartest")])
