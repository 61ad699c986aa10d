"""Random arrivals, hang-ups, no-answers, logins and breaks: the ACD's invariants hold.

After every step: each agent has at most one call and their state matches it; each caller
is in exactly one place (one line, or offered to ringing agents, or bridged); no free agent
sits next to a waiting caller they could take; no caller is answered twice. At the end,
after every call is hung up and every timer has run: nobody is stuck and every caller was
answered or abandoned exactly once.
"""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.acd.agent import Agent, State, Status
from softswitch.acd.effects import Effect, Emit
from softswitch.acd.engine import Acd
from softswitch.acd.queue import OverflowTarget, QueueConfig, Tier

OPS = ["arrive", "arrive", "arrive", "answer", "answer", "no_answer", "reject", "abandon",
       "end", "advance", "advance", "login", "logout", "break", "available", "callback"]

step = st.tuples(st.sampled_from(OPS), st.integers(0, 7), st.floats(0.0, 40.0))


def build(strategy: str, seed: int) -> Acd:
    agents = [Agent(id=f"a{i}", no_answer_delay=3.0 * (i % 2), max_no_answer=2,
                    reject_delay=4.0, busy_delay=6.0, wrap_up=float(i % 3) * 5)
              for i in range(4)]
    sales = QueueConfig(name="sales", strategy=strategy, ring_timeout=10.0, max_wait=120.0,
                        tiers=(Tier("a0"), Tier("a1"), Tier("a2", 1, 3)),
                        overflow=OverflowTarget("queue", "support"), max_length=5)
    support = QueueConfig(name="support", strategy=strategy, ring_timeout=12.0,
                          tiers=(Tier("a2"), Tier("a3")),
                          overflow=OverflowTarget("voicemail", "100"), max_length=6)
    return Acd([sales, support], agents, rng=random.Random(seed))


class Ledger:
    """What the event stream says happened to each call."""

    def __init__(self) -> None:
        self.answered: Counter[str] = Counter()
        self.closed: Counter[str] = Counter()

    def take(self, effects: list[Effect]) -> None:
        for e in effects:
            if not isinstance(e, Emit):
                continue
            call_id = e.fields.get("call_id")
            if e.kind == "call.answered":
                self.answered[call_id] += 1
                assert self.answered[call_id] == 1, f"{call_id} answered twice"
            elif e.kind in ("call.abandoned", "call.ended", "callback.failed") or (
                    e.kind == "queue.overflow"
                    and e.fields["target_kind"] not in ("queue", "callback")):
                self.closed[call_id] += 1


def check(acd: Acd, now: float) -> None:
    holders: Counter[str] = Counter()
    for agent in acd.agents.values():
        if agent.state in (State.RESERVED, State.RINGING):
            caller = acd.callers[agent.call_id or ""]
            assert caller.phase == "offered" and agent.id in caller.offered
        elif agent.state is State.ON_CALL:
            caller = acd.callers[agent.call_id or ""]
            assert caller.phase == "bridged" and caller.agent_id == agent.id
        else:
            assert agent.call_id is None
        if agent.call_id is not None:
            holders[agent.call_id] += 1
        if agent.id in acd.matcher.free:
            assert agent.can_take_calls(now)
    in_lines = Counter(c for q in acd.matcher.lines for c in acd.matcher.lines[q])
    for caller in acd.callers.values():
        if caller.phase == "waiting":
            assert in_lines[caller.call_id] == 1
            assert caller.call_id in acd.matcher.lines[caller.queue]
        else:
            assert in_lines[caller.call_id] == 0
        if caller.phase == "offered":
            assert caller.offered and holders[caller.call_id] == len(caller.offered)
        if caller.phase == "bridged":
            assert holders[caller.call_id] == 1
    # work conservation: a free agent never sits beside a caller they could take
    for queue, line in acd.matcher.lines.items():
        if len(line):
            assert not (acd.matcher.free & set(acd.matcher.tiers[queue])), queue


@settings(max_examples=300, deadline=None)
@given(strategy=st.sampled_from(["longest-idle", "ring-all", "round-robin", "random",
                                 "fewest-calls", "least-talk-time", "top-down",
                                 "weighted-random"]),
       seed=st.integers(0, 1000), logged_in=st.lists(st.booleans(), min_size=4, max_size=4),
       steps=st.lists(step, max_size=60))
def test_invariants_hold_under_random_traffic(strategy: str, seed: int, logged_in: list[bool],
                                              steps: list[tuple[str, int, float]]) -> None:
    acd = build(strategy, seed)
    ledger = Ledger()
    now = 0.0
    for i, login in enumerate(logged_in):
        if login:
            ledger.take(acd.login(f"a{i}", now))
    enqueued: set[str] = set()
    for i, (op, n, dt) in enumerate(steps):
        agent_id = f"a{n % 4}"
        agent = acd.agents[agent_id]
        callers = sorted(acd.callers)
        pick = callers[n % len(callers)] if callers else None
        effects: list[Effect] = []
        if op == "arrive":
            call_id = f"c{i}"
            enqueued.add(call_id)
            effects = acd.enqueue(call_id, ("sales", "support")[n % 2], now,
                                  number=f"55{n}", priority=n % 3 == 0)
        elif op in ("answer", "no_answer", "reject") and agent.state is State.RINGING:
            call_id = agent.call_id or ""
            if op == "answer":
                effects = acd.agent_answered(call_id, agent_id, now)
            elif op == "no_answer":
                effects = acd.agent_no_answer(call_id, agent_id, now)
            else:
                effects = acd.agent_rejected(call_id, agent_id, now, busy=n > 3)
        elif op == "abandon" and pick and acd.callers[pick].phase != "bridged":
            effects = acd.hangup(pick, now)
        elif op == "end" and agent.state is State.ON_CALL:
            effects = acd.hangup(agent.call_id or "", now)
        elif op == "advance":
            now += dt
            effects = acd.handle_timers(now)
        elif op == "login":
            effects = acd.login(agent_id, now)
        elif op == "logout":
            effects = acd.logout(agent_id, now)
        elif op == "break":
            effects = acd.set_break(agent_id, "coffee", now)
        elif op == "available":
            effects = acd.set_available(agent_id, now)
        elif op == "callback" and pick:
            effects = acd.request_callback(pick, "0123", now)
        ledger.take(effects)
        check(acd, now)

    # drain: everyone available, every ring answered, every call ended, all timers run
    for _ in range(200):
        for agent in acd.agents.values():
            if agent.status is not Status.AVAILABLE:
                ledger.take(acd.set_available(agent.id, now) if agent.status is
                            Status.ON_BREAK else acd.login(agent.id, now))
            if agent.state is State.RINGING:
                ledger.take(acd.agent_answered(agent.call_id or "", agent.id, now))
            if agent.state is State.ON_CALL:
                ledger.take(acd.hangup(agent.call_id or "", now))
        check(acd, now)
        nxt = acd.next_deadline()
        if nxt is None and not acd.callers:
            break
        now = max(now, nxt or now) + 0.5
        ledger.take(acd.handle_timers(now))
        check(acd, now)
    assert not acd.callers
    assert all(a.state is State.IDLE for a in acd.agents.values())
    for call_id in enqueued:
        outcome = ledger.closed[call_id]
        assert outcome == 1, (call_id, outcome, ledger.answered[call_id])
