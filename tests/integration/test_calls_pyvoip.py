"""Two pyVoIP phones call each other through a running switch, and each hears the
other's tone: audio checked by its frequency, not assumed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from tests.integration.call_tools import call_switch, cdrs, wait_for_idle
from tests.integration.pyvoip_phone import pyvoip_phone
from tests.integration.switch_process import USERS

RATE = 8000
CALLER_TONE = 1000.0
CALLEE_TONE = 440.0


def tone(freq: float, seconds: float) -> bytes:
    """8-bit unsigned PCM, as pyVoIP's write_audio takes it."""
    t = np.arange(int(RATE * seconds)) / RATE
    return (128 + 90 * np.sin(2 * np.pi * freq * t)).astype(np.uint8).tobytes()


def dominant_frequency(pcm_u8: bytes) -> float:
    samples = np.frombuffer(pcm_u8, dtype=np.uint8).astype(np.float64) - 128.0
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    spectrum[:5] = 0  # no DC
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[int(np.argmax(spectrum))])


def loudness(pcm_u8: bytes) -> float:
    return float(np.std(np.frombuffer(pcm_u8, dtype=np.uint8).astype(np.float64)))


def listen(call: Any, seconds: float) -> bytes:
    heard = bytearray()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        heard += call.read_audio(160, blocking=False)
        time.sleep(0.02)
    return bytes(heard)


def test_two_pyvoip_phones_hear_each_other(tmp_path: Path) -> None:
    from pyVoIP.VoIP import CallState, PhoneStatus

    callee_heard: list[bytes] = []
    done = threading.Event()

    def on_call(call: Any) -> None:
        try:
            call.answer()
            call.write_audio(tone(CALLEE_TONE, 4.0))
            callee_heard.append(listen(call, 2.5))
        finally:
            done.set()

    with call_switch(tmp_path) as switch, \
            pyvoip_phone(switch.port, "1002", USERS["1002"], on_call=on_call) as callee, \
            pyvoip_phone(switch.port, "1001", USERS["1001"]) as caller:
        assert callee.get_status() == PhoneStatus.REGISTERED
        assert caller.get_status() == PhoneStatus.REGISTERED
        call = caller.call("1002")
        deadline = time.monotonic() + 10
        while call.state != CallState.ANSWERED and time.monotonic() < deadline:
            time.sleep(0.05)
        assert call.state == CallState.ANSWERED, switch.log()[-4000:]
        call.write_audio(tone(CALLER_TONE, 4.0))
        time.sleep(0.5)  # let both directions flow
        caller_heard = listen(call, 2.0)
        assert done.wait(10)
        call.hangup()
        # the caller hears the callee's 440 Hz; the callee hears the caller's 1 kHz
        assert loudness(caller_heard) > 20, "the caller heard silence"
        assert abs(dominant_frequency(caller_heard) - CALLEE_TONE) < 15
        assert loudness(callee_heard[0]) > 20, "the callee heard silence"
        assert abs(dominant_frequency(callee_heard[0]) - CALLER_TONE) < 15
        [cdr] = cdrs(switch, timeout=10)
        assert cdr["disposition"] == "answered"
        assert cdr["talk_seconds"] > 2.0  # not dropped by pyVoIP's wrong-To-tag ACK
        idle = wait_for_idle(switch)
        assert (idle["calls"], idle["legs"], idle["rtp_ports_in_use"]) == (0, 0, 0)
