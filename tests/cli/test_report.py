"""`softswitch report` against a real SQLite file written by the storage layer."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from softswitch.cli.report import report
from softswitch.storage.database import Database
from tests.reports.day import append_fields, day_events


async def _write_day(path: Path) -> None:
    db = await Database.open(path)
    try:
        for event in day_events():
            db.events.append(event.kind, **append_fields(event))
    finally:
        await db.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("data")
    asyncio.run(_write_day(directory / "softswitch.db"))
    return directory


def _run(data_dir: Path, *args: str) -> str:
    result = CliRunner().invoke(report, ["--data-dir", str(data_dir), "--from", "2024-03-04",
                                         *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_json_has_the_hand_computed_figures_and_the_formulas(data_dir: Path) -> None:
    body = json.loads(_run(data_dir, "--format", "json"))
    assert "answered within T" in body["definitions"]["service_level"]
    queues = {row["queue"]: row for row in body["queues"]}
    assert queues["sales"]["offered"] == 4
    assert queues["sales"]["service_level"] == round(1 / 3, 4)
    assert queues["sales"]["asa"] == 20.0
    assert queues["sales"]["aht"] == 280.0
    assert queues["sales"]["satisfaction_counts"] == {"3": 1, "5": 1}
    agents = {row["agent"]: row for row in body["agents"]}
    assert agents["a2"]["transferred"] == 1
    assert agents["a2"]["utilisation"] == round(330 / 7200, 4)
    status = [(r["agent"], r["status"], r["reason"], r["seconds"]) for r in body["status"]]
    assert ("a2", "on_break", "lunch", 1800.0) in status


def test_csv_per_hour_for_one_queue(data_dir: Path) -> None:
    text = _run(data_dir, "--format", "csv", "--interval", "1h", "--queue", "support",
                "--section", "queues")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["queue"], r["interval"], r["offered"]) for r in rows] == [
        ("support", "2024-03-04T09:00", "1"), ("support", "2024-03-04T10:00", "1"),
        ("*", "2024-03-04T09:00", "1"), ("*", "2024-03-04T10:00", "1")]
    assert rows[0]["service_level"] == "0.0"
    assert rows[1]["service_level"] == ""       # nothing answered or abandoned


def test_table_shows_service_level_and_its_formula(data_dir: Path) -> None:
    text = _run(data_dir, "--agent", "a1")
    assert "33.3%" in text                      # sales service level
    assert "answered within T / (answered + abandoned - short abandons)" in text
    assert "a1" in text and "a2" not in text


def test_an_empty_period_gives_empty_sections(data_dir: Path) -> None:
    body = json.loads(CliRunner().invoke(report, [
        "--data-dir", str(data_dir), "--from", "2024-03-05", "--format", "json"]).output)
    assert body["queues"] == [] and body["agents"] == []   # everyone logged out


def test_missing_database_and_bad_dates_get_a_clear_answer(tmp_path: Path) -> None:
    result = CliRunner().invoke(report, ["--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "no database" in result.output
    result = CliRunner().invoke(report, ["--data-dir", str(tmp_path), "--from", "monday"])
    assert result.exit_code == 2 and "not a date" in result.output
    result = CliRunner().invoke(report, ["--data-dir", str(tmp_path), "--from",
                                         "2024-03-04", "--to", "2024-03-03"])
    assert result.exit_code == 2 and "must be after" in result.output
