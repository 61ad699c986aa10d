"""Pickup, parking and conference rooms through a running `softswitch serve`, with SIPp
phones over loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.integration.call_tools import cdrs, events, sipp_callee, wait_for_idle
from tests.integration.pbx_tools import SEND_BYE, WAIT_BYE, dial, pbx_switch
from tests.integration.rtp_phone import RtpPhone
from tests.integration.sipp import SippResult, run_sipp
from tests.integration.switch_process import USERS, SwitchProcess

IDLE = {"calls": 0, "legs": 0, "dialogs": 0, "rtp_ports_in_use": 0, "media_legs": 0}
SALES = 'pickup_group = "sales"'


def _idle(counters: dict[str, int]) -> dict[str, int]:
    return {key: counters[key] for key in IDLE}


def in_background(run: Callable[[], SippResult]) -> tuple[threading.Thread, list[SippResult]]:
    results: list[SippResult] = []
    thread = threading.Thread(target=lambda: results.append(run()), daemon=True)
    thread.start()
    return thread, results


def test_a_call_ringing_1002_is_picked_up_by_1003_and_bridged(tmp_path: Path) -> None:
    with pbx_switch(tmp_path, user_settings={"1002": SALES, "1003": SALES}) as switch, \
            sipp_callee(switch, tmp_path, "call_callee_rings.xml") as ringing:
        thread, caller = in_background(lambda: dial(switch, tmp_path, "1001", "1002",
                                                    hang_up_after_ms=2500))
        time.sleep(1.0)
        picker = dial(switch, tmp_path, "1003", "*8")
        thread.join(40)
        assert picker.returncode == 0, picker.explain()
        assert caller and caller[0].returncode == 0, caller[0].explain()
        assert ringing.wait(10) == 0  # 1002 was CANCELled, answered 487, got its ACK
        [cdr] = cdrs(switch)
        assert cdr["disposition"] == "answered" and cdr["caller"] == "1001"
        picked = [leg for leg in cdr["legs"] if leg["status"] == 200 and leg["role"] == "callee"]
        assert len(picked) == 1, cdr["legs"]
        # the caller's audio reached the picker's phone (it echoed it back to the switch)
        assert picked[0]["quality"]["packets_sent"] > 30, cdr
        assert picked[0]["quality"]["packets_received"] > 30, cdr
        assert "call.picked_up" in events(switch, cdr["call_id"])
        assert _idle(wait_for_idle(switch)) == IDLE


def test_pickup_outside_the_group_is_refused(tmp_path: Path) -> None:
    with pbx_switch(tmp_path, user_settings={"1002": SALES}) as switch, \
            sipp_callee(switch, tmp_path, "call_callee_rings.xml") as ringing:
        thread, _ = in_background(lambda: dial(switch, tmp_path, "1001", "1002", timeout=10))
        time.sleep(1.0)
        picker = dial(switch, tmp_path, "1003", "*8", timeout=5)
        assert picker.returncode != 0
        assert "403" in picker.explain(), picker.explain()
        assert ringing.poll() is None  # 1002 still rings
        ringing.terminate()
        thread.join(20)


# -- conference rooms --------------------------------------------------------------------

_SIPP_AUDIO = """<nop>
    <action>
      <exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/>
    </action>
  </nop>"""


def dial_with_phone(switch: SwitchProcess, work: Path, user: str, number: str,
                    phone: RtpPhone, hang_up_after_ms: int | None,
                    timeout: float = 30) -> SippResult:
    """SIPp signals (INVITE, ACK, BYE after the pause, or waits for the switch's BYE when
    None); `phone` carries the media: its port is the one the SDP names, and it plays
    the pcap's audio itself."""
    ending = WAIT_BYE if hang_up_after_ms is None else SEND_BYE
    pause = () if hang_up_after_ms is None else ("-d", str(hang_up_after_ms))
    return run_sipp("pbx_dial_and_wait_bye.xml", switch.port, work, service=number,
                    user=user, password=USERS[user], timeout=timeout,
                    substitutions={"ENDING": ending.replace("USER", user), "USER": user,
                                   "m=audio [media_port]": f"m=audio {phone.port}",
                                   _SIPP_AUDIO: ""},
                    extra=pause)


def _room_events(switch: SwitchProcess) -> list[tuple[str, str]]:
    import sqlite3
    conn = sqlite3.connect(switch.data_dir / "softswitch.db")
    try:
        return [(r[0], r[1] or "") for r in conn.execute(
            "SELECT kind, call_id FROM events WHERE kind LIKE 'conference.%' ORDER BY seq")]
    finally:
        conn.close()


def test_three_callers_in_room_800_each_hear_the_others_talk(tmp_path: Path) -> None:
    phones = [RtpPhone() for _ in range(3)]
    users = ["1001", "1002", "1003"]
    with pbx_switch(tmp_path) as switch:
        try:
            for phone in phones:
                phone.start()
            threads = []
            for i, (user, phone) in enumerate(zip(users, phones, strict=True)):
                threads.append(in_background(
                    lambda u=user, p=phone, i=i: dial_with_phone(
                        switch, tmp_path, u, "800", p, hang_up_after_ms=7000 - 300 * i)))
                time.sleep(0.3)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not all(p.remote for p in phones):
                time.sleep(0.05)
            assert all(p.remote for p in phones), "the switch sent no RTP to a member"
            time.sleep(0.6)  # the join beeps are over
            windows = []
            for talker in phones:  # each talks alone for 1.2 s
                talker.talking = True
                start = time.monotonic()
                time.sleep(1.2)
                talker.talking = False
                windows.append((start + 0.2, time.monotonic()))
                time.sleep(0.2)
            for speaker, (since, until) in enumerate(windows):
                for listener, phone in enumerate(phones):
                    heard = phone.energy(since, until)
                    if listener == speaker:
                        assert heard < 50, (speaker, heard)  # nobody hears themselves
                    else:
                        assert phone.packets(since, until) > 30, (speaker, listener)
                        assert heard > 300, (speaker, listener, heard)
            for thread, results in threads:
                thread.join(30)
                assert results and results[0].returncode == 0, results[0].explain()
        finally:
            for phone in phones:
                phone.close()
        kinds = [kind for kind, _ in _room_events(switch)]
        assert kinds.count("conference.joined") == 3, kinds
        assert kinds.count("conference.left") == 3, kinds
        assert kinds[-1] == "conference.closed", kinds
        assert _idle(wait_for_idle(switch)) == IDLE


def test_a_closed_room_asks_for_its_pin_by_rfc_4733(tmp_path: Path) -> None:
    phone = RtpPhone()
    with pbx_switch(tmp_path, extra='[conference]\npins = { "801" = "42" }\n') as switch:
        try:
            phone.start()
            thread, results = in_background(lambda: dial_with_phone(
                switch, tmp_path, "1001", "801", phone, hang_up_after_ms=5000))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and phone.remote is None:
                time.sleep(0.05)
            assert phone.remote is not None, "no PIN prompt was played"
            time.sleep(0.5)
            asked = phone.energy(0, time.monotonic())
            assert asked > 100, asked  # the PIN question
            assert "conference.joined" not in [k for k, _ in _room_events(switch)]
            for digit in "42#":
                phone.press(digit)
                time.sleep(0.15)
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and "conference.joined" not in [
                    k for k, _ in _room_events(switch)]:
                time.sleep(0.05)
            assert [k for k, _ in _room_events(switch)] == [
                "conference.answered", "conference.joined"]
            thread.join(30)
            assert results and results[0].returncode == 0, results[0].explain()
        finally:
            phone.close()
        assert _idle(wait_for_idle(switch)) == IDLE


# -- parking -----------------------------------------------------------------------------

def _wait_event(switch: SwitchProcess, call_id: str, kind: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if kind in events(switch, call_id):
            return True
        time.sleep(0.05)
    return False


def _call_ids(switch: SwitchProcess, kind: str) -> list[str]:
    import sqlite3
    conn = sqlite3.connect(switch.data_dir / "softswitch.db")
    try:
        return [r[0] for r in conn.execute(
            "SELECT call_id FROM events WHERE kind = ? ORDER BY seq", (kind,))]
    finally:
        conn.close()


def test_a_refer_to_the_park_code_parks_the_caller_and_701_takes_it_back(
        tmp_path: Path) -> None:
    caller_phone, retriever_phone = RtpPhone(), RtpPhone()
    caller_phone.talking = True
    with pbx_switch(tmp_path) as switch, \
            sipp_callee(switch, tmp_path, "park_parker.xml",
                        extra=("-key", "switch", f"127.0.0.1:{switch.port}")) as parker:
        try:
            caller_phone.start()
            retriever_phone.start()
            thread, caller = in_background(lambda: dial_with_phone(
                switch, tmp_path, "1001", "1002", caller_phone, hang_up_after_ms=None))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not _call_ids(switch, "call.parked"):
                time.sleep(0.05)
            [call_id] = _call_ids(switch, "call.parked")
            assert parker.wait(15) == 0, parker.communicate()  # 202, NOTIFY 100/200, BYE
            assert caller_phone.remote is not None  # music on hold reached the caller
            retrieving, retriever = in_background(lambda: dial_with_phone(
                switch, tmp_path, "1003", "701", retriever_phone, hang_up_after_ms=2500))
            assert _wait_event(switch, call_id, "call.retrieved", 10)
            start = time.monotonic()
            time.sleep(2.0)
            assert retriever_phone.packets(start + 0.3, time.monotonic()) > 50
            assert retriever_phone.energy(start + 0.3, time.monotonic()) > 300
            thread.join(30)
            retrieving.join(30)  # its result lands when its SIPp has exited
            assert caller and caller[0].returncode == 0, caller[0].explain()
            assert retriever and retriever[0].returncode == 0, retriever[0].explain()
        finally:
            caller_phone.close()
            retriever_phone.close()
        kinds = events(switch, call_id)
        assert kinds.index("call.parked") < kinds.index("call.retrieved"), kinds
        assert _idle(wait_for_idle(switch)) == IDLE
