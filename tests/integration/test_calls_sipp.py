"""Calls through a running `softswitch serve` between SIPp phones over loopback."""

from __future__ import annotations

from pathlib import Path

from tests.integration.call_tools import call_switch, cdrs, events, sipp_callee, wait_for_idle
from tests.integration.sipp import SippResult, run_sipp
from tests.integration.switch_process import USERS, free_port

IDLE = {"calls": 0, "legs": 0, "dialogs": 0, "rtp_ports_in_use": 0, "media_legs": 0}


def _idle(counters: dict[str, int]) -> dict[str, int]:
    return {key: counters[key] for key in IDLE}


def caller(switch_port: int, work: Path, scenario: str, *, calls: int = 1, rate: float = 10,
           extra: tuple[str, ...] = (), transport: str = "u1") -> SippResult:
    return run_sipp(scenario, switch_port, work, service="1002", user="1001",
                    password=USERS["1001"], calls=calls, rate=rate, timeout=30,
                    transport=transport, extra=("-mp", str(free_port()), *extra))


def test_answered_call_carries_audio_both_ways_and_leaves_a_record(tmp_path: Path) -> None:
    with call_switch(tmp_path) as switch, \
            sipp_callee(switch, tmp_path, "call_callee.xml", extra=("-rtp_echo",)):
        result = caller(switch.port, tmp_path, "call_caller.xml", extra=("-d", "1500"))
        assert result.returncode == 0, result.explain()
        [cdr] = cdrs(switch)
        assert cdr["disposition"] == "answered"
        assert cdr["hangup_side"] == "caller"
        assert (cdr["caller"], cdr["callee"]) == ("1001", "1002")
        assert 1.0 <= cdr["talk_seconds"] < 5
        caller_leg, callee_leg = cdr["legs"]
        # SIPp's A-law reached the switch, was transcoded to the callee's PCMU, echoed
        # back, and transcoded again to the caller
        assert caller_leg["quality"]["packets_received"] > 30, cdr
        assert callee_leg["quality"]["packets_sent"] > 30, cdr
        assert callee_leg["quality"]["packets_received"] > 30, cdr
        assert caller_leg["quality"]["packets_sent"] > 30, cdr
        assert caller_leg["quality"]["codec"].startswith("PCMA")
        assert callee_leg["quality"]["codec"].startswith("PCMU")
        assert events(switch, cdr["call_id"]) == [
            "call.offered", "call.ringing", "call.answered", "call.ended"]
        assert _idle(wait_for_idle(switch)) == IDLE


def test_busy_callee(tmp_path: Path) -> None:
    with call_switch(tmp_path) as switch, \
            sipp_callee(switch, tmp_path, "call_callee_busy.xml"):
        result = caller(switch.port, tmp_path, "call_caller_busy.xml")
        assert result.returncode == 0, result.explain()
        [cdr] = cdrs(switch)
        assert (cdr["disposition"], cdr["sip_status"]) == ("busy", 486)
        assert _idle(wait_for_idle(switch)) == IDLE


def test_no_answer_gets_480_after_the_ring_timeout(tmp_path: Path) -> None:
    with call_switch(tmp_path, ring_timeout=2.0) as switch, \
            sipp_callee(switch, tmp_path, "call_callee_rings.xml") as callee:
        result = caller(switch.port, tmp_path, "call_caller_no_answer.xml")
        assert result.returncode == 0, result.explain()
        [cdr] = cdrs(switch)
        assert (cdr["disposition"], cdr["sip_status"]) == ("no-answer", 480)
        assert 1.9 <= cdr["ring_seconds"] < 4
        assert callee.wait(10) == 0  # the callee saw the CANCEL, answered 487, got its ACK
        assert _idle(wait_for_idle(switch)) == IDLE


def test_caller_cancels_while_ringing(tmp_path: Path) -> None:
    with call_switch(tmp_path) as switch, \
            sipp_callee(switch, tmp_path, "call_callee_rings.xml") as callee:
        result = caller(switch.port, tmp_path, "call_caller_cancel.xml")
        assert result.returncode == 0, result.explain()
        [cdr] = cdrs(switch)
        assert (cdr["disposition"], cdr["hangup_side"]) == ("cancelled", "caller")
        assert callee.wait(10) == 0
        assert _idle(wait_for_idle(switch)) == IDLE


def test_fifty_calls_leave_nothing_behind(tmp_path: Path) -> None:
    with call_switch(tmp_path) as switch, \
            sipp_callee(switch, tmp_path, "call_callee.xml", calls=50) as callee:
        result = caller(switch.port, tmp_path, "call_caller.xml", calls=50, rate=25,
                        extra=("-d", "300", "-l", "30"))
        assert result.returncode == 0, result.explain()
        records = cdrs(switch, count=50)
        assert [r["disposition"] for r in records] == ["answered"] * 50
        assert callee.wait(10) == 0
        after = wait_for_idle(switch)
        assert _idle(after) == IDLE
        assert after["media_channels"] == 0
        assert after["asyncio_tasks"] <= 3, after  # the main task, the writer, control
        assert after["call_records"] == 50


def test_calls_survive_five_percent_loss(tmp_path: Path) -> None:
    with call_switch(tmp_path) as switch, \
            sipp_callee(switch, tmp_path, "call_callee.xml", calls=10):
        result = caller(switch.port, tmp_path, "call_caller.xml", calls=10, rate=10,
                        extra=("-d", "200", "-lost", "5", "-l", "10"))
        assert result.returncode == 0, result.explain()
        records = cdrs(switch, count=10, timeout=40)  # a lost ACK or BYE can take timer H (32 s)
        assert [r["disposition"] for r in records] == ["answered"] * 10
        assert _idle(wait_for_idle(switch, timeout=40)) == IDLE


def test_a_caller_over_tcp_reaches_a_callee_over_udp(tmp_path: Path) -> None:
    with call_switch(tmp_path) as switch, \
            sipp_callee(switch, tmp_path, "call_callee.xml", extra=("-rtp_echo",)):
        result = caller(switch.port, tmp_path, "call_caller.xml", transport="t1",
                        extra=("-d", "500"))
        assert result.returncode == 0, result.explain()
        [cdr] = cdrs(switch)
        assert cdr["disposition"] == "answered"
        assert cdr["legs"][0]["peer"].startswith("tcp:")
        assert _idle(wait_for_idle(switch)) == IDLE
