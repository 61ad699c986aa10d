"""A dead phone gets timers, not a hang. Both phones talk (SIPp signals, a test RTP phone
carries the audio), then one phone dies: its SIPp killed, its RTP stopped, while the
other keeps talking. After `[calls] media_timeout` the switch ends the call: the live
phone gets BYE and `call.media_timeout` is logged. Through the IVR and the queue, the
agent goes through wrap-up back to idle instead of staying on a call that is gone; a call
between two extensions gets a CDR that says media_timeout."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from softswitch.control.client import ControlClient
from tests.integration.call_tools import cdrs, sipp_callee, wait_for_idle
from tests.integration.pbx_tools import WAIT_BYE
from tests.integration.rtp_phone import RtpPhone
from tests.integration.sipp import SCENARIOS, SippResult, run_sipp
from tests.integration.switch_process import USERS, SwitchProcess
from tests.integration.test_center_calls import CENTER, _events, _serve
from tests.integration.test_pbx_features_sipp import (
    _SIPP_AUDIO,
    dial_with_phone,
    in_background,
)
from tests.integration.test_supervision_audio import _bridged_call, _wait

pytestmark = pytest.mark.timeout(90)

TIMEOUT = 2.5


SILENCE_ENDS_CALLS = f"\n[calls]\nmedia_timeout = {TIMEOUT}\n"


@pytest.fixture
def center(tmp_path: Path) -> Iterator[SwitchProcess]:
    yield from _serve(tmp_path, CENTER + SILENCE_ENDS_CALLS)


@pytest.fixture
def office(tmp_path: Path) -> Iterator[SwitchProcess]:
    yield from _serve(tmp_path, SILENCE_ENDS_CALLS)


def _agent_scenario(work: Path, phone: RtpPhone) -> Path:
    """A phone that answers with `phone`'s port in its SDP and waits for BYE."""
    scenario = work / f"answers-{phone.port}.xml"
    scenario.write_text((SCENARIOS / "supervision_agent.xml").read_text().replace(
        "PHONE_PORT", str(phone.port)))
    return scenario


def _dial_hearing_early_media(switch: SwitchProcess, work: Path,
                              phone: RtpPhone) -> SippResult:
    """1001 calls 1002 (a 183 with audio may come before the 200) and waits for BYE;
    `phone` carries the media."""
    ringing = '<recv response="180" optional="true"/>'
    return run_sipp("pbx_dial_and_wait_bye.xml", switch.port, work, service="1002",
                    user="1001", password=USERS["1001"], timeout=30,
                    substitutions={"ENDING": WAIT_BYE, "USER": "1001",
                                   "m=audio [media_port]": f"m=audio {phone.port}",
                                   _SIPP_AUDIO: "",
                                   ringing: ringing + '<recv response="183" optional="true"/>'})


def test_a_call_whose_callee_dies_ends_with_bye_and_a_media_timeout_cdr(
        office: SwitchProcess, tmp_path: Path) -> None:
    caller = RtpPhone()
    caller.talking = True
    try:
        # the callee's SIPp plays 7 s of speech from its 183 on and answers 0.2 s later
        with sipp_callee(office, tmp_path, "early_callee.xml", extension="1002",
                         extra=("-d", "200")) as callee_sipp:
            caller.start()
            thread, result = in_background(lambda: _dial_hearing_early_media(
                office, tmp_path, caller))
            _wait(lambda: caller.remote is not None, 10, "the callee's audio")
            time.sleep(TIMEOUT + 0.5)  # talking both ways for longer than the timeout
            assert thread.is_alive(), "a talking call was cut off"
            callee_sipp.send_signal(signal.SIGKILL)  # the phone dies: no BYE, no RTP
            died = time.monotonic()
            thread.join(TIMEOUT + 10)
            assert result and result[0].returncode == 0, \
                "the caller got no BYE\n" + result[0].explain() + office.log()
            assert TIMEOUT - 0.5 <= time.monotonic() - died <= TIMEOUT + 3
        [cdr] = cdrs(office)
        assert (cdr["disposition"], cdr["hangup_side"]) == ("answered", "media_timeout")
        rows = _events(office, ("call.media_timeout",), {"call.media_timeout"})
        assert json.loads(rows[0][3])["role"] == "callee", office.log()
        left = wait_for_idle(office, timeout=10, keys=("rtp_ports_in_use", "media_legs"))
        assert left["media_legs"] == 0 and left["rtp_ports_in_use"] == 0, left
    finally:
        caller.close()


def test_an_agent_whose_phone_dies_mid_call_is_hung_up_and_goes_back_to_idle(
        center: SwitchProcess, tmp_path: Path) -> None:
    socket = center.data_dir / "control.sock"
    caller, agent = RtpPhone(), RtpPhone()
    caller.talking = agent.talking = True
    scenario = _agent_scenario(tmp_path, agent)
    try:
        with ControlClient(socket) as control, \
                sipp_callee(center, tmp_path, str(scenario), extension="1002") as agent_sipp:
            control.request("agent.login", agent="bob")
            caller.start()
            agent.start()
            thread, result = in_background(lambda: dial_with_phone(
                center, tmp_path, "1001", "5000", caller, hang_up_after_ms=None))
            _wait(lambda: caller.remote is not None, 5, "the language prompt")
            for digit in "12":
                time.sleep(1.5)
                caller.press(digit)
            found: list[str] = []
            _wait(lambda: bool(found.append(_bridged_call(control) or "") or found[-1]),
                  10, "the caller bridged to bob")
            call_id = found[-1]
            _wait(lambda: agent.remote is not None, 3, "audio at the agent's phone")
            time.sleep(TIMEOUT + 0.5)  # talking both ways for longer than the timeout
            assert _bridged_call(control) == call_id, "a talking call was cut off"
            assert control.request("agent.status", agent="bob")["state"] == "on_call"
            agent_sipp.send_signal(signal.SIGKILL)  # the phone dies: no BYE, no RTP
            agent.close()
            died = time.monotonic()
            thread.join(TIMEOUT + 10)
            assert result and result[0].returncode == 0, \
                "the caller got no BYE\n" + result[0].explain() + center.log()
            ended_after = time.monotonic() - died
            assert TIMEOUT - 0.5 <= ended_after <= TIMEOUT + 3, ended_after
            _wait(lambda: control.request("agent.status", agent="bob")["state"] == "idle",
                  5, "bob back to idle after wrap-up")
        rows = _events(center, ("call.media_timeout", "agent.state", "call.ended"),
                       {"call.media_timeout", "call.ended"})
        timed_out = [r for r in rows if r[0] == "call.media_timeout"]
        assert len(timed_out) == 1 and timed_out[0][1] == call_id, center.log()
        data = json.loads(timed_out[0][3])
        assert data["role"] == "agent" and timed_out[0][2] == "bob"  # the agent column
        states = [(json.loads(r[3])["from"], json.loads(r[3])["to"]) for r in rows
                  if r[0] == "agent.state"]
        after = states[[s[1] for s in states].index("on_call") + 1:]
        assert after[:2] == [("on_call", "wrap_up"), ("wrap_up", "idle")], states
        # the call's own end follows (the ACD's call.ended, with the talk time, is written
        # by the ACD as it hears the hang-up, so it may come first)
        kinds = [r[0] for r in rows if r[1] == call_id]
        assert kinds[-1] == "call.ended" and "call.media_timeout" in kinds[-2:], kinds
    finally:
        caller.close()
        agent.close()
