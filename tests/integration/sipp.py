"""Run SIPp scenarios against the switch and report what happened."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.switch_process import free_port

SCENARIOS = Path(__file__).parent / "scenarios"


@dataclass
class SippResult:
    returncode: int
    stdout: str
    stderr: str
    errors: str

    def explain(self) -> str:
        return f"sipp exit {self.returncode}\n{self.stdout[-3000:]}\n{self.stderr[-2000:]}\n" \
               f"errors:\n{self.errors[-4000:]}"


def require_sipp() -> str:
    path = shutil.which("sipp")
    if path is None:
        pytest.fail("sipp is missing: the test command installs Debian's sip-tester")
    return path


def run_sipp(scenario: str | Path, port: int, work: Path, *, service: str = "1001",
             user: str | None = None, password: str | None = None, calls: int = 1,
             rate: float = 10, transport: str = "u1", local_port: int | None = None,
             extra: tuple[str, ...] = (), timeout: float = 60, prefix: tuple[str, ...] = (),
             substitutions: dict[str, str] | None = None) -> SippResult:
    sipp = require_sipp()
    path = Path(scenario) if Path(scenario).is_absolute() else SCENARIOS / scenario
    if substitutions:
        text = path.read_text()
        for key, value in substitutions.items():
            text = text.replace(key, value)
        path = work / f"{path.stem}-{free_port()}.xml"
        path.write_text(text)
    error_file = work / f"sipp-errors-{free_port()}.log"
    cmd = [*prefix, sipp, "-sf", str(path), f"127.0.0.1:{port}", "-i", "127.0.0.1",
           "-p", str(local_port or free_port()), "-s", service, "-m", str(calls),
           "-r", str(rate), "-t", transport, "-nostdin", "-timeout", f"{int(timeout)}s",
           "-timeout_error", "-trace_err", "-error_file", str(error_file),
           "-cp", str(free_port()), "-max_recv_loops", "1000", *extra]
    if user is not None:
        cmd += ["-au", user, "-ap", password or ""]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 30,
                          cwd=work)
    errors = error_file.read_text(errors="replace") if error_file.exists() else ""
    return SippResult(proc.returncode, proc.stdout, proc.stderr, errors)
