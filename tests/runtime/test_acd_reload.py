"""A reloaded configuration reshapes the live ACD: queues, agents, tiers, settings;
sessions and calls in progress are kept."""

from __future__ import annotations

import random

from softswitch.acd.effects import RingAgent
from softswitch.config.loader import parse_config
from softswitch.config.model import Config
from softswitch.runtime.acd_reload import reload_acd
from softswitch.runtime.call_center import build_call_center_acd

USERS = "".join(f'[[users]]\nextension = "{e}"\npassword = "secret-{e}-long"\n'
                for e in ("1001", "1002", "1003"))

BASE = """
[[queues]]
name = "sales"
wrap_up = 10
[[queues]]
name = "support"
strategy = "round-robin"

[[agents]]
id = "alice"
extension = "1001"
queues = [{ queue = "sales" }, { queue = "support" }]
[[agents]]
id = "bob"
extension = "1002"
queues = [{ queue = "sales" }]
"""


def config(extra: str) -> Config:
    return parse_config('[sip]\nlisten = ["udp:127.0.0.1:5999"]\n' + extra + USERS, "t.toml")


def test_settings_change_in_place_and_sessions_are_kept() -> None:
    acd = build_call_center_acd(config(BASE), random.Random(0))
    acd.login("alice", 0.0)
    acd.set_break("alice", "lunch", 1.0)
    changed = BASE.replace("wrap_up = 10", "wrap_up = 25").replace(
        'strategy = "round-robin"', 'strategy = "fewest-calls"').replace(
        'id = "bob"\n', 'id = "bob"\nwrap_up = 3\nskills = { french = 4 }\n')
    _, changes = reload_acd(acd, config(changed), 2.0)
    assert changes.queues_changed == ["sales", "support"]
    assert acd.matcher.queues["sales"].wrap_up == 25
    assert acd.matcher.queues["support"].strategy == "fewest-calls"
    assert changes.agents_changed == ["bob"]
    assert (acd.agents["bob"].wrap_up, acd.agents["bob"].skills) == (3, {"french": 4})
    alice = acd.agents["alice"]
    assert (alice.status.value, alice.break_reason) == ("on_break", "lunch")
    assert not changes.queues_added and not changes.agents_removed
    # the same file again changes nothing
    _, again = reload_acd(acd, config(changed), 3.0)
    assert again.to_json() == {**again.to_json(), "queues_changed": [],
                               "agents_changed": [], "tiers_changed": 0}


def test_added_queue_and_tier_offer_a_waiting_caller_at_once() -> None:
    acd = build_call_center_acd(config(BASE), random.Random(0))
    acd.login("bob", 0.0)
    acd.enqueue("c1", "support", 1.0)  # bob does not serve support yet
    assert acd.callers["c1"].phase == "waiting"
    grown = BASE.replace('queues = [{ queue = "sales" }]',
                         'queues = [{ queue = "sales" }, { queue = "support" }, '
                         '{ queue = "billing" }]') + '[[queues]]\nname = "billing"\n'
    effects, changes = reload_acd(acd, config(grown), 2.0)
    assert changes.queues_added == ["billing"]
    assert "bob" in acd.matcher.tiers["billing"]
    assert any(isinstance(e, RingAgent) and e.agent_id == "bob" and e.call_id == "c1"
               for e in effects)


def test_removed_agent_on_a_call_keeps_it_and_an_idle_one_goes() -> None:
    acd = build_call_center_acd(config(BASE), random.Random(0))
    acd.login("alice", 0.0)
    acd.login("bob", 0.0)
    acd.enqueue("c1", "support", 1.0)  # only alice serves support
    acd.agent_answered("c1", "alice", 2.0)
    assert acd.agents["alice"].state.value == "on_call"
    without_both = BASE.split("[[agents]]")[0]
    _, changes = reload_acd(acd, config(without_both), 3.0)
    assert changes.agents_removed == ["bob"] and "bob" not in acd.agents
    assert changes.agents_kept == ["alice"]
    assert acd.agents["alice"].call_id == "c1"
    assert not acd.matcher.agent_tiers.get("alice")  # no new calls for her
    # her call ends normally; a later reload drops her
    acd.hangup("c1", 4.0)
    _, later = reload_acd(acd, config(without_both), 5.0)
    assert later.agents_removed == ["alice"] and not acd.agents


def test_a_queue_with_callers_is_kept_until_it_empties() -> None:
    acd = build_call_center_acd(config(BASE), random.Random(0))
    acd.enqueue("c1", "sales", 0.0)
    no_sales = BASE.replace('[[queues]]\nname = "sales"\nwrap_up = 10\n', "").replace(
        '{ queue = "sales" }, ', "").replace('[{ queue = "sales" }]', "[]")
    _, changes = reload_acd(acd, config(no_sales), 1.0)
    assert changes.queues_kept == ["sales"] and "sales" in acd.matcher.queues
    acd.hangup("c1", 2.0)
    _, changes = reload_acd(acd, config(no_sales), 3.0)
    assert changes.queues_removed == ["sales"] and "sales" not in acd.matcher.queues
    assert "sales" not in acd.matcher.lines


def test_default_queue_follows_the_users_when_no_call_center_is_configured() -> None:
    acd = build_call_center_acd(config(""), random.Random(0))
    assert set(acd.agents) == {"1001", "1002", "1003"}
    fewer = parse_config('[sip]\nlisten = ["udp:127.0.0.1:5999"]\n'
                         '[[users]]\nextension = "1001"\npassword = "secret-1001-long"\n'
                         '[[users]]\nextension = "1004"\npassword = "secret-1004-long"\n',
                         "t.toml")
    _, changes = reload_acd(acd, fewer, 1.0)
    assert changes.agents_added == ["1004"]
    assert sorted(changes.agents_removed) == ["1002", "1003"]
    assert set(acd.matcher.tiers["default"]) == {"1001", "1004"}
