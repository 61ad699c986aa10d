"""The switch's own ringback through a running switch (`[calls] ringback = "switch"`):
a SIPp callee that only sends 180 for 1.5 s, a SIPp caller whose media is a Python
RTP phone. The phone hears the switch's 425 Hz tone before the 200 and, once bridged to
the callee (which echoes the phone's silence), no tone at all."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from tests.integration.call_tools import cdrs, events, sipp_callee, wait_for_idle
from tests.integration.rtp_phone import RtpPhone
from tests.integration.sipp import run_sipp
from tests.integration.switch_process import USERS, SwitchProcess, free_port, write_config

IDLE = {"calls": 0, "legs": 0, "dialogs": 0, "rtp_ports_in_use": 0, "media_legs": 0}


@contextmanager
def ringback_switch(tmp_path: Path) -> Iterator[SwitchProcess]:
    """A `softswitch serve` that plays its own ringback, on its own RTP port range."""
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    write_config(data / "softswitch.toml", port, extra='[calls]\nringback = "switch"\n')
    low = 20000 + 2 * random.randrange(0, 4500)
    saved = os.environ.get("SOFTSWITCH_RTP_PORTS")
    os.environ["SOFTSWITCH_RTP_PORTS"] = f"{low}-{low + 999}"
    proc = SwitchProcess(data, port)
    try:
        proc.start()
    finally:
        if saved is None:
            os.environ.pop("SOFTSWITCH_RTP_PORTS", None)
        else:
            os.environ["SOFTSWITCH_RTP_PORTS"] = saved
    try:
        yield proc
        assert proc.alive(), f"the switch died during the test:\n{proc.log()}"
    finally:
        proc.stop()


def _peak_hz(phone: RtpPhone, since: float, until: float) -> float:
    chunks = [s for t, s in list(phone.received) if since <= t < until]
    audio = np.concatenate(chunks).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(audio))
    return float(np.argmax(spectrum[1:]) + 1) * 8000 / len(audio)


def test_caller_hears_the_switch_s_ringback_until_the_callee_answers(tmp_path: Path) -> None:
    phone = RtpPhone()
    phone.start()
    wall_minus_mono = time.time() - time.monotonic()
    try:
        with ringback_switch(tmp_path) as switch, \
                sipp_callee(switch, tmp_path, "ringback_callee.xml",
                            extra=("-d", "1500", "-rtp_echo")):
            result = run_sipp("early_caller.xml", switch.port, tmp_path, service="1002",
                              user="1001", password=USERS["1001"], timeout=30,
                              substitutions={"m=audio [media_port]": f"m=audio {phone.port}"},
                              extra=("-d", "1000"))
            assert result.returncode == 0, result.explain()  # 183 with SDP, then 200
            [cdr] = cdrs(switch)
            assert cdr["disposition"] == "answered"
            answered = cdr["answered_at"] - wall_minus_mono  # on the monotonic clock
            first = min(t for t, _ in phone.received)
            early = phone.packets(0, answered - 0.05)
            assert early > 50, early  # ~1.5 s of ringing, a packet every 20 ms
            assert phone.energy(first, first + 0.9) > 2000  # the 1 s burst, about -10 dBFS
            assert abs(_peak_hz(phone, first, first + 0.9) - 425) < 10
            # answered: the same channel is bridged to the callee's echo of our silence
            after = phone.packets(answered + 0.1, time.monotonic())
            assert after > 30, after
            assert phone.energy(answered + 0.1, time.monotonic()) < 100
            assert events(switch, cdr["call_id"]) == [
                "call.offered", "call.ringing", "call.answered", "call.ended"]
            assert {k: v for k, v in wait_for_idle(switch).items() if k in IDLE} == IDLE
    finally:
        phone.close()
