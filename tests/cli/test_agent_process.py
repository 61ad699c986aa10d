"""The CLI against `softswitch serve` running as its own process, as an operator uses it."""

from __future__ import annotations

import json

from click.testing import CliRunner

from softswitch.cli.main import main
from tests.control.harness import short_data_dir
from tests.integration.switch_process import SwitchProcess, free_port, write_config


def test_agent_and_wallboard_against_a_served_switch() -> None:
    data = short_data_dir()
    port = free_port()
    write_config(data / "softswitch.toml", port)
    switch = SwitchProcess(data, port)
    switch.start()
    try:
        runner = CliRunner()
        result = runner.invoke(main, ["agent", "login", "1002", "--data-dir", str(data)])
        assert (result.exit_code, result.output) == (0, "agent 1002: available, idle\n")
        result = runner.invoke(main, ["agent", "status", "--json", "--data-dir", str(data)])
        statuses = {a["agent"]: a["status"] for a in json.loads(result.output)}
        assert statuses == {"1001": "logged_out", "1002": "available", "1003": "logged_out"}
        result = runner.invoke(main, ["wallboard", "--once", "--width", "160",
                                      "--data-dir", str(data)])
        assert result.exit_code == 0, result.output
        assert "default" in result.output
    finally:
        assert switch.stop() == 0
    assert not (data / "control.sock").exists()
    result = CliRunner().invoke(main, ["agent", "status", "--data-dir", str(data)])
    assert result.exit_code == 1 and "softswitch is not running" in result.output
