"""The call-center benchmark's arithmetic and configuration, without running the load."""

from __future__ import annotations

from pathlib import Path

from bench.center_rate import (
    Center,
    call_figures,
    center_config,
    limit,
    make_center,
    percentile,
)
from softswitch.config.loader import parse_config


def _center(tmp_path: Path) -> Center:
    return make_center(tmp_path, agents=3, callers=2)


def test_the_configuration_loads_with_every_agent_in_the_queue(tmp_path: Path) -> None:
    config = parse_config(center_config(_center(tmp_path), 5060), "bench.toml")
    assert [a.extension for a in config.agents] == ["3000", "3001", "3002"]
    assert {t.queue for a in config.agents for t in a.queues} == {"support"}
    [queue] = config.queues
    assert (queue.strategy, queue.wrap_up) == ("longest-idle", 0.0)
    assert [d.number for d in config.dids] == ["5000"]
    menu = config.ivr.flows["main"]["nodes"]["menu"]
    assert menu["choices"] == {"2": "support"}


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def _call(call_id: str, offered: float, choice_at: float, rung_wait: float,
          answered_at: float, ended: float) -> list[tuple[float, str, str, dict[str, object]]]:
    enqueued_at = choice_at
    return [(offered, "call.offered", call_id, {}),
            (offered + 0.4, "call.enqueued", call_id, {"at": enqueued_at}),
            (offered + 0.4, "agent.rung", call_id, {"at": enqueued_at + rung_wait}),
            (offered + 0.4, "ivr.choice", call_id, {"at": choice_at}),
            (offered + 0.45, "call.answered", call_id, {"at": answered_at}),
            (ended, "call.ended", call_id, {})]


def test_figures_pair_each_calls_events_by_call_id(tmp_path: Path) -> None:
    rows = (_call("a", 100.0, 10.0, 0.0, 10.002, 102.45)
            + _call("b", 101.0, 11.0, 0.5, 11.6, 103.45))
    figures = call_figures(rows)
    assert (figures["offered"], figures["enqueued"], figures["answered"]) == (2, 2, 2)
    assert figures["abandoned"] == 0
    assert figures["routing_ms"] == {"p50": 0.0, "p99": 500.0}
    assert figures["key_to_bridge_ms"] == {"p50": 2.0, "p99": 600.0}
    assert figures["invite_to_bridge_ms"] == {"p50": 450.0, "p99": 450.0}
    assert figures["bridged_seconds"] == 4.0
    assert figures["bridged_per_second"] == round(1 / 1.598, 1)


def test_a_caller_never_answered_is_counted_apart(tmp_path: Path) -> None:
    rows = _call("a", 100.0, 10.0, 0.0, 10.002, 102.45)
    rows += [(101.0, "call.offered", "b", {}), (101.4, "call.enqueued", "b", {"at": 11.0}),
             (104.0, "call.abandoned", "b", {}), (104.0, "call.ended", "b", {})]
    figures = call_figures(rows)
    assert (figures["offered"], figures["answered"], figures["abandoned"]) == (2, 1, 1)
    assert figures["bridged_per_second"] is None


def test_limit_names_every_reason_the_rates_stopped() -> None:
    step = {"rate": 60, "calls": 360, "clean": False, "target_alive": True, "failed": 2,
            "exit": 1, "answered": 350, "abandoned": 3, "agent_flows": 350,
            "achieved_per_second": 40.0}
    said = limit([step], capacity=90.9)
    for part in ("2 SIPp calls failed", "10 callers not answered", "3 abandoned",
                 "350 of 360", "40.0/s of 60/s"):
        assert part in said, said
    assert "agents can take" not in said
    assert "agents can take" in limit([step], capacity=50.0)
    assert limit([dict(step, clean=True)], 90.0) == "the highest rate tried"
