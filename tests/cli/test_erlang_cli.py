"""`softswitch erlang`: from figures and from a real SQLite file of events."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from softswitch.cli.erlang import erlang
from softswitch.reports.staffing import Target, needed
from softswitch.storage.database import Database
from tests.reports.day import append_fields, day_events


def test_erlang_c_from_figures_json() -> None:
    # 100 calls per half hour, AHT 180 s: the Call Centre Helper example, 14 agents
    result = CliRunner().invoke(erlang, ["--rate", "200", "--aht", "180", "--target",
                                         "80/20", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["model"] == "Erlang C" and body["load_erlangs"] == 10.0
    assert body["agents_needed"] == 14
    rows = {r["agents"]: r for r in body["rows"]}
    assert sorted(rows) == [13, 14, 15, 16]
    assert rows[14]["service_level"] == pytest.approx(0.888, abs=0.002)
    assert rows[14]["asa"] == pytest.approx(7.8, abs=0.1)
    assert rows[14]["occupancy"] == pytest.approx(0.7143, abs=1e-4)


def test_erlang_a_and_occupancy_cap_table() -> None:
    result = CliRunner().invoke(erlang, ["--rate", "200", "--aht", "180", "--patience",
                                         "120", "--max-occupancy", "0.85"])
    assert result.exit_code == 0, result.output
    assert "Erlang A" in result.output and "abandoned" in result.output
    n = needed(200 / 3600, 180, Target(0.8, 20), patience=120, max_occupancy=0.85)
    assert f"agents needed: {n}" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--aht", "180"], "--rate and --aht"),
    (["--rate", "10", "--aht", "180", "--target", "80"], "80/20"),
    (["--rate", "10", "--aht", "0"], "--aht"),
])
def test_bad_input_is_a_usage_error(args: list[str], message: str) -> None:
    result = CliRunner().invoke(erlang, args)
    assert result.exit_code == 2 and message in result.output


async def _write_day(path: Path) -> None:
    db = await Database.open(path)
    try:
        for event in day_events():
            db.events.append(event.kind, **append_fields(event))
    finally:
        await db.close()


def test_from_history_per_hour(tmp_path: Path) -> None:
    asyncio.run(_write_day(tmp_path / "softswitch.db"))
    result = CliRunner().invoke(erlang, [
        "--from-history", "--data-dir", str(tmp_path), "--from", "2024-03-04T09:00",
        "--to", "2024-03-04T11:00", "--json"])
    assert result.exit_code == 0, result.output
    nine, ten = json.loads(result.output)["intervals"]
    assert nine["interval"] == "2024-03-04T09:00"
    assert (nine["offered"], nine["rate_per_hour"], nine["abandoned"]) == (5, 5.0, 2)
    assert nine["aht"] == pytest.approx(890 / 3, abs=0.01)
    assert nine["patience"] == 111.5                 # (10 + 30 + 3 + 60 + 120) / 2
    assert nine["model"] == "Erlang A"
    assert nine["agents_needed"] == needed(5 / 3600, 890 / 3, Target(0.8, 20),
                                           patience=111.5)
    assert (ten["offered"], ten["aht"], ten["patience"], ten["model"]) == \
        (1, 130.0, None, "Erlang C")
    table = CliRunner().invoke(erlang, [
        "--from-history", "--data-dir", str(tmp_path), "--from", "2024-03-04T09:00",
        "--to", "2024-03-04T11:00"])
    assert table.exit_code == 0 and "2024-03-04T10:00" in table.output
