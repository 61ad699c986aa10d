import random
import tomllib
from pathlib import Path

from softswitch.acd import Agent, OverflowTarget, QueueConfig, Status, Tier
from softswitch.acd.config import (
    agent_settings_data,
    build_acd,
    queue_settings_data,
    restore_sessions,
    sessions_for,
)
from softswitch.acd.effects import Overflow, RingAgent
from softswitch.config import Config, ensure_config, load_config, parse_config

TEXT = '''\
[[users]]
extension = "1000"
password = "x"
[[users]]
extension = "1001"
password = "x"
[[queues]]
name = "sales"
strategy = "top-down"
ring_timeout = 15
wrap_up = 5
max_wait = 120
max_length = 3
overflow = { kind = "queue", target = "backup" }
join_empty = false
announce_position_every = 30
required_skills = { sales = 2 }
vip = { "555" = 2 }
prefix_skills = { "86" = { mandarin = 3 } }
priority_weight = 45
tier_wait = 10
skill_relax_every = 20
skill_floor = 2
sticky_seconds = 300
[[queues]]
name = "backup"
[[agents]]
id = "ann"
name = "Ann"
extension = "1000"
skills = { sales = 6, mandarin = 3 }
wrap_up = 2
ring_timeout = 9
max_no_answer = 4
no_answer_delay = 1
reject_delay = 2
busy_delay = 3
queues = [{ queue = "sales", level = 1, position = 2 }, { queue = "backup", weight = 2 }]
[[agents]]
id = "bob"
extension = "1001"
skills = { sales = 2 }
queues = [{ queue = "sales", level = 2 }]
'''


def config() -> Config:
    return parse_config(TEXT, "pbx.toml")


def test_build_acd_makes_queues_agents_and_tiers() -> None:
    acd = build_acd(config(), random.Random(1))
    sales = acd.matcher.queues["sales"]
    assert sales == QueueConfig(
        name="sales", strategy="top-down",
        tiers=(Tier("ann", 1, 2), Tier("bob", 2, 1)),
        ring_timeout=15.0, wrap_up=5.0, max_wait=120.0, max_length=3,
        overflow=OverflowTarget("queue", "backup"), join_empty=False,
        leave_when_empty=False, required_skills={"sales": 2}, vip={"555": 2},
        prefix_skills={"86": {"mandarin": 3}}, priority_weight=45.0, tier_wait=10.0,
        skill_relax_every=20.0, skill_floor=2, sticky_seconds=300.0, announce_every=30.0)
    assert acd.matcher.queues["backup"].tiers == (Tier("ann", weight=2.0),)
    assert acd.matcher.queues["backup"].overflow == OverflowTarget("none", "")
    ann = acd.agents["ann"]
    assert (ann.name, ann.extension, ann.skills) == ("Ann", "1000",
                                                     {"sales": 6, "mandarin": 3})
    assert (ann.wrap_up, ann.ring_timeout, ann.max_no_answer) == (2.0, 9.0, 4)
    assert (ann.no_answer_delay, ann.reject_delay, ann.busy_delay) == (1.0, 2.0, 3.0)
    assert acd.agents["bob"].wrap_up is None
    assert all(a.status is Status.LOGGED_OUT for a in acd.agents.values())
    assert set(acd.matcher.tiers["sales"]) == {"ann", "bob"}


def test_the_built_acd_routes_as_configured() -> None:
    acd = build_acd(config(), random.Random(1))
    # join_empty = false: nobody logged in, the caller overflows to backup at once
    effects = acd.enqueue("c0", "sales", 0.0, number="999")
    assert next(e for e in effects if isinstance(e, Overflow)).target == "backup"
    acd.hangup("c0", 0.5)
    acd.login("ann", 1.0)
    acd.login("bob", 1.0)
    effects = acd.enqueue("c1", "sales", 2.0, number="8610")
    ring = [e for e in effects if isinstance(e, RingAgent)]
    # top-down at level 1: ann, her own ring timeout
    assert [(r.agent_id, r.extension, r.timeout) for r in ring] == [("ann", "1000", 9.0)]


def test_hangup_overflow_means_the_call_ends() -> None:
    acd = build_acd(parse_config(TEXT.replace(
        'overflow = { kind = "queue", target = "backup" }', 'overflow = { kind = "hangup" }'),
        "pbx.toml"), random.Random(1))
    assert acd.matcher.queues["sales"].overflow == OverflowTarget("none", "")


def test_stored_sessions_fit_the_configuration() -> None:
    """Sessions come back, but the file decides who exists and what they can do."""
    stored_acd = build_acd(config(), random.Random(1))
    stored_acd.add_agent(Agent("gone", extension="1001"))
    for agent_id in ("ann", "bob", "gone"):
        stored_acd.login(agent_id, 0.0)
    stored_acd.set_break("bob", "lunch", 1.0)
    stored_acd.agents["ann"].skills["sales"] = 1   # an old skill level
    stored_acd.agents["ann"].extension = "1001"    # logged in at another phone
    stored = stored_acd.snapshot()

    acd = build_acd(config(), random.Random(1))
    merged = sessions_for(acd, stored)
    assert [s["id"] for s in merged["agents"]] == ["ann", "bob"]
    restore_sessions(acd, stored, now=10.0)
    assert "gone" not in acd.agents
    assert acd.agents["ann"].skills == {"sales": 6, "mandarin": 3}
    assert acd.agents["ann"].extension == "1001"
    assert acd.agents["ann"].status is Status.AVAILABLE
    assert (acd.agents["bob"].status, acd.agents["bob"].break_reason) == (Status.ON_BREAK,
                                                                          "lunch")


def test_back_to_toml_data_builds_the_same_acd() -> None:
    acd = build_acd(config(), random.Random(1))
    users = ''.join(f'[[users]]\nextension = "{e}"\npassword = "x"\n' for e in ("1000", "1001"))
    data = {"queues": [queue_settings_data(q) for q in acd.matcher.queues.values()],
            "agents": [agent_settings_data(acd, a) for a in acd.agents]}
    text = users + _to_toml(data)
    again = build_acd(parse_config(text, "again.toml"), random.Random(1))
    assert again.snapshot() == acd.snapshot()
    assert again.matcher.queues == acd.matcher.queues


def test_the_first_start_call_center(tmp_path: Path) -> None:
    path, _ = ensure_config(tmp_path, random.Random(3))
    acd = build_acd(load_config(path), random.Random(1))
    assert set(acd.matcher.queues) == {"sales", "support"}
    assert sorted(acd.agents) == ["a1000", "a1001", "a1002", "a1003"]
    for queue in acd.matcher.queues.values():
        assert (queue.strategy, queue.wrap_up) == ("longest-idle", 10.0)
        assert set(acd.matcher.tiers[queue.name]) == set(acd.agents)
    acd.login("a1001", 0.0)
    acd.login("a1002", 1.0)
    effects = acd.enqueue("c1", "support", 2.0, number="1005", skills={"support": 1})
    # longest idle first: a1001 logged in before a1002
    assert [e.agent_id for e in effects if isinstance(e, RingAgent)] == ["a1001"]


def _to_toml(data: dict[str, list[dict[str, object]]]) -> str:
    """Just enough TOML writing for these tables (tomllib only reads)."""
    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, dict):
            return "{ " + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + " }"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    out = []
    for section, items in data.items():
        for item in items:
            out.append(f"[[{section}]]")
            out += [f"{k} = {value(v)}" for k, v in item.items()]
    text = "\n".join(out) + "\n"
    tomllib.loads(text)
    return text
