"""A queue's configured handle time lets a fresh switch announce a wait (issue: callers
heard their place but never a wait until ten calls had been measured)."""

from __future__ import annotations

import random

from softswitch.acd.config import build_acd
from softswitch.config import parse_config

CONFIG = """
[[users]]
extension = "1000"
password = "x"

[[queues]]
name = "support"
handle_time = {handle_time}

[[agents]]
id = "a1000"
extension = "1000"
queues = [{{ queue = "support" }}]
"""


def _wait(handle_time: float) -> float | None:
    config = parse_config(CONFIG.format(handle_time=handle_time), "x.toml")
    acd = build_acd(config, random.Random(1))
    acd.login("a1000", 0.0)
    acd.enqueue("c1", "support", 0.0)  # rung at once: the agent is busy now
    acd.agent_answered("c1", "a1000", 1.0)
    acd.enqueue("c2", "support", 2.0)
    return acd.expected_wait("c2", 2.0)


def test_configured_handle_time_gives_an_estimate_before_any_call_is_measured() -> None:
    assert _wait(0) is None  # nothing trustworthy: say nothing
    wait = _wait(180)
    assert wait is not None and 0 < wait <= 180
