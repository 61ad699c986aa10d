"""A headless baresip registered to the switch: its config written here (the recipe of
PEERS.md: audio from a WAV file, what it receives recorded by sndfile into rec/,
control over ctrl_tcp), started as a real process and driven through `Control`."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from tests.integration.baresip.audio import Window, read_samples, windows
from tests.integration.baresip.control import Control, ControlError, Message
from tests.integration.switch_process import free_port

MODULES = ("g711.so", "aufile.so", "alsa.so", "sndfile.so")


def require_baresip() -> str:
    path = shutil.which("baresip")
    if path is None:
        pytest.skip("baresip is not installed (Debian package baresip-core)")
    return path


def write_config(directory: Path, *, sip_port: int, ctrl_port: int, account: str,
                 source: Path, apps: tuple[str, ...] = (),
                 contacts: tuple[str, ...] = ()) -> None:
    """The config of ../shared/peers/baresip/mkcfg.sh, with optional app modules
    (mwi.so, presence.so) and RTP ports drawn away from the switch's range."""
    rtp_low = 40000 + 2 * random.randrange(0, 9000)
    (directory / "rec").mkdir(parents=True, exist_ok=True)
    lines = [
        ("poll_method", "epoll"), ("sip_listen", f"127.0.0.1:{sip_port}"),
        ("net_interface", "127.0.0.1"), ("call_local_timeout", "120"),
        ("call_max_calls", "4"), ("audio_player", "alsa,null"),
        ("audio_source", f"aufile,{source}"), ("audio_alert", "alsa,null"),
        ("ausrc_srate", "8000"), ("ausrc_channels", "1"), ("auplay_srate", "8000"),
        ("auplay_channels", "1"), ("audio_buffer", "20-160"),
        ("rtp_ports", f"{rtp_low}-{rtp_low + 99}"), ("jitter_buffer_delay", "5-10"),
        ("rtp_stats", "yes"), ("module_path", "/usr/lib/baresip/modules"),
        *(("module", name) for name in MODULES),
        # before the accounts: mwi.so's start-up timer (1 ms) must fire before the
        # first REGISTER_OK, or it re-subscribes in an endless loop (baresip 1.0)
        *(("module", name) for name in apps),
        ("module_tmp", "uuid.so"), ("module_tmp", "account.so"),
        ("module_app", "menu.so"), ("module_app", "ctrl_tcp.so"),
        ("ctrl_tcp_listen", f"127.0.0.1:{ctrl_port}"), ("snd_path", str(directory / "rec")),
    ]
    (directory / "config").write_text("".join(f"{k}\t\t{v}\n" for k, v in lines))
    (directory / "accounts").write_text(account + "\n")
    (directory / "contacts").write_text("".join(line + "\n" for line in contacts))


@dataclass
class Baresip:
    """One running baresip: its commands, its events, its recordings."""

    extension: str
    directory: Path
    sip_port: int
    process: subprocess.Popen[bytes]
    control: Control
    log_path: Path
    calls: list[str] = field(default_factory=list)

    def command(self, command: str, params: str = "") -> Message:
        answer = self.control.command(command, params)
        if not answer.get("ok"):
            raise ControlError(f"{self.extension}: {command} {params} failed: {answer}")
        return answer

    def dial(self, number: str, switch_port: int) -> None:
        self.command("dial", f"sip:{number}@127.0.0.1:{switch_port}")

    def wait_event(self, kind: str, timeout: float = 10.0, *, after: int = 0,
                   param: str | None = None) -> Message:
        try:
            return self.control.wait_event(kind, timeout, after=after, param=param)
        except ControlError as error:
            raise AssertionError(f"{self.extension}: {error}\n{self.log()[-3000:]}") from None

    def registration(self) -> str:
        """OK, ERR or the empty string (not yet known), from `reginfo` rather than
        REGISTER_OK, as PEERS.md advises."""
        data = str(self.control.command("reginfo").get("data", ""))
        words = re.sub(r"\x1b\[[0-9;]*m", " ", data).split()
        return next((w for w in words if w in ("OK", "ERR")), "")

    def recordings(self, kind: str = "dec") -> list[Path]:
        """What it received (dec) or sent (enc), one WAV file per call, oldest first."""
        return sorted((self.directory / "rec").glob(f"dump-*-{kind}.wav"))

    def heard(self, timeout: float = 5.0) -> list[Window]:
        """The windows of what it received, once baresip has closed the file(s) (one
        per call; several files of one call, should it start a new one, are joined)."""
        deadline = time.monotonic() + timeout
        while True:
            files = self.recordings()
            parts = [read_samples(path) for path in files]
            if parts and all(len(part) for part in parts):
                return windows(np.concatenate(parts))
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.extension} recorded {files} "
                                     f"({[len(p) for p in parts]} samples):\n"
                                     f"{self.log()[-3000:]}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        try:
            self.control.command("quit", timeout=2)
        except (ControlError, OSError):
            pass
        try:
            self.process.wait(2)  # it unregisters first, if the switch answers
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(1)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(3)
        self.control.close()


@contextmanager
def baresip_phone(work: Path, switch_port: int, extension: str, password: str, source: Path,
                  *, auto_answer: bool = False, apps: tuple[str, ...] = (),
                  contacts: tuple[str, ...] = (),
                  lifetime: float = 60.0, register_timeout: float = 10.0,
                  ) -> Iterator[Baresip]:
    """A baresip registered as `extension`, sending `source` (8 kHz mono WAV) in calls;
    with `register_timeout=0` it is handed over at once, registered or not."""
    binary = require_baresip()
    directory = work / f"baresip-{extension}"
    sip_port, ctrl_port = free_port(), free_port()
    account = (f"<sip:{extension}@127.0.0.1:{switch_port};transport=udp>;"
               f"auth_pass={password};regint=60;audio_codecs=PCMU,PCMA")
    if auto_answer:
        account += ";answermode=auto"
    write_config(directory, sip_port=sip_port, ctrl_port=ctrl_port, account=account,
                 source=source, apps=apps, contacts=contacts)
    log_path = directory / "baresip.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([binary, "-f", str(directory), "-t", str(int(lifetime))],
                                   stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        control = Control(ctrl_port)
    except ControlError:
        process.kill()
        process.wait(3)
        raise AssertionError(f"baresip {extension} did not start:\n"
                             f"{log_path.read_text(errors='replace')}") from None
    phone = Baresip(extension, directory, sip_port, process, control, log_path)
    try:
        deadline = time.monotonic() + register_timeout
        while register_timeout and phone.registration() != "OK":
            if time.monotonic() > deadline:
                raise AssertionError(f"baresip {extension} did not register:\n{phone.log()}")
            time.sleep(0.05)
        yield phone
    finally:
        phone.stop()
