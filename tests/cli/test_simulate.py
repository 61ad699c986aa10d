"""`softswitch simulate`: a synthetic load, and a replay of a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from softswitch.cli.simulate import simulate_command
from softswitch.reports.erlang import service_level
from softswitch.reports.simulate import Scenario, simulate, synthetic
from softswitch.storage.database import Database
from tests.reports.day import T0, append_fields, day_events


def test_synthetic_load_prints_the_simulated_and_the_erlang_figures() -> None:
    result = CliRunner().invoke(simulate_command, [
        "--rate", "60", "--aht", "180", "--agents", "5", "--hours", "40", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["mode"] == "synthetic" and body["callers"] > 2000
    assert body["theory"]["service_level"] == round(service_level(60 / 3600, 180, 5, 20), 4)
    assert body["simulated"]["service_level"] == pytest.approx(
        body["theory"]["service_level"], abs=0.05)
    table = CliRunner().invoke(simulate_command, [
        "--rate", "60", "--aht", "180", "--agents", "5", "--hours", "2", "--patience", "60"])
    assert table.exit_code == 0 and "Erlang A" in table.output


async def _write(path: Path, events: list) -> None:  # type: ignore[type-arg]
    db = await Database.open(path)
    try:
        for event in events:
            db.events.append(event.kind, **append_fields(event))
    finally:
        await db.close()


def test_replay_of_a_stored_simulated_day_gives_back_its_figures(tmp_path: Path) -> None:
    # a simulated morning stored like the switch stores it, then replayed by the command
    scenario = Scenario(agents=6, wrap_up=12.0)
    original = simulate(synthetic(6 / 180, 160.0, 7200, patience=100.0, seed=2), scenario,
                        7200, origin=T0)
    asyncio.run(_write(tmp_path / "softswitch.db", original.events))
    result = CliRunner().invoke(simulate_command, [
        "--replay", "--data-dir", str(tmp_path), "--from", "2024-03-04T09:00",
        "--to", "2024-03-04T11:00", "--wrap-up", "12", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["scenario"]["agents"] == 6          # the agents logged in that morning
    recorded, simulated = body["recorded"], body["simulated"]
    assert recorded["offered"] == original.total.offered
    for key in ("offered", "answered", "abandoned", "service_level", "asa"):
        assert simulated[key] == pytest.approx(recorded[key]), key
    # with two more agents the same callers would have done better
    better = json.loads(CliRunner().invoke(simulate_command, [
        "--replay", "--data-dir", str(tmp_path), "--from", "2024-03-04T09:00",
        "--to", "2024-03-04T11:00", "--agents", "8", "--json"]).output)
    assert better["simulated"]["abandoned"] < recorded["abandoned"]


def test_replay_of_the_hand_built_day(tmp_path: Path) -> None:
    asyncio.run(_write(tmp_path / "softswitch.db", day_events()))
    result = CliRunner().invoke(simulate_command, [
        "--replay", "--data-dir", str(tmp_path), "--from", "2024-03-04T09:00",
        "--to", "2024-03-04T11:00"])
    assert result.exit_code == 0, result.output
    assert "2 agents" in result.output and "recorded" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--rate", "60"], "--rate and --aht"),
    (["--rate", "60", "--aht", "100"], "--agents"),
    (["--rate", "60", "--aht", "100", "--agents", "2", "--answer-delay", "25"],
     "ring timeout"),
])
def test_bad_input_is_a_usage_error(args: list[str], message: str) -> None:
    result = CliRunner().invoke(simulate_command, args)
    assert result.exit_code == 2 and message in result.output
