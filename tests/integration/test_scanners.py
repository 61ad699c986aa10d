"""What attackers run against every SIP server, pointed at a running switch on loopback."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.integration.switch_process import SwitchProcess, free_port, write_config

#: the right password sits in the middle of the word list, well after the fifth guess
PASSWORD_LIST = [str(n) for n in range(7300, 7331)]
RIGHT = "7319"


def _svcrack(port: int, work: Path) -> str:
    if shutil.which("svcrack") is None:
        pytest.fail("svcrack is missing: the test command installs Debian's sipvicious")
    words = work / "words.txt"
    words.write_text("\n".join(PASSWORD_LIST) + "\n")
    proc = subprocess.Popen(
        ["svcrack", "-u", "1009", "-d", str(words), "127.0.0.1", "-p", str(port),
         "--maximumtime=2"], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output = proc.communicate(timeout=40)[0]
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=10)[0]
    return output.decode(errors="replace")


def _start(tmp_path: Path, security: str) -> SwitchProcess:
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    write_config(data / "softswitch.toml", port,
                 extra=f'\n[security]\n{security}\n\n[[users]]\nextension = "1009"\n'
                       f'password = "{RIGHT}"\n')
    switch = SwitchProcess(data, port)
    switch.start()
    return switch


@pytest.mark.parametrize("throttled", [True, False], ids=["throttled", "control"])
def test_svcrack_makes_no_progress(tmp_path: Path, throttled: bool) -> None:
    switch = _start(tmp_path, "auth_failures = 5" if throttled else "auth_failures = 100000")
    try:
        output = _svcrack(switch.port, tmp_path)
        assert switch.alive(), switch.log()[-3000:]
    finally:
        switch.stop()
    found = f"| {RIGHT}" in output
    if throttled:
        assert not found, output
    else:  # the same run without the throttle finds it: the throttle is what stops it
        assert found, output


def test_svwar_cannot_tell_extensions_apart(switch: SwitchProcess, tmp_path: Path) -> None:
    """Every extension, real or not, gets the same challenge: svwar finds nothing."""
    if shutil.which("svwar") is None:
        pytest.fail("svwar is missing: the test command installs Debian's sipvicious")
    for method in ("REGISTER", "INVITE", "OPTIONS"):
        proc = subprocess.run(["svwar", "-e1000-1010", "-m", method, "127.0.0.1", "-p",
                               str(switch.port)], capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)
        output = proc.stdout + proc.stderr
        assert "1001" not in output and "1002" not in output, output
    assert switch.alive()
