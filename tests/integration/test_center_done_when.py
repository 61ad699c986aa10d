"""The call center's "done when" over loopback with SIPp: two agents' phones registered and
logged in, a third phone through the demo number into support, the longest-idle agent
rung, the caller told their place in line in the language they chose; pressing 0 in the
queue leaves a message in the queue's mailbox (not an abandon in the report); SIP INFO
key presses driving the IVR."""

from __future__ import annotations

import json
import sqlite3
import struct
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from softswitch.control.client import ControlClient
from tests.integration.call_tools import sipp_callee
from tests.integration.sipp import SippResult, run_sipp
from tests.integration.switch_process import USERS, SwitchProcess
from tests.integration.test_center_calls import _serve

pytestmark = pytest.mark.timeout(90)

#: both agents at level 2 with a 3 s tier wait: every caller waits (and is told their
#: place) before the queue's longest-idle strategy picks between the two
CENTER = """
[[queues]]
name = "support"
strategy = "longest-idle"
ring_timeout = 8
wrap_up = 1
tier_wait = 3
announce_position_every = 1

[[agents]]
id = "alice"
extension = "1001"
[[agents.queues]]
queue = "support"
level = 2

[[agents]]
id = "bob"
extension = "1002"
[[agents.queues]]
queue = "support"
level = 2

[[dids]]
number = "5000"
ivr = "main"

[ivr.flows.main]
start = "language"
[ivr.flows.main.nodes.language]
type = "language"
prompts = ["language_menu"]
choices = { "1" = "en", "2" = "zh" }
default = "en"
timeout = 6
next = "menu"
[ivr.flows.main.nodes.menu]
type = "menu"
prompts = ["main_menu"]
choices = { "1" = "sales", "2" = "support" }
timeout = 6
[ivr.flows.main.nodes.sales]
type = "queue"
queue = "support"
[ivr.flows.main.nodes.support]
type = "queue"
queue = "support"
"""

PCAP = "/usr/share/sip-tester"
Event = tuple[str, str | None, str | None, dict]


@pytest.fixture
def center(tmp_path: Path) -> Iterator[SwitchProcess]:
    yield from _serve(tmp_path, CENTER)


def later_press(source: Path, target: Path, shift: int) -> Path:
    """A copy of an RFC 4733 capture as a later press of the same key: its RTP timestamp
    and sequence numbers moved on by `shift` (a phone's second press never shares the
    first's timestamp, which is how a receiver tells a new press from a repeated end)."""
    data = bytearray(source.read_bytes())
    offset = 24  # pcap header; Ethernet frames: RTP at 42 (14 + 20 + 8)
    while offset < len(data):
        length = struct.unpack_from("<I", data, offset + 8)[0]
        frame = offset + 16
        seq, stamp = struct.unpack_from("!HI", data, frame + 44)
        struct.pack_into("!HI", data, frame + 44, (seq + shift) & 0xFFFF,
                         (stamp + shift * 160) & 0xFFFFFFFF)
        struct.pack_into("!H", data, frame + 40, 0)  # no UDP checksum (IPv4 allows it)
        offset = frame + length
    target.write_bytes(bytes(data))
    return target


def rfc4733(work: Path, *steps: str | int) -> str:
    """SIPp steps: a key (str) sent as RFC 4733 events, or a pause (int, ms). A key
    pressed again is sent as a later press, not a replay of the first."""
    out = []
    pressed: dict[str, int] = {}
    for step in steps:
        if isinstance(step, int):
            out.append(f'<pause milliseconds="{step}"/>')
            continue
        name = {"#": "pound", "*": "star"}.get(step, step)
        capture = Path(PCAP) / f"dtmf_2833_{name}.pcap"
        times = pressed[step] = pressed.get(step, 0) + 1
        if times > 1:
            capture = later_press(capture, work / f"dtmf_{name}_{times}.pcap", 1000 * times)
        out.append(f'<nop><action><exec play_pcap_audio="{capture}"/></action></nop>')
    return "\n  ".join(out)


def info(*steps: str | int, caller: str = "1003", first_cseq: int = 3) -> tuple[str, int]:
    """SIPp steps: a key (str) sent as SIP INFO application/dtmf-relay, or a pause (int,
    ms); with the CSeq the next request takes."""
    out = []
    cseq = first_cseq
    for step in steps:
        if isinstance(step, int):
            out.append(f'<pause milliseconds="{step}"/>')
            continue
        out.append(f"""<send retrans="500"><![CDATA[
      INFO sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:{caller}@pbx.test>;tag=[pid]caller[call_number]
      To: <sip:[service]@pbx.test>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} INFO
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={step}
      Duration=160
    ]]></send>
  <recv response="200"/>""")
        cseq += 1
    return "\n  ".join(out), cseq


def call_5000(switch: SwitchProcess, work: Path, keys: str, *, caller: str = "1003",
              bye_cseq: int = 3, timeout: float = 40) -> SippResult:
    return run_sipp("center_queue_caller.xml", switch.port, work, service="5000",
                    user=caller, password=USERS[caller], timeout=timeout,
                    substitutions={"CALLER@": f"{caller}@", "<!--KEYS-->": keys,
                                   "BYECSEQ": str(bye_cseq)})


def events(switch: SwitchProcess) -> list[Event]:
    conn = sqlite3.connect(switch.data_dir / "softswitch.db")
    try:
        rows = conn.execute("SELECT kind, call_id, agent, data FROM events ORDER BY seq")
        return [(k, c, a, json.loads(d)) for k, c, a, d in rows]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def wait_events(switch: SwitchProcess, done, timeout: float = 15.0) -> list[Event]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    rows = events(switch)
    while not done(rows) and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = events(switch)
    return rows


def hung_up(phone: subprocess.Popen[str], switch: SwitchProcess) -> None:
    """The agent's SIPp finished its call (the switch's BYE reached it)."""
    try:
        phone.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the agent's phone got no BYE: {[r[:3] for r in events(switch)]}")
    assert phone.returncode == 0


def of_call(rows: list[Event], call_id: str) -> list[Event]:
    return [r for r in rows if r[1] == call_id]


def test_the_longest_idle_agent_answers_a_caller_told_their_place_in_their_language(
        center: SwitchProcess, tmp_path: Path) -> None:
    with sipp_callee(center, tmp_path, "call_callee.xml", extension="1001") as alice_phone, \
            sipp_callee(center, tmp_path, "call_callee.xml", extension="1002") as bob_phone:
        with ControlClient(center.data_dir / "control.sock") as control:
            control.request("agent.login", agent="alice")
            time.sleep(0.1)
            control.request("agent.login", agent="bob")
        # the first call goes to alice, idle the longest since her login
        first = call_5000(center, tmp_path, rfc4733(tmp_path, 1500, "1", 1500, "2", 5500))
        assert first.returncode == 0, first.explain() + center.log()
        hung_up(alice_phone, center)
        rows = wait_events(center, lambda r: sum(e[0] == "wrapup.ended" for e in r) >= 1)
        # now bob has been idle the longest: a caller choosing Mandarin, then support
        second = call_5000(center, tmp_path, rfc4733(tmp_path, 1500, "2", 1500, "2", 5500))
        assert second.returncode == 0, second.explain() + center.log()
        hung_up(bob_phone, center)
    rows = wait_events(center, lambda r: sum(e[0] == "call.ended" for e in r) >= 4)
    calls = [r[1] for r in rows if r[0] == "call.enqueued"]
    assert len(calls) == 2, rows
    for call_id, language, agent in ((calls[0], "en", "alice"), (calls[1], "zh", "bob")):
        story = of_call(rows, call_id)
        kinds = [r[0] for r in story]
        for kind in ("call.offered", "ivr.choice", "call.enqueued", "queue.announced",
                     "agent.rung", "call.answered", "call.ended"):
            assert kind in kinds, (kind, kinds)
        assert kinds.index("call.enqueued") < kinds.index("queue.announced") < kinds.index(
            "agent.rung") < kinds.index("call.answered")
        rung = [r[2] or r[3].get("agent") for r in story if r[0] == "agent.rung"]
        assert rung == [agent], (call_id, rung)
        answered = next(r for r in story if r[0] == "call.answered")
        assert (answered[2] or answered[3].get("agent")) == agent
        announced = [r[3] for r in story if r[0] == "queue.announced"]
        for said in announced:
            assert said["language"] == language and said["tokens"][:2] == [
                "queue-position", "1"], said
            assert said["prompts"][0] == f"{language}/you_are_caller_number", said
            assert all(p.startswith(f"{language}/") for p in said["prompts"]), said
    mandarin = next(r[3] for r in of_call(rows, calls[1]) if r[0] == "queue.announced")
    assert "zh/caller_number_suffix" in mandarin["prompts"]


def test_pressing_0_in_the_queue_leaves_a_message_in_its_mailbox_not_an_abandon(
        center: SwitchProcess, tmp_path: Path) -> None:
    # nobody is logged in: the caller waits, presses 0, skips the greeting with #, talks
    keys = rfc4733(tmp_path, 1500, "1", 1500, "2", 2000, "0", 1200, "#", 800) + (
        f'\n  <nop><action><exec play_pcap_audio="{PCAP}/g711a.pcap"/></action></nop>'
        '\n  <pause milliseconds="3500"/>')
    result = call_5000(center, tmp_path, keys)
    assert result.returncode == 0, result.explain() + center.log()
    rows = wait_events(center, lambda r: any(e[0] == "voicemail.ended" for e in r))
    kinds = [r[0] for r in rows]
    assert "queue.voicemail" in kinds, kinds
    conn = sqlite3.connect(center.data_dir / "softswitch.db")
    try:
        messages = conn.execute("SELECT mailbox, caller, duration, path "
                                "FROM voicemail_messages").fetchall()
    finally:
        conn.close()
    assert len(messages) == 1, (messages, kinds, center.log())
    mailbox, caller, duration, path = messages[0]
    assert (mailbox, caller) == ("support", "1003")
    assert 2.0 <= duration <= 6.0, duration
    with wave.open(str(center.data_dir / path)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert abs(seconds - duration) < 0.5
    report = subprocess.run(
        [sys.executable, "-m", "softswitch.cli.main", "report", "--queue", "support",
         "--format", "json", "--data-dir", str(center.data_dir)],
        capture_output=True, text=True, timeout=30)
    assert report.returncode == 0, report.stderr
    text = json.dumps(json.loads(report.stdout))
    assert '"offered": 1' in text and '"abandoned": 0' in text, text


def test_sip_info_key_presses_drive_the_ivr_into_the_queue(center: SwitchProcess,
                                                          tmp_path: Path) -> None:
    keys, cseq = info(1000, "2", 1000, "2", 2500)
    result = call_5000(center, tmp_path, keys, bye_cseq=cseq)
    assert result.returncode == 0, result.explain() + center.log()
    rows = wait_events(center, lambda r: any(e[0] == "call.abandoned" for e in r))
    choices = [r[3] for r in rows if r[0] == "ivr.choice"]
    assert [c["digit"] for c in choices] == ["2", "2"], choices
    kinds = [r[0] for r in rows]
    assert kinds.index("call.enqueued") < kinds.index("call.abandoned"), kinds
    # the Mandarin choice made by INFO carries into the queue's announcements
    said = [r[3] for r in rows if r[0] == "queue.announced"]
    assert said and said[0]["language"] == "zh", said

