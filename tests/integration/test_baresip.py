"""baresip, a second independent softphone, against a running switch: registration
with digest, calls both ways heard by frequency, hold with music on hold, blind
transfer and the message-waiting subscription, all driven through baresip's own
commands (ctrl_tcp) and judged from what it recorded (sndfile)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.integration.baresip.audio import Window, describe, write_tone
from tests.integration.baresip.phone import Baresip, baresip_phone
from tests.integration.baresip.switch import baresip_switch
from tests.integration.call_tools import cdrs, wait_for_idle
from tests.integration.switch_process import USERS

TONES = {"1001": 1000.0, "1002": 440.0, "1003": 700.0}


def source(tmp_path: Path, extension: str) -> Path:
    return write_tone(tmp_path / f"tone-{extension}.wav", TONES[extension])


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
        caller_heard, callee_heard = caller.heard(), callee.heard()
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
    """baresip's hold and resume commands (re-INVITE sendonly, then sendrecv). The held
    side is judged by its recording; the holder's own recording ends at its hold (baresip
    1.0 restarts its player then and sndfile gets no more frames), so what the holder
    hears after resuming is not judged by ear here."""
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
        held_heard, holder_heard = held.heard(), holder.heard()
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


def test_blind_transfer_from_baresip(tmp_path: Path) -> None:
    """1001 calls 1002, 1002 transfers 1001 to 1003: 1001 ends up hearing 1003's tone
    alone (no music left behind), 1003 hears 1001, and 1002 is told it worked (the
    sipfrag NOTIFY "200 OK" closes its call as "transfered")."""
    with baresip_switch(tmp_path) as switch, \
            baresip_phone(tmp_path, switch.port, "1001", USERS["1001"],
                          source(tmp_path, "1001")) as transferee, \
            baresip_phone(tmp_path, switch.port, "1002", USERS["1002"],
                          source(tmp_path, "1002"), auto_answer=True) as transferor, \
            baresip_phone(tmp_path, switch.port, "1003", USERS["1003"],
                          source(tmp_path, "1003"), auto_answer=True) as target:
        transferee.dial("1002", switch.port)
        transferee.wait_event("CALL_ESTABLISHED")
        transferor.wait_event("CALL_ESTABLISHED")
        time.sleep(1.5)
        transferor.command("transfer", f"sip:1003@127.0.0.1:{switch.port}")
        target.wait_event("CALL_ESTABLISHED")
        closed = transferor.wait_event("CALL_CLOSED")
        assert "transfered" in closed["param"], closed  # (sic) baresip's spelling
        assert not transferor.control.events("CALL_TRANSFER_FAILED")
        time.sleep(2.5)
        assert not transferee.control.events("CALL_CLOSED")  # the same call went on
        hang_up(transferee, target)
        transferee_heard, target_heard = transferee.heard(), target.heard()
        before = "".join("B" if w.is_tone(TONES["1002"]) else
                         "C" if w.is_tone(TONES["1003"], purity=0.95) else
                         "c" if w.is_tone(TONES["1003"]) else "."
                         for w in transferee_heard)
        # the transferor first, then the target and nothing but the target to the end
        assert re.search(r"B{4,}[^C]*C{8,}$", before), \
            f"{before}\n{describe(transferee_heard)}"
        assert seconds_of(target_heard, TONES["1001"]) >= 2.0, describe(target_heard)
        assert seconds_of(target_heard, TONES["1002"]) == 0, describe(target_heard)
        idle = wait_for_idle(switch)
        assert (idle["calls"], idle["legs"], idle["rtp_ports_in_use"]) == (0, 0, 0)


def test_message_waiting_lamp_of_baresip(tmp_path: Path) -> None:
    """baresip's mwi module subscribes to its own message-summary when it registers:
    it is told "no" at once, and "yes, 1 new" after 1001, left unanswered, speaks to
    its mailbox."""
    with baresip_switch(tmp_path, mailboxes={"1002": "4321"}, ring_timeout=2.0) as switch, \
            baresip_phone(tmp_path, switch.port, "1002", USERS["1002"],
                          source(tmp_path, "1002"), apps=("mwi.so",)) as owner, \
            baresip_phone(tmp_path, switch.port, "1001", USERS["1001"],
                          source(tmp_path, "1001")) as caller:
        # the first NOTIFY comes before the control socket is connected: read its print
        deadline = time.monotonic() + 5
        while "Messages-Waiting: no" not in owner.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Voice-Message: 0/0" in owner.log(), owner.log()
        mark = owner.control.mark()
        caller.dial("1002", switch.port)
        owner.wait_event("CALL_INCOMING")
        caller.wait_event("CALL_ESTABLISHED", timeout=8)  # the mailbox answers
        time.sleep(6.5)  # greeting (4.1 s), beep, then the caller's tone is recorded
        hang_up(caller)
        lamp = owner.wait_event("MWI_NOTIFY", after=mark, param="Messages-Waiting: yes")
        print(lamp)
        assert "Voice-Message: 1/0" in lamp["param"], lamp


def test_baresip_presence_is_refused_as_an_unknown_package(tmp_path: Path) -> None:
    """No busy lamps from baresip 1.0: its presence module watches a contact with
    Event: presence (PIDF), and has no dialog-event (RFC 4235) subscriber. The switch
    serves message-summary and dialog only, so it answers 489 Bad Event."""
    with baresip_switch(tmp_path) as switch, \
            baresip_phone(tmp_path, switch.port, "1002", USERS["1002"],
                          source(tmp_path, "1002"), apps=("contact.so", "presence.so"),
                          contacts=(f'"1001" <sip:1001@127.0.0.1:{switch.port}>;'
                                    "presence=p2p",)) as watcher:
        deadline = time.monotonic() + 5
        while "subscriber closed" not in watcher.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "489 Bad Event" in watcher.log(), watcher.log()
