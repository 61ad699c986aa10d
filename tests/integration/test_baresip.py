"""baresip, a second independent softphone, against a running switch: registration
with digest, calls both ways heard by frequency, hold with music on hold, blind
transfer and the message-waiting subscription, all driven through baresip's own
commands (ctrl_tcp) and judged from what it recorded (sndfile)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.integration.baresip.audio import Window, describe, read_samples, windows, write_tone
from tests.integration.baresip.phone import Baresip, baresip_phone
from tests.integration.baresip.switch import baresip_switch
from tests.integration.call_tools import cdrs, wait_for_idle
from tests.integration.switch_process import USERS

TONES = {"1001": 1000.0, "1002": 440.0, "1003": 700.0}


def source(tmp_path: Path, extension: str) -> Path:
    return write_tone(tmp_path / f"tone-{extension}.wav", TONES[extension])


def heard(phone: Baresip, timeout: float = 3.0) -> list[Window]:
    """The windows of the one call `phone` recorded, once baresip has closed the file."""
    deadline = time.monotonic() + timeout
    while True:
        files = phone.recordings()
        samples = read_samples(files[0]) if len(files) == 1 else None
        if samples is not None and len(samples) > 0:
            return windows(samples)
        if time.monotonic() > deadline:
            raise AssertionError(f"{phone.extension} recorded {files}")
        time.sleep(0.1)


def seconds_of(found: list[Window], frequency: float) -> float:
    return sum(0.25 for w in found if w.is_tone(frequency))


def hang_up(phone: Baresip, *others: Baresip) -> None:
    marks = [other.control.mark() for other in others]
    phone.command("hangup")
    phone.wait_event("CALL_CLOSED")
    for other, mark in zip(others, marks, strict=True):
        other.wait_event("CALL_CLOSED", after=mark)


def test_wrong_password_is_refused(tmp_path: Path) -> None:
    """The digest is really checked: the same phone with a wrong password stays out.
    (baresip answers each new challenge with the same wrong digest until the switch
    stops answering its address; its own verdict comes only when its transaction times
    out, 32 s later, so the test looks at the switch's side.)"""
    with baresip_switch(tmp_path) as switch, \
            baresip_phone(tmp_path, switch.port, "1001", "not-the-password",
                          source(tmp_path, "1001"), register_timeout=0) as phone:
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            assert phone.registration() != "OK"
            time.sleep(0.1)
        assert "authentication failed for '1001'" in switch.log()


def test_two_baresips_hear_each_other(tmp_path: Path) -> None:
    with baresip_switch(tmp_path) as switch, \
            baresip_phone(tmp_path, switch.port, "1001", USERS["1001"],
                          source(tmp_path, "1001")) as caller, \
            baresip_phone(tmp_path, switch.port, "1002", USERS["1002"],
                          source(tmp_path, "1002"), auto_answer=True) as callee:
        caller.dial("1002", switch.port)
        caller.wait_event("CALL_ESTABLISHED")
        callee.wait_event("CALL_ESTABLISHED")
        time.sleep(3.0)
        hang_up(caller, callee)
        caller_heard, callee_heard = heard(caller), heard(callee)
        # each hears the other's tone, never its own (no echo, no loop back)
        assert seconds_of(caller_heard, TONES["1002"]) >= 2.0, describe(caller_heard)
        assert seconds_of(caller_heard, TONES["1001"]) == 0, describe(caller_heard)
        assert seconds_of(callee_heard, TONES["1001"]) >= 2.0, describe(callee_heard)
        assert seconds_of(callee_heard, TONES["1002"]) == 0, describe(callee_heard)
        [cdr] = cdrs(switch)
        assert (cdr["caller"], cdr["callee"], cdr["disposition"]) == ("1001", "1002",
                                                                      "answered")
        idle = wait_for_idle(switch)
        assert (idle["calls"], idle["legs"], idle["rtp_ports_in_use"]) == (0, 0, 0)


def labels(found: list[Window], tone: float) -> str:
    """One letter a window: T the tone, M other sound (music), . silence."""
    return "".join("T" if w.is_tone(tone) else "M" if w.is_sound() else "." for w in found)


def test_hold_from_baresip_plays_music_to_the_held_party(tmp_path: Path) -> None:
    with baresip_switch(tmp_path) as switch, \
            baresip_phone(tmp_path, switch.port, "1001", USERS["1001"],
                          source(tmp_path, "1001")) as holder, \
            baresip_phone(tmp_path, switch.port, "1002", USERS["1002"],
                          source(tmp_path, "1002"), auto_answer=True) as held:
        holder.dial("1002", switch.port)
        holder.wait_event("CALL_ESTABLISHED")
        held.wait_event("CALL_ESTABLISHED")
        time.sleep(2.0)
        mark = holder.control.mark()
        holder.command("hold")
        holder.wait_event("CALL_REMOTE_SDP", after=mark)  # the switch answered the re-INVITE
        time.sleep(3.0)
        mark = holder.control.mark()
        holder.command("resume")
        holder.wait_event("CALL_REMOTE_SDP", after=mark)
        time.sleep(2.0)
        hang_up(holder, held)
        held_heard, holder_heard = heard(held), heard(holder)
        # the held party: the holder's tone, then music (sound, never the holder's tone)
        # for most of the three held seconds, then the holder's tone again
        pattern = labels(held_heard, TONES["1001"])
        assert re.search(r"T{4,}[^T]*M{8,}[^T]*T{4,}$", pattern), \
            f"{pattern}\n{describe(held_heard)}"
        # the held party never sends the holder anything but its own tone
        assert seconds_of(holder_heard, TONES["1002"]) >= 1.5, describe(holder_heard)
        assert not any(w.is_sound() and not w.is_tone(TONES["1002"])
                       for w in holder_heard[1:]), describe(holder_heard)
        [cdr] = cdrs(switch)
        assert cdr["disposition"] == "answered" and cdr["talk_seconds"] > 6
