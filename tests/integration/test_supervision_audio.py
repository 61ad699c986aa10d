"""Supervisors and recordings heard through real calls: SIPp signals, test RTP phones
carry the audio. A caller picks support at 5000 and reaches agent bob (1002); supervisor
1003 dials *22 1002 and hears both, nobody hears the supervisor; with *23 the agent hears
the supervisor and the caller does not. A recording paused from the control socket holds
silence for as long as the pause, in a file as long as the talk."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from softswitch.control.client import ControlClient
from tests.integration.call_tools import sipp_callee
from tests.integration.rtp_phone import RtpPhone
from tests.integration.sipp import SCENARIOS, SippResult
from tests.integration.switch_process import SwitchProcess
from tests.integration.test_center_calls import _events, _serve
from tests.integration.test_pbx_features_sipp import dial_with_phone, in_background
from tests.integration.test_supervision_sipp import SUPERVISED

pytestmark = pytest.mark.timeout(90)

#: mean absolute sample of what a phone hears: speech is well above, A-law silence is 8
HEARD = 300
NOT_HEARD = 50


@pytest.fixture
def center(tmp_path: Path) -> Iterator[SwitchProcess]:
    yield from _serve(tmp_path, SUPERVISED)


@dataclass
class QueueCall:
    call_id: str
    caller: RtpPhone
    agent: RtpPhone
    bridged_at: float
    caller_done: threading.Thread
    caller_result: list[SippResult]


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _bridged_call(control: ControlClient) -> str | None:
    for call in control.request("calls.list"):
        if call.get("queue") == "support" and call.get("agent") == "bob" \
                and call.get("state") == "bridged":
            return str(call["call_id"])
    return None


@contextmanager
def queue_call(center: SwitchProcess, work: Path) -> Iterator[QueueCall]:
    """1001 calls 5000, presses 1 (English) and 2 (support) by RFC 4733 and is bridged to
    bob at 1002; both phones talk. The call ends by the control socket's call.hangup,
    which both phones' SIPp must see as a BYE."""
    control = ControlClient(center.data_dir / "control.sock")
    caller, agent = RtpPhone(), RtpPhone()
    caller.talking = agent.talking = True
    scenario = work / "supervision_agent.xml"
    scenario.write_text((SCENARIOS / "supervision_agent.xml").read_text().replace(
        "PHONE_PORT", str(agent.port)))
    with control:
        control.request("agent.login", agent="bob")
        with sipp_callee(center, work, str(scenario), extension="1002") as agent_sipp:
            try:
                caller.start()
                agent.start()
                thread, result = in_background(lambda: dial_with_phone(
                    center, work, "1001", "5000", caller, hang_up_after_ms=None))
                _wait(lambda: caller.remote is not None, 5, "the language prompt")
                for digit in "12":
                    time.sleep(1.5)
                    caller.press(digit)
                found: list[str] = []
                _wait(lambda: bool(found.append(_bridged_call(control) or "") or found[-1]),
                      10, "the caller bridged to bob")
                _wait(lambda: agent.remote is not None, 3, "audio at the agent's phone")
                yield QueueCall(found[-1], caller, agent, time.monotonic(), thread, result)
                control.request("call.hangup", call_id=found[-1])
                thread.join(15)
                assert result and result[0].returncode == 0, result[0].explain()
                assert agent_sipp.wait(10) == 0, "the agent got no BYE"
            finally:
                caller.close()
                agent.close()


def _talk_alone(talkers: list[RtpPhone], talker: RtpPhone,
                seconds: float = 1.0) -> tuple[float, float]:
    """Only `talker` talks for `seconds`; the window to measure (past the mix's delay)."""
    for phone in talkers:
        phone.talking = phone is talker
    start = time.monotonic()
    time.sleep(seconds)
    return start + 0.25, time.monotonic()


def test_listen_hears_both_parties_and_whisper_reaches_the_agent_alone(
        center: SwitchProcess, tmp_path: Path) -> None:
    with queue_call(center, tmp_path) as call:
        for code, mode in (("*22", "listen"), ("*23", "whisper")):
            supervisor = RtpPhone()
            try:
                supervisor.start()
                thread, result = in_background(lambda c=code, s=supervisor: dial_with_phone(
                    center, tmp_path, "1003", f"{c}1002", s, hang_up_after_ms=4500))
                _wait(lambda s=supervisor: s.remote is not None, 5,
                      f"audio at the supervisor's phone ({mode})")
                phones = [call.caller, call.agent, supervisor]
                window = _talk_alone(phones, call.caller)
                assert supervisor.energy(*window) > HEARD, (mode, "supervisor hears caller")
                window = _talk_alone(phones, call.agent)
                assert supervisor.energy(*window) > HEARD, (mode, "supervisor hears agent")
                assert call.caller.energy(*window) > HEARD, (mode, "caller hears agent")
                window = _talk_alone(phones, supervisor)
                heard_by_agent = call.agent.energy(*window)
                assert call.caller.packets(*window) > 25  # the caller's audio flows
                assert call.caller.energy(*window) < NOT_HEARD, (mode, "caller hears sup")
                if mode == "listen":
                    assert heard_by_agent < NOT_HEARD, (mode, heard_by_agent)
                else:
                    assert heard_by_agent > HEARD, (mode, heard_by_agent)
                thread.join(15)
                assert result and result[0].returncode == 0, result[0].explain()
            finally:
                supervisor.close()
    rows = _events(center, ("supervisor.started", "supervisor.ended"),
                   {"supervisor.started", "supervisor.ended"})
    started = [json.loads(r[3]) for r in rows if r[0] == "supervisor.started"]
    assert [(s["mode"], s["supervisor"], s["target_call"]) for s in started] == [
        ("listen", "1003", call.call_id), ("whisper", "1003", call.call_id)], rows


def _longest_zero_run(samples: np.ndarray) -> tuple[int, int]:
    """(start, length) in samples of the longest stretch of exact zeros."""
    zero = np.concatenate(([0], (samples == 0).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(zero))
    starts, ends = edges[::2], edges[1::2]
    if not len(starts):
        return 0, 0
    longest = int(np.argmax(ends - starts))
    return int(starts[longest]), int(ends[longest] - starts[longest])


def test_a_paused_recording_holds_silence_as_long_as_the_pause_in_a_file_as_long_as_the_talk(
        center: SwitchProcess, tmp_path: Path) -> None:
    with queue_call(center, tmp_path) as call, \
            ControlClient(center.data_dir / "control.sock") as control:
        time.sleep(1.0)
        assert control.request("recording.pause", call_id=call.call_id)["paused"] is True
        paused_at = time.monotonic()
        time.sleep(1.5)
        assert control.request("recording.resume", call_id=call.call_id)["paused"] is False
        resumed_at = time.monotonic()
        time.sleep(1.0)
        ended_at = time.monotonic()  # call.hangup follows at once
    rows = _events(center, ("recording.paused", "recording.resumed", "recording.saved"),
                   {"recording.saved"})
    assert [(r[0], r[1]) for r in rows] == [("recording.paused", call.call_id),
                                            ("recording.resumed", call.call_id),
                                            ("recording.saved", call.call_id)], rows
    saved = json.loads(rows[-1][3])
    with wave.open(str(center.data_dir / saved["path"])) as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    seconds = len(samples) / rate
    # the timeline stays true: the file lasts from the bridge to the hang-up, pause included
    assert seconds == pytest.approx(saved["seconds"], abs=0.03)
    assert seconds == pytest.approx(ended_at - call.bridged_at, abs=0.4), seconds
    start, length = _longest_zero_run(samples)
    assert length / rate == pytest.approx(resumed_at - paused_at, abs=0.15), length / rate
    assert start / rate == pytest.approx(paused_at - call.bridged_at, abs=0.3), start / rate
    # the talk on either side of the pause is there
    before = samples[max(0, start - rate // 2):start]
    after = samples[start + length:start + length + rate // 2]
    assert np.mean(np.abs(before.astype(np.int32))) > HEARD
    assert np.mean(np.abs(after.astype(np.int32))) > HEARD
    conn = sqlite3.connect(center.data_dir / "softswitch.db")
    try:
        [(indexed_seconds, paused_seconds)] = conn.execute(
            "SELECT seconds, paused_seconds FROM recordings WHERE call_id = ?",
            (call.call_id,)).fetchall()
    finally:
        conn.close()
    assert indexed_seconds == pytest.approx(seconds, abs=0.03)
    assert paused_seconds == pytest.approx(length / rate, abs=0.05)
