"""Start `softswitch serve` as a real process on loopback, on free ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

USERS = {"1001": "secret-1001", "1002": "secret-1002", "1003": "secret-1003"}


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
                return int(port)
    raise RuntimeError("no free port")


def write_config(path: Path, port: int, *, extra: str = "", domain: str = "pbx.test") -> None:
    users = "".join(f'\n[[users]]\nextension = "{ext}"\npassword = "{pw}"\nname = "User {ext}"\n'
                    for ext, pw in USERS.items())
    path.write_text(
        f'[sip]\nlisten = ["udp:127.0.0.1:{port}", "tcp:127.0.0.1:{port}"]\n'
        f'domain = "{domain}"\nmin_expires = 1\n{extra}\n{users}')


@dataclass
class SwitchProcess:
    data_dir: Path
    port: int
    prefix: list[str] = field(default_factory=list)  # e.g. ["ip", "netns", "exec", NS]
    host: str = "127.0.0.1"
    process: subprocess.Popen[str] | None = None
    log_path: Path | None = None

    @property
    def config_path(self) -> Path:
        return self.data_dir / "softswitch.toml"

    def start(self, timeout: float = 15.0) -> None:
        self.log_path = self.data_dir / "switch.log"
        log = open(self.log_path, "a")  # noqa: SIM115 - the child keeps it
        cmd = [*self.prefix, sys.executable, "-m", "softswitch.cli.main", "serve",
               "--config", str(self.config_path), "--data-dir", str(self.data_dir),
               "--log-level", "debug"]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True,
                                        env=env)
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"switch exited early:\n{self.log()}")
            if line.strip() == "softswitch ready":
                return
        raise RuntimeError(f"switch not ready in {timeout} s:\n{self.log()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int:
        if self.process is None:
            return 0
        self.process.terminate()
        try:
            code = self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(5)
        self.process = None
        return code

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""


def sipp_path() -> str | None:
    return shutil.which("sipp")
