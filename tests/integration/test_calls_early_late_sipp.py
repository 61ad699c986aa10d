"""Early media and late offer through a running switch, SIPp signalling with a Python
RTP phone as the caller's media (it keeps each packet with the time it came)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.integration.call_tools import call_switch, cdrs, events, sipp_callee, wait_for_idle
from tests.integration.rtp_phone import RtpPhone
from tests.integration.sipp import SippResult, run_sipp
from tests.integration.switch_process import USERS

IDLE = {"calls": 0, "legs": 0, "dialogs": 0, "rtp_ports_in_use": 0, "media_legs": 0}


def _caller(switch_port: int, work: Path, scenario: str, phone: RtpPhone,
            pause_ms: int) -> SippResult:
    return run_sipp(scenario, switch_port, work, service="1002", user="1001",
                    password=USERS["1001"], timeout=30,
                    substitutions={"m=audio [media_port]": f"m=audio {phone.port}"},
                    extra=("-d", str(pause_ms)))


def test_callee_183_early_audio_reaches_the_caller_before_the_200(tmp_path: Path) -> None:
    phone = RtpPhone()
    phone.start()
    wall_minus_mono = time.time() - time.monotonic()
    try:
        with call_switch(tmp_path) as switch, \
                sipp_callee(switch, tmp_path, "early_callee.xml", extra=("-d", "2000")):
            result = _caller(switch.port, tmp_path, "early_caller.xml", phone, 1500)
            assert result.returncode == 0, result.explain()
            [cdr] = cdrs(switch)
            assert cdr["disposition"] == "answered"
            answered = cdr["answered_at"] - wall_minus_mono  # on the monotonic clock
            early = phone.packets(0, answered - 0.05)
            after = phone.packets(answered + 0.05, time.monotonic())
            assert early > 40, (early, after)  # ~2 s of the callee's audio before its 200
            assert after > 30, (early, after)  # the same channels carry on after it
            assert phone.energy(0, answered - 0.05) > 300  # the pcap's speech, not silence
            assert events(switch, cdr["call_id"]) == [
                "call.offered", "call.early_media", "call.answered", "call.ended"]
            assert {k: v for k, v in wait_for_idle(switch).items() if k in IDLE} == IDLE
    finally:
        phone.close()


def test_invite_without_sdp_answer_in_the_ack_and_audio_flows(tmp_path: Path) -> None:
    phone = RtpPhone()
    phone.start()
    try:
        with call_switch(tmp_path) as switch, \
                sipp_callee(switch, tmp_path, "call_callee.xml", extra=("-rtp_echo",)):
            phone.talking = True
            result = _caller(switch.port, tmp_path, "late_caller.xml", phone, 2000)
            assert result.returncode == 0, result.explain()
            [cdr] = cdrs(switch)
            assert cdr["disposition"] == "answered"
            caller_leg, callee_leg = cdr["legs"]
            assert caller_leg["quality"]["codec"].startswith("PCMA"), cdr
            assert caller_leg["quality"]["packets_received"] > 40, cdr
            assert callee_leg["quality"]["packets_received"] > 40, cdr  # SIPp's echo
            # the caller's speech went to the callee, was echoed and came back
            assert len(phone.received) > 40
            assert phone.energy(0, time.monotonic()) > 300
            assert events(switch, cdr["call_id"]) == [
                "call.offered", "call.ringing", "call.answered", "call.ended"]
            assert {k: v for k, v in wait_for_idle(switch).items() if k in IDLE} == IDLE
    finally:
        phone.close()
