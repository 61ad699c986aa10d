"""`softswitch config reload` asks the running switch to re-read its file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.control.harness import LoopSwitch, invoke


@pytest.fixture(scope="module")
def running() -> Iterator[LoopSwitch]:
    switch = LoopSwitch()
    yield switch
    switch.stop()


def test_reload_applies_a_good_file_and_refuses_a_broken_one(running: LoopSwitch) -> None:
    path = Path(running.switch.config.source)
    good = path.read_text()
    path.write_text(good + '\n[[users]]\nextension = "4001"\npassword = "pw-4001"\n')
    result = invoke(running, "config", "reload")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("reloaded\n") and "added_users: 4001" in result.output
    assert running.switch.passwords["4001"] == "pw-4001"  # type: ignore[attr-defined]
    path.write_text(good + "\nbogus = 1\n")
    result = invoke(running, "config", "reload")
    assert result.exit_code == 1
    assert "config_invalid" in result.output and "bogus: unknown key" in result.output
    assert running.switch.passwords["4001"] == "pw-4001"  # type: ignore[attr-defined]
    path.write_text(good)
