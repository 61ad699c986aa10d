"""`softswitch user add|list|change|remove` edit the file and apply it at once."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.control.harness import LoopSwitch, invoke


@pytest.fixture(scope="module")
def running() -> Iterator[LoopSwitch]:
    switch = LoopSwitch()
    yield switch
    switch.stop()


def test_add_list_change_remove(running: LoopSwitch) -> None:
    path = Path(running.switch.config.source)
    os.chmod(path, 0o600)
    result = invoke(running, "user", "add", "3001", "--password", "pw-3001", "--name", "Bo")
    assert result.exit_code == 0, result.output
    assert result.output == f"added 3001; 4 users in {path}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert running.switch.passwords["3001"] == "pw-3001"  # type: ignore[attr-defined]
    listed = json.loads(invoke(running, "user", "list", "--json").output)
    assert {"extension": "3001", "name": "Bo"} in listed
    assert "Bo" in invoke(running, "user", "list").output
    assert invoke(running, "user", "change", "3001", "--password", "pw-2").exit_code == 0
    assert running.switch.passwords["3001"] == "pw-2"  # type: ignore[attr-defined]
    result = invoke(running, "user", "add", "3001", "--password", "x")
    assert (result.exit_code, result.output) == \
        (1, "error (refused): extension 3001 already exists\n")
    result = invoke(running, "user", "add", "30a1", "--password", "x")
    assert result.exit_code == 1
    assert result.output.startswith("error (config_invalid):")
    assert "'30a1' is not an extension" in result.output
    assert invoke(running, "user", "remove", "3001").exit_code == 0
    assert "3001" not in path.read_text()
    assert running.switch.config.user("3001") is None
