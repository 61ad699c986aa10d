"""ACD routing speed: 1,000 agents, 50 queues, 5,000 waiting callers.

Every agent serves 5 of the 50 queues (random tiers, levels 1-2) and has 3 of 6 skills;
a third of callers need a skill. All agents start on calls and 5,000 callers wait. One
"agent frees up" decision is: the agent's call ends, the matcher picks the best eligible
caller across the agent's queues, the agent is rung and answers. One "caller arrives"
decision is an enqueue that searches the queue's free agents (none are free, so it scans
and waits). The waiting line is topped up to 5,000 after each freed agent.

    python bench/acd_routing.py [--seconds 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from typing import Any

from softswitch.acd.agent import Agent
from softswitch.acd.effects import RingAgent
from softswitch.acd.engine import Acd
from softswitch.acd.queue import QueueConfig, Tier

AGENTS, QUEUES, WAITING, QUEUES_PER_AGENT = 1000, 50, 5000, 5
SKILLS = ["en", "fr", "de", "es", "zh", "billing"]


def build(rng: random.Random) -> tuple[Acd, float]:
    agents = [Agent(id=f"agent{i:04d}", extension=str(2000 + i),
                    skills={s: rng.randint(3, 10) for s in rng.sample(SKILLS, 3)})
              for i in range(AGENTS)]
    tiers: dict[str, list[Tier]] = {f"q{i:02d}": [] for i in range(QUEUES)}
    for agent in agents:
        for position, queue in enumerate(rng.sample(sorted(tiers), QUEUES_PER_AGENT), 1):
            tiers[queue].append(Tier(agent.id, level=rng.choice((1, 1, 2)), position=position))
    strategies = ["longest-idle", "round-robin", "fewest-calls", "least-talk-time", "random"]
    queues = [QueueConfig(name=name, strategy=strategies[i % len(strategies)],
                          tiers=tuple(ts), tier_wait=30.0, skill_relax_every=20.0)
              for i, (name, ts) in enumerate(sorted(tiers.items()))]
    acd = Acd(queues, agents, rng=random.Random(1))
    now = 0.0
    for agent in agents:
        acd.login(agent.id, now)
    serial = 0
    while acd.matcher.free:  # give every agent a call (level-2 agents after tier_wait)
        for agent_id in sorted(acd.matcher.free):
            queue = next(iter(acd.matcher.agent_tiers[agent_id]))
            acd.enqueue(f"busy{serial}", queue, now)
            serial += 1
        now += 31.0
        acd.handle_timers(now)
        for agent in agents:
            if agent.state.value == "ringing":
                acd.agent_answered(agent.call_id or "", agent.id, now)
    for call_id in [c.call_id for c in acd.callers.values() if c.phase == "waiting"]:
        acd.hangup(call_id, now)
    return acd, now


def caller(rng: random.Random, i: int) -> tuple[str, str, dict[str, int] | None, int]:
    skills = {rng.choice(SKILLS): rng.randint(4, 9)} if rng.random() < 1 / 3 else None
    return f"c{i}", f"q{rng.randrange(QUEUES):02d}", skills, int(rng.random() < 0.05)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(seconds: float = 5.0, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    acd, now = build(rng)
    serial = 0
    arrive_times: list[float] = []
    for _ in range(WAITING):
        call_id, queue, skills, prio = caller(rng, serial)
        serial += 1
        t0 = time.perf_counter()
        acd.enqueue(call_id, queue, now, number=call_id, priority=prio, skills=skills)
        arrive_times.append(time.perf_counter() - t0)
        now += 0.01
    free_times: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        now += 0.05
        busy = [a for a in acd.agents.values() if a.call_id and a.state.value == "on_call"]
        for agent in rng.sample(busy, min(50, len(busy))):
            t0 = time.perf_counter()
            effects = acd.hangup(agent.call_id or "", now)
            rung = [e for e in effects if isinstance(e, RingAgent)]
            for ring in rung:
                acd.agent_answered(ring.call_id, ring.agent_id, now)
            free_times.append(time.perf_counter() - t0)
            while sum(len(line) for line in acd.matcher.lines.values()) < WAITING:
                call_id, queue, skills, prio = caller(rng, serial)
                serial += 1
                t0 = time.perf_counter()
                acd.enqueue(call_id, queue, now, number=call_id, priority=prio,
                            skills=skills)
                arrive_times.append(time.perf_counter() - t0)
    waiting = sum(len(line) for line in acd.matcher.lines.values())
    return {
        "agents": AGENTS, "queues": QUEUES, "waiting_callers": waiting,
        "agent_free_decisions": len(free_times),
        "agent_free_per_second": len(free_times) / sum(free_times),
        "agent_free_p50_ms": percentile(free_times, 0.5) * 1e3,
        "agent_free_p99_ms": percentile(free_times, 0.99) * 1e3,
        "arrival_decisions": len(arrive_times),
        "arrival_per_second": len(arrive_times) / sum(arrive_times),
        "arrival_p50_ms": percentile(arrive_times, 0.5) * 1e3,
        "arrival_p99_ms": percentile(arrive_times, 0.99) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    result = run(args.seconds)
    rows = [
        ("agent frees up -> caller picked, rung, answered", result["agent_free_per_second"],
         result["agent_free_p50_ms"], result["agent_free_p99_ms"],
         result["agent_free_decisions"]),
        ("caller arrives -> agent search (none free)", result["arrival_per_second"],
         result["arrival_p50_ms"], result["arrival_p99_ms"], result["arrival_decisions"]),
    ]
    print(f"ACD routing: {result['agents']} agents, {result['queues']} queues, "
          f"{result['waiting_callers']} waiting callers")
    print(f"{'decision':<50} {'per s':>10} {'p50 ms':>8} {'p99 ms':>8} {'count':>8}")
    for name, rate, p50, p99, count in rows:
        print(f"{name:<50} {rate:>10,.0f} {p50:>8.3f} {p99:>8.3f} {count:>8}")
    if args.json:
        report = {
            "benchmark": "acd_routing",
            "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
            "machine": {"platform": platform.platform(), "python": platform.python_version(),
                        "processor": platform.processor() or platform.machine(),
                        "cpus": os.cpu_count()},
            "result": result,
        }
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
