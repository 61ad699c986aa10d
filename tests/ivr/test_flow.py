"""Flow validation names the node and the key of every mistake."""

from __future__ import annotations

import copy
import tomllib

from softswitch.ivr.demo import DEMO_FLOW
from softswitch.ivr.flow import validate_flow

TOML_FLOW = """
start = "main"

[nodes.main]
type = "menu"
prompts = ["main-menu"]
choices = { "1" = "ask", "0" = "bye" }

[nodes.ask]
type = "collect"
prompts = ["enter-account"]
var = "account"
max_digits = 6
terminator = "#"
next = "q"

[nodes.q]
type = "queue"
queue = "support"

[nodes.bye]
type = "hangup"
"""


def test_demo_and_toml_flows_are_valid() -> None:
    assert validate_flow(DEMO_FLOW) == []
    assert validate_flow(tomllib.loads(TOML_FLOW)) == []


def test_every_mistake_is_reported_with_node_and_key() -> None:
    flow = copy.deepcopy(DEMO_FLOW)
    flow["start"] = "nowhere"
    flow["nodes"]["main"]["choices"]["12"] = "sales"
    flow["nodes"]["main"]["choices"]["3"] = "ghost"
    flow["nodes"]["main"]["timeout"] = -1
    flow["nodes"]["language"]["choices"]["3"] = "fr"
    flow["nodes"]["hours"]["timezone"] = "Mars/Olympus"
    flow["nodes"]["hours"]["schedule"]["mon"] = ["18:00-09:00"]
    flow["nodes"]["hours"]["schedule"]["funday"] = ["09:00-10:00"]
    flow["nodes"]["hours"]["holidays"] = ["2026-13-01"]
    flow["nodes"]["sales"]["skills"] = {"sales": 11}
    flow["nodes"]["sales"]["colour"] = "blue"
    flow["nodes"]["operator"] = {"type": "teleport"}
    del flow["nodes"]["sales-queue"]["queue"]
    errors = validate_flow(flow)
    expected = [
        "flow: key 'start'",
        "node 'main': key 'choices.12'",
        "node 'main': key 'choices.3': 'ghost' is not a node",
        "node 'main': key 'timeout'",
        "node 'language': key 'choices.3': language 'fr'",
        "node 'hours': key 'timezone'",
        "node 'hours': key 'schedule.mon'",
        "node 'hours': key 'schedule.funday'",
        "node 'hours': key 'holidays'",
        "node 'sales': key 'skills'",
        "node 'sales': key 'colour': not a key of a set node",
        "node 'operator': key 'type'",
        "node 'sales-queue': key 'queue': missing",
    ]
    for prefix in expected:
        assert any(e.startswith(prefix) for e in errors), (prefix, errors)
    assert len(errors) == len(expected), errors


def test_collect_limits() -> None:
    flow = tomllib.loads(TOML_FLOW)
    flow["nodes"]["ask"]["min_digits"] = 9
    flow["nodes"]["ask"]["terminator"] = "x"
    errors = validate_flow(flow)
    assert any("'min_digits'" in e for e in errors)
    assert any("'terminator'" in e for e in errors)


def test_not_a_flow_at_all() -> None:
    assert validate_flow([]) == ["flow: must be a table with 'start' and 'nodes'"]
    assert validate_flow({"start": "x"})[0].startswith("flow: key 'nodes'")
    assert validate_flow({"start": "a", "nodes": {"a": "play"}}) == ["node 'a': must be a table"]
