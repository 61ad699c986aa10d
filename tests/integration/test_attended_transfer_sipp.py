"""Attended transfer end to end: B talks to C, then takes A's call and REFERs A to C with
Replaces naming its dialog with C; the switch bridges A with C (A's audio reaches C,
which echoes it back) and hangs up both of B's legs. All parties are SIPp phones."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from urllib.parse import quote

from tests.integration.call_tools import cdrs, events, sipp_callee, wait_for_idle
from tests.integration.pbx_tools import dial, pbx_switch
from tests.integration.sipp import SippResult

SCENARIO = Path(__file__).parent / "scenarios" / "xfer_transferor.xml"


def in_background(run) -> tuple[threading.Thread, list[SippResult]]:
    out: list[SippResult] = []
    thread = threading.Thread(target=lambda: out.append(run()), daemon=True)
    thread.start()
    return thread, out


def answered_dialog(work: Path, timeout: float = 10.0) -> tuple[str, str, str]:
    """(Call-ID, our From tag, the switch's To tag) of B's answered call to C, read from
    the SIPp message trace of B's dialler."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for log in work.glob("*_messages.log"):
            text = log.read_text(errors="replace")
            for message in text.split("\n\n"):
                if "SIP/2.0 200 OK" in message and re.search(r"CSeq:\s*\d+ INVITE", message):
                    call_id = re.search(r"(?m)^Call-ID:\s*(\S+)", message)
                    from_tag = re.search(r"(?m)^From:.*;tag=([^;\s]+)", message)
                    to_tag = re.search(r"(?m)^To:.*;tag=([^;\s]+)", message)
                    if call_id and from_tag and to_tag:
                        return call_id.group(1), from_tag.group(1), to_tag.group(1)
        time.sleep(0.1)
    raise AssertionError("B's call to C was not answered")


def test_attended_transfer_bridges_a_with_c(tmp_path: Path) -> None:
    with pbx_switch(tmp_path) as switch, \
            sipp_callee(switch, tmp_path, "call_callee.xml", extension="1003",
                        extra=("-rtp_echo",)):
        b_to_c, b_to_c_result = in_background(lambda: dial(
            switch, tmp_path, "1002", "1003", timeout=30, extra=("-trace_msg",)))
        call_id, from_tag, to_tag = answered_dialog(tmp_path)
        replaces = quote(f"{call_id};to-tag={to_tag};from-tag={from_tag}", safe="")
        transferor = tmp_path / "xfer.xml"
        transferor.write_text(SCENARIO.read_text().replace("REPLACES", replaces)
                              .replace("TARGET", "1003")
                              .replace("SWITCH", f"127.0.0.1:{switch.port}")
                              .replace("XFEROR", "1002"))
        with sipp_callee(switch, tmp_path, str(transferor), extension="1002") as b_to_a:
            a = dial(switch, tmp_path, "1001", "1002", hang_up_after_ms=3000, timeout=30)
            assert a.returncode == 0, a.explain()
            _, errors = b_to_a.communicate(timeout=15)
            assert b_to_a.returncode == 0, errors + check_errors(tmp_path)
        b_to_c.join(15)
        assert b_to_c_result and b_to_c_result[0].returncode == 0, b_to_c_result[0].explain()
        records = cdrs(switch, count=2)
        first = next(r for r in records if r["caller"] == "1001")
        a_leg, b_leg, c_leg = first["legs"]
        assert c_leg["peer"] != b_leg["peer"]
        # A's audio reached C (who echoed it back to A) after the transfer
        assert c_leg["quality"]["packets_received"] > 30, first
        assert a_leg["quality"]["packets_received"] > 30, first
        assert "call.transferred" in events(switch, first["call_id"])
        idle = wait_for_idle(switch)
        assert (idle["calls"], idle["legs"], idle["rtp_ports_in_use"]) == (0, 0, 0)


def check_errors(work: Path) -> str:
    return "".join(p.read_text(errors="replace")[-2000:] for p in work.glob("callee-*.log"))


