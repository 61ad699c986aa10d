"""`softswitch agent ...` through click against a running switch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from softswitch.cli.main import main
from tests.control.harness import LoopSwitch, short_data_dir


@pytest.fixture(scope="module")
def running() -> Iterator[LoopSwitch]:
    switch = LoopSwitch()
    yield switch
    switch.stop()


def cli(running: LoopSwitch, *args: str) -> Any:
    return running.blocking(CliRunner().invoke, main,
                            [*args, "--data-dir", str(running.data_dir)])


def test_login_pause_resume_logout_show_in_status_and_event_log(
        running: LoopSwitch) -> None:
    result = cli(running, "agent", "login", "1001", "--queue", "default")
    assert result.exit_code == 0, result.output
    assert result.output == "agent 1001: available, idle\n"
    result = cli(running, "agent", "pause", "1001", "--reason", "lunch", "--json")
    assert json.loads(result.output)["status"] == "on_break"
    result = cli(running, "agent", "status", "1001", "--json")
    status = json.loads(result.output)
    assert (status["status"], status["reason"], status["queues"]) == \
        ("on_break", "lunch", ["default"])
    result = cli(running, "agent", "status")
    assert result.exit_code == 0
    assert "on_break (lunch)" in result.output and "1002" in result.output
    assert cli(running, "agent", "resume", "1001").output == "agent 1001: available, idle\n"
    assert cli(running, "agent", "logout", "1001").output == \
        "agent 1001: logged_out, idle\n"

    async def changes() -> list[tuple[str | None, str]]:
        events = running.switch.database.events  # type: ignore[union-attr]
        return [(e.agent, e.data["to"]) async for e in events.read(kinds=["agent.status"])]
    assert running.run(changes())[-4:] == [("1001", "available"), ("1001", "on_break"),
                                           ("1001", "available"), ("1001", "logged_out")]


def test_refusals_and_unknown_agents_are_plain_errors(running: LoopSwitch) -> None:
    result = cli(running, "agent", "resume", "1002")
    assert result.exit_code == 1
    assert result.output.startswith("error (refused): agent 1002: status is logged_out")
    result = cli(running, "agent", "login", "7777")
    assert result.exit_code == 1
    assert "error (not_found): no agent '7777'" in result.output
    assert "Traceback" not in result.output


def test_every_command_says_plainly_when_the_switch_is_not_running() -> None:
    empty = short_data_dir()
    for args in (["agent", "status"], ["agent", "login", "1001"], ["queue", "status"],
                 ["calls"], ["user", "list"], ["user", "remove", "1001"],
                 ["wallboard", "--once"]):
        result = CliRunner().invoke(main, [*args, "--data-dir", str(empty)])
        assert result.exit_code == 1, (args, result.output)
        assert result.output == ("softswitch is not running (no control socket at "
                                 f"{empty / 'control.sock'})\n"), args
