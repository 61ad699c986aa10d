"""Voicemail end to end over loopback: a SIPp caller left unanswered by 1002's ringing
SIPp phone is answered by 1002's mailbox, hears the greeting, speaks and presses #; the
WAV is on disk with about the right length; 1002's SIPp lamp subscriber sees 0, then 1
new message; 1002 dials *97, enters its PIN, hears the message and deletes it; the lamp
goes out."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.call_tools import sipp_callee
from tests.integration.sipp import SCENARIOS, require_sipp, run_sipp
from tests.integration.switch_process import USERS, SwitchProcess, free_port, write_config
from tests.integration.test_trunks_sipp import RTP_WIDTH, free_rtp_range

PIN = "4321"


@contextmanager
def voicemail_switch(tmp_path: Path, ring_timeout: float = 2.0) -> Iterator[SwitchProcess]:
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    config = data / "softswitch.toml"
    write_config(config, port)
    text = config.read_text()
    user = 'extension = "1002"\n'
    assert text.count(user) == 1
    config.write_text(text.replace(user, f'{user}voicemail = true\nvoicemail_pin = "{PIN}"\n'))
    low = free_rtp_range()
    saved = {k: os.environ.get(k) for k in ("SOFTSWITCH_RING_TIMEOUT", "SOFTSWITCH_RTP_PORTS")}
    os.environ["SOFTSWITCH_RING_TIMEOUT"] = str(ring_timeout)
    os.environ["SOFTSWITCH_RTP_PORTS"] = f"{low}-{low + RTP_WIDTH - 1}"
    proc = SwitchProcess(data, port)
    try:
        proc.start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        yield proc
        assert proc.alive(), f"the switch died during the test:\n{proc.log()}"
    finally:
        proc.stop()


def _events(switch: SwitchProcess, prefix: str) -> list[str]:
    conn = sqlite3.connect(switch.data_dir / "softswitch.db")
    try:
        return [row[0] for row in conn.execute(
            "SELECT kind FROM events WHERE kind LIKE ? ORDER BY seq", (prefix + "%",))]
    finally:
        conn.close()


def _rtp_counter() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


def _received(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            sock.recvfrom(2048)
        except BlockingIOError:
            return count
        count += 1


def _wait(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():  # type: ignore[operator]
        time.sleep(0.1)


def test_voicemail_left_heard_deleted_with_the_lamp_following(tmp_path: Path) -> None:
    with voicemail_switch(tmp_path) as switch:
        errors = tmp_path / "lamp-errors.log"
        lamp = subprocess.Popen(
            [require_sipp(), "-sf", str(SCENARIOS / "vm_subscriber.xml"),
             f"127.0.0.1:{switch.port}", "-i", "127.0.0.1", "-p", str(free_port()),
             "-s", "1002", "-au", "1002", "-ap", USERS["1002"], "-m", "1", "-nostdin",
             "-cp", str(free_port()), "-timeout", "60s", "-timeout_error", "-trace_err",
             "-error_file", str(errors)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        try:
            _wait(lambda: "subscription.started" in _events(switch, "subscription."), 10)
            # the caller's SDP names a socket of ours: what the switch plays comes here
            heard = _rtp_counter()
            with heard, sipp_callee(switch, tmp_path, "call_callee_rings.xml"):
                result = run_sipp(
                    "vm_caller.xml", switch.port, tmp_path, service="1002", user="1001",
                    password=USERS["1001"], timeout=40,
                    substitutions={"m=audio [media_port]":
                                   f"m=audio {heard.getsockname()[1]}"})
                assert result.returncode == 0, result.explain()
                greeting = _received(heard)
            # greeting + beep are about 4.5 s: 225 packets of 20 ms, less what was cut
            assert greeting > 150, greeting
            _wait(lambda: list((switch.data_dir / "voicemail" / "1002").glob("*.wav")), 5)
            (path,) = (switch.data_dir / "voicemail" / "1002").glob("*.wav")
            with wave.open(str(path)) as wav:
                seconds = wav.getnframes() / wav.getframerate()
                assert (wav.getframerate(), wav.getnchannels()) == (8000, 1)
            assert 6.0 <= seconds <= 10.0, seconds  # 7 s spoken, then the # a little after

            listening = _rtp_counter()
            with listening:
                result = run_sipp(
                    "vm_review.xml", switch.port, tmp_path, service="*97", user="1002",
                    password=USERS["1002"], timeout=40,
                    substitutions={"m=audio [media_port]":
                                   f"m=audio {listening.getsockname()[1]}",
                                   "sip:1001@pbx.test": "sip:1002@pbx.test"})
                assert result.returncode == 0, result.explain()
                played = _received(listening)
            # the PIN prompt until the first key (then the switch latches onto the RTP
            # source, SIPp's own port: the rest is heard there)
            assert played > 30, played
            out, err = lamp.communicate(timeout=20)
        finally:
            if lamp.poll() is None:
                lamp.kill()
                lamp.communicate()
        log = errors.read_text(errors="replace") if errors.exists() else ""
        assert lamp.returncode == 0, f"{out[-2000:]}\n{err[-2000:]}\n{log[-3000:]}"
        _wait(lambda: not path.exists(), 5)
        assert not path.exists()  # deleted with its message
        want = ["voicemail.deposit", "voicemail.left", "voicemail.ended", "voicemail.review",
                "voicemail.played", "voicemail.deleted", "voicemail.ended"]
        _wait(lambda: len(_events(switch, "voicemail.")) >= len(want), 5)  # written behind
        kinds = _events(switch, "voicemail.")
        assert kinds == ["voicemail.deposit", "voicemail.left", "voicemail.ended",
                         "voicemail.review", "voicemail.played", "voicemail.deleted",
                         "voicemail.ended"], kinds
