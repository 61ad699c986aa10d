"""Hold between the two independent softphones: baresip holds, pyVoIP is held.

pyVoIP (1.6) cannot put a call on hold (it has no way to send a re-INVITE) and shows no
hold state of its own; and the switch keeps the held party's leg as it is (it plays the
music itself, with no re-INVITE to that side). So pyVoIP can only tell it is held by
what it hears, and that is what this test checks: the holder's tone, then music, then
the tone again."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from tests.integration.baresip.audio import describe, windows, write_tone
from tests.integration.baresip.phone import baresip_phone
from tests.integration.baresip.switch import baresip_switch
from tests.integration.pyvoip_phone import pyvoip_phone
from tests.integration.switch_process import USERS

HOLDER_TONE = 1000.0
HELD_TONE = 440.0


def _u8_tone(frequency: float, seconds: float) -> bytes:
    """8-bit unsigned PCM, as pyVoIP's write_audio takes it."""
    t = np.arange(int(8000 * seconds)) / 8000
    return (128 + 90 * np.sin(2 * np.pi * frequency * t)).astype(np.uint8).tobytes()


def test_pyvoip_held_by_baresip_hears_music_then_the_holder(tmp_path: Path) -> None:
    from pyVoIP.VoIP import CallState

    heard = bytearray()
    answered, finished = threading.Event(), threading.Event()

    def on_call(call: Any) -> None:
        try:
            call.answer()
            answered.set()
            call.write_audio(_u8_tone(HELD_TONE, 15.0))
            deadline = time.monotonic() + 15
            while call.state == CallState.ANSWERED and time.monotonic() < deadline:
                heard.extend(call.read_audio(160, blocking=False))
                time.sleep(0.02)
        finally:
            finished.set()

    with baresip_switch(tmp_path) as switch, \
            pyvoip_phone(switch.port, "1002", USERS["1002"], on_call=on_call), \
            baresip_phone(tmp_path, switch.port, "1001", USERS["1001"],
                          write_tone(tmp_path / "holder.wav", HOLDER_TONE)) as holder:
        holder.dial("1002", switch.port)
        holder.wait_event("CALL_ESTABLISHED", timeout=10)  # pyVoIP answers ~1 s late
        assert answered.wait(5)
        time.sleep(2.0)
        mark = holder.control.mark()
        holder.command("hold")
        holder.wait_event("CALL_REMOTE_SDP", after=mark)
        time.sleep(3.0)
        mark = holder.control.mark()
        holder.command("resume")
        holder.wait_event("CALL_REMOTE_SDP", after=mark)
        time.sleep(2.0)
        holder.command("hangup")
        holder.wait_event("CALL_CLOSED")
        assert finished.wait(5)
        holder_heard = holder.heard()
        # before the hold, baresip heard pyVoIP
        assert sum(w.is_tone(HELD_TONE) for w in holder_heard) >= 6, describe(holder_heard)
    samples = (np.frombuffer(bytes(heard), dtype=np.uint8).astype(np.float64) - 128) * 256
    found = windows(samples)
    pattern = "".join("T" if w.is_tone(HOLDER_TONE) else "M" if w.is_sound() else "."
                      for w in found)
    assert re.search(r"T{4,}[^T]*M{8,}[^T]*T{4,}", pattern), f"{pattern}\n{describe(found)}"
