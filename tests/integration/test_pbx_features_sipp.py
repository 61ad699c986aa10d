"""Pickup, parking and conference rooms through a running `softswitch serve`, with SIPp
phones over loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.integration.call_tools import cdrs, events, sipp_callee, wait_for_idle
from tests.integration.pbx_tools import dial, pbx_switch
from tests.integration.sipp import SippResult

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
