"""Calls per second through the IVR, a queue and an agent, end to end, with no failed call.

    python bench/center_rate.py [--quick] [--agents 200] [--step-seconds 6] [--json FILE]
    python bench/center_rate.py --concurrent [--quick] [--json FILE]

The switch runs with N agents (extensions 3000 up), one queue "support" (longest idle,
no wrap-up) and a DID 5000 answered by an IVR flow whose one menu sends "2" to the queue.
The agents' phones are one SIPp UAS: every agent extension is registered with a Contact
at its port, and it answers whatever the switch rings at once, its SDP pointing at a
packet counter in this process that echoes every packet back (so audio flows both ways
across the bridge). The agents are logged in through the control socket.

SIPp callers (users from a CSV) dial 5000 with digest auth; the IVR answers; after a
short pause they press 2 as RFC 4733 events, then send A-law RTP for the hold time and
hang up. The ACD rings the longest-idle agent, the UAS answers, the switch bridges. Rates
rise step by step; the result is the highest rate at which every call succeeded for SIPp,
every caller was answered by an agent (no abandon), every bridged call's audio reached
its agent, and the switch kept up (callers were bridged to agents, first to last, at no
less than 90% of the offered rate). The agents are many enough (200: about 90 calls/s at
the 2.2 s each holds an agent) that the switch, not the staff, is the limit.

Latencies are read from the event log in SQLite (the switch's own clock):
- routing: `call.enqueued` to `agent.rung`, the ACD's decision (taken in the same step
  as the enqueue when an agent is free, so it is the caller's wait for an agent);
- key to bridge: the menu digit taken (`ivr.choice`) to `call.answered`, which spans the
  ACD, the INVITE to the agent's phone, its 200 and the bridge;
- INVITE to bridge: `call.offered` (the authenticated INVITE answered by the IVR) to
  `call.answered`; it includes the caller's scripted 300 ms pause before the key and
  the 140 ms the RFC 4733 digit lasts (the digit is taken at its end).
The packet counter also gives the RTP each agent received per call (the switch's engine
sends the agent leg a packet every 20 ms from the bridge on).
CPU ms per call is the switch process's user + system time from /proc over the step.
Everything stays on loopback, bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.call_rate import (
    Bench,
    Target,
    audio_pcap,
    callee,
    cpu_seconds,
    fill,
    first_failures,
    last_stats,
    peak_calls,
    response_ms,
    sipp,
    stop,
)
from bench.concurrent_calls import RtpCounter, rtp_counter
from bench.machine import describe
from softswitch.control.client import ControlClient
from tests.integration.switch_process import free_port

SCENARIOS = Path(__file__).parent / "scenarios"
DID = "5000"
QUEUE = "support"
MENU_DIGIT = "2"
FIRST_AGENT = 3000
AGENTS = 200  # enough that the agents are not the limit below the switch's own
QUICK_AGENTS = 100
HOLD_SECONDS = 2.0  # the caller's time from the key press to its BYE
KEY_DELAY = 0.3  # seconds from the caller's ACK to the menu key
RATES = (5, 10, 15, 20, 25, 30, 40, 50, 60, 80)
QUICK_RATES = (10, 20, 30, 40)
KEEP_UP = 0.9
CONCURRENT = (100, 200, 300, 400, 500)
QUICK_CONCURRENT = (100, 200)
CONCURRENT_SETUP_RATE = 30  # calls/s while ramping up: well inside the clean rate
PTIME = 0.02  # the engine sends each bridged leg a packet per 20 ms tick
MAX_LOSS = 0.01
OVERLAP = 0.95  # SIPp must hold this share of the step's calls open at once
SETTLE_SECONDS = 8.0  # the longest wait for a step's events to reach SQLite


@dataclass
class Center:
    """The working directory with the callers' and the agents' accounts."""

    work: Path
    callers: list[tuple[str, str]]
    agents: list[tuple[str, str]]

    @property
    def users(self) -> list[tuple[str, str]]:
        return self.callers + self.agents

    def agent_id(self, extension: str) -> str:
        return f"agent{extension}"

    def csv(self, name: str, users: list[tuple[str, str]]) -> Path:
        path = self.work / name
        path.write_text("SEQUENTIAL\n" + "".join(
            f"{ext};[authentication username={ext} password={pw}];\n" for ext, pw in users))
        return path


def make_center(work: Path, agents: int, callers: int) -> Center:
    return Center(work,
                  [(str(10000 + i), f"pw-{i:05d}-caller") for i in range(callers)],
                  [(str(FIRST_AGENT + i), f"pw-{i:05d}-agent") for i in range(agents)])


def center_config(center: Center, port: int) -> str:
    """Users, the agents in one queue, and the DID to a one-menu IVR flow."""
    parts = [f'[sip]\nlisten = ["udp:127.0.0.1:{port}"]\ndomain = "bench.test"\n'
             "[security]\nauth_failures = 1000000\n",
             f'[[queues]]\nname = "{QUEUE}"\nstrategy = "longest-idle"\nwrap_up = 0\n'
             "ring_timeout = 20\n",
             f'[[dids]]\nnumber = "{DID}"\nivr = "main"\n',
             '[ivr.flows.main]\nstart = "menu"\n'
             '[ivr.flows.main.nodes.menu]\ntype = "menu"\nprompts = ["main_menu"]\n'
             f'choices = {{ "{MENU_DIGIT}" = "support" }}\ntimeout = 10\n'
             f'[ivr.flows.main.nodes.support]\ntype = "queue"\nqueue = "{QUEUE}"\n']
    parts += [f'[[users]]\nextension = "{ext}"\npassword = "{pw}"\n'
              for ext, pw in center.users]
    parts += [f'[[agents]]\nid = "{center.agent_id(ext)}"\nextension = "{ext}"\n'
              f'[[agents.queues]]\nqueue = "{QUEUE}"\n' for ext, _ in center.agents]
    return "\n".join(parts)


@dataclass
class CenterSwitch:
    target: Target
    data: Path

    @property
    def db(self) -> Path:
        return self.data / "softswitch.db"

    @property
    def control(self) -> Path:
        return self.data / "control.sock"


@contextmanager
def center_switch(center: Center) -> Iterator[CenterSwitch]:
    """`softswitch serve` with the call center configuration, quiet, a wide RTP range."""
    port = free_port()
    data = center.work / f"switch-{port}"
    data.mkdir()
    config = data / "softswitch.toml"
    config.write_text(center_config(center, port))
    # below the agents' SIPp media ports (30000 up) and the callers' (50000 up)
    low = 20000 + 2 * random.randrange(0, 500)
    env = dict(os.environ, PYTHONUNBUFFERED="1", SOFTSWITCH_RTP_PORTS=f"{low}-{low + 8998}")
    log = open(data / "switch.log", "w")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(
        [sys.executable, "-m", "softswitch.cli.main", "serve", "--config", str(config),
         "--data-dir", str(data), "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("the switch exited early: "
                                   + (data / "switch.log").read_text()[-2000:])
            if line.strip() == "softswitch ready":
                break
        else:
            raise RuntimeError("the switch was not ready in 30 s")
        yield CenterSwitch(Target("softswitch", port, proc, authenticates=True), data)
    finally:
        stop(proc)
        log.close()


def register_agents(center: Center, switch_port: int, uas_port: int) -> None:
    """Every agent extension registered from the UAS's port, so its Contact is the UAS."""
    csv = center.csv(f"agents-{uas_port}.csv", center.agents)
    count = len(center.agents)
    result = subprocess.run(
        [sipp(), "-sf", str(SCENARIOS / "register_csv.xml"), f"127.0.0.1:{switch_port}",
         "-i", "127.0.0.1", "-p", str(uas_port), "-cp", str(free_port()), "-inf", str(csv),
         "-m", str(count), "-r", "200", "-nostdin", "-timeout", "30s", "-timeout_error"],
        capture_output=True, text=True, timeout=60, cwd=center.work)
    if result.returncode != 0:
        raise RuntimeError(f"the agents' phones could not register: {result.stdout[-1500:]}")


def login_agents(center: Center, control: Path) -> None:
    with ControlClient(control) as client:
        for ext, _ in center.agents:
            state = client.request("agent.login", agent=center.agent_id(ext))
            if state["status"] != "available":
                raise RuntimeError(f"agent {ext} is {state['status']} after login")


def last_seq(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])
    finally:
        conn.close()


def step_events(db: Path, after: int, calls: int) -> list[tuple[float, str, str, dict[str, Any]]]:
    """(ts, kind, call_id, data) of the call events after `after`, once `calls` calls have
    ended (or the settle time is over)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    rows: list[tuple[float, str, str, dict[str, Any]]] = []
    while True:
        conn = sqlite3.connect(db)
        try:
            raw = conn.execute(
                "SELECT ts, kind, call_id, data FROM events WHERE seq > ? AND call_id IS NOT "
                "NULL ORDER BY seq", (after,)).fetchall()
        except sqlite3.OperationalError:
            raw = []
        finally:
            conn.close()
        rows = [(ts, kind, call_id, json.loads(data)) for ts, kind, call_id, data in raw]
        ended = sum(1 for r in rows if r[1] == "call.ended")
        if ended >= calls or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank) of `values`, None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def call_figures(rows: list[tuple[float, str, str, dict[str, Any]]]) -> dict[str, Any]:
    """Counts and latencies (ms) per call from one step's events."""
    first: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
    counts: dict[str, int] = {}
    bridged: list[float] = []
    for ts, kind, call_id, data in rows:
        counts[kind] = counts.get(kind, 0) + 1
        first.setdefault((kind, call_id), (ts, data))
        if kind == "call.answered":
            bridged.append(data["at"])
    route, key, invite, talk = [], [], [], []
    for (kind, call_id), (ts, data) in first.items():
        if kind == "agent.rung" and ("call.enqueued", call_id) in first:
            route.append(1000 * (data["at"] - first["call.enqueued", call_id][1]["at"]))
        if kind == "call.answered":
            if ("ivr.choice", call_id) in first:
                key.append(1000 * (data["at"] - first["ivr.choice", call_id][1]["at"]))
            if ("call.offered", call_id) in first:
                invite.append(1000 * (ts - first["call.offered", call_id][0]))
            if ("call.ended", call_id) in first:
                talk.append(first["call.ended", call_id][0] - ts)

    def spread(values: list[float]) -> dict[str, float | None]:
        return {f"p{int(q * 100)}": None if (v := percentile(values, q)) is None
                else round(v, 2) for q in (0.5, 0.99)}

    span = max(bridged) - min(bridged) if len(bridged) > 1 else 0.0
    return {"bridged_per_second": round((len(bridged) - 1) / span, 1) if span else None,
            "bridged_seconds": round(sum(talk), 2),
            "events": dict(sorted(counts.items())),
            "offered": counts.get("call.offered", 0),
            "enqueued": counts.get("call.enqueued", 0),
            "answered": counts.get("call.answered", 0),
            "abandoned": counts.get("call.abandoned", 0),
            "no_answer": counts.get("agent.no_answer", 0),
            "routing_ms": spread(route), "key_to_bridge_ms": spread(key),
            "invite_to_bridge_ms": spread(invite)}


def run_center_callers(center: Center, switch: CenterSwitch, *, rate: float, calls: int,
                       pcap: Path, timeout: float, hold: float = HOLD_SECONDS
                       ) -> dict[str, Any]:
    """SIPp callers through the IVR to an agent: `calls` calls at `rate`/s, each sending
    audio for `hold` s after its key."""
    scenario = fill("center_uac.xml", center.work / f"center-uac-{free_port()}.xml",
                    PCAP=str(pcap), DIGIT=MENU_DIGIT, KEY_DELAY_MS=str(int(KEY_DELAY * 1000)))
    stats = center.work / f"stats-{free_port()}.csv"
    errors = center.work / f"errors-{free_port()}.log"
    target = switch.target
    cmd = [sipp(), "-sf", str(scenario), f"127.0.0.1:{target.port}", "-i", "127.0.0.1",
           "-p", str(free_port()), "-cp", str(free_port()),
           "-mp", str(50000 + 2 * random.randrange(0, 2500)), "-s", DID,
           "-inf", str(center.csv("callers.csv", center.callers)), "-r", str(rate),
           "-m", str(calls), "-d", str(int(hold * 1000)), "-nostdin",
           "-timeout", f"{int(timeout)}s", "-timeout_error", "-trace_stat", "-stf", str(stats),
           "-fd", "1", "-trace_err", "-error_file", str(errors), "-max_socket", "4000",
           "-recv_timeout", "10000"]
    after = last_seq(switch.db)
    cpu_before = cpu_seconds(target.process.pid)
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=center.work,
                          timeout=timeout + 30)
    elapsed = time.monotonic() - start
    cpu = cpu_seconds(target.process.pid) - cpu_before if target.alive() else 0.0
    row = last_stats(stats)
    successful = int(row.get("SuccessfulCall(C)", 0) or 0)
    failed = int(row.get("FailedCall(C)", 0) or 0)
    step: dict[str, Any] = {
        "rate": rate, "calls": calls, "successful": successful, "failed": failed,
        "exit": proc.returncode, "elapsed": round(elapsed, 2), "cpu_seconds": round(cpu, 3),
        "cpu_ms_per_call": round(1000 * cpu / successful, 2) if successful else None,
        "answer_ms": response_ms(row.get("ResponseTime1(C)", "")),
        "peak_concurrent": peak_calls(stats), "target_alive": target.alive(),
        "errors": first_failures(errors) if failed else ""}
    step.update(call_figures(step_events(switch.db, after, calls)))
    return step


def center_steps(center: Center, switch: CenterSwitch, counter: RtpCounter, pcap: Path,
                 step_seconds: float,
                 rates: tuple[int, ...]) -> list[dict[str, Any]]:
    """Rising rates until a call fails, a caller is not answered, or the switch falls
    behind."""
    steps = []
    for rate in rates:
        calls = max(1, int(rate * step_seconds))
        counter.take()
        step = run_center_callers(center, switch, rate=rate, calls=calls, pcap=pcap,
                                  timeout=step_seconds * 4 + 30)
        received, flows = counter.take()
        # the pace at which callers were bridged to agents, first to last: below the
        # offered rate when the switch falls behind
        step["achieved_per_second"] = step["bridged_per_second"] or 0.0
        step["agent_flows"] = flows
        step["agent_packets"] = received
        step["agent_packets_per_call"] = round(received / step["answered"], 1) \
            if step["answered"] else None
        step["clean"] = (step["exit"] == 0 and not step["failed"] and step["target_alive"]
                         and step["successful"] == calls and step["answered"] == calls
                         and not step["abandoned"] and flows >= calls
                         and step["achieved_per_second"] >= KEEP_UP * rate)
        steps.append(step)
        if not step["clean"]:
            break
    return steps


def concurrency_steps(center: Center, switch: CenterSwitch, counter: RtpCounter,
                      steps: tuple[int, ...], plateau: float) -> list[dict[str, Any]]:
    """Rising numbers of callers bridged to agents at once, until a call fails, a caller
    is not answered, or the RTP reaching the agents falls 1% short of a packet every 20 ms
    of each bridge (bridge to the caller's BYE, from the event log)."""
    out = []
    for calls in steps:
        ramp = calls / CONCURRENT_SETUP_RATE
        hold = ramp + plateau
        pcap = center.work / f"audio-{calls}.pcap"
        audio_pcap(pcap, hold - 0.4)
        counter.take()
        step = run_center_callers(center, switch, rate=CONCURRENT_SETUP_RATE, calls=calls,
                                  pcap=pcap, timeout=hold * 3 + 30, hold=hold)
        received, flows = counter.take()
        expected = step["bridged_seconds"] / PTIME
        loss = 1 - received / expected if expected else 1.0
        step.update(concurrent=calls, hold_seconds=round(hold, 2), agent_packets=received,
                    agent_flows=flows, expected_packets=round(expected),
                    loss_percent=round(100 * loss, 3),
                    cpu_percent=round(100 * step["cpu_seconds"] / step["elapsed"], 1))
        step["clean"] = (step["exit"] == 0 and not step["failed"] and step["target_alive"]
                         and step["successful"] == calls and step["answered"] == calls
                         and not step["abandoned"] and flows >= calls and loss < MAX_LOSS
                         and step["peak_concurrent"] >= OVERLAP * calls)
        out.append(step)
        if not step["clean"]:
            break
    return out


def run_concurrent(quick: bool = False) -> dict[str, Any]:
    """The most callers talking to agents at once through IVR and queue, RTP both ways."""
    steps = QUICK_CONCURRENT if quick else CONCURRENT
    plateau = 4.0 if quick else 5.0  # a longer hold: the 20 ms count's per-call error shrinks
    with tempfile.TemporaryDirectory(prefix="softswitch-bench-center-") as tmp:
        center = make_center(Path(tmp), agents=max(steps), callers=max(steps))
        with rtp_counter() as counter, center_switch(center) as switch:
            uas_port = free_port()
            register_agents(center, switch.target.port, uas_port)
            login_agents(center, switch.control)
            with callee(Bench(center.work, []), uas_port, media=("127.0.0.1", counter.port)):
                results = concurrency_steps(center, switch, counter, steps, plateau)
    best = max((s["concurrent"] for s in results if s["clean"]), default=0)
    return {"benchmark": "center_concurrent", "agents": max(steps),
            "setup_rate": CONCURRENT_SETUP_RATE, "plateau_seconds": plateau,
            "max_loss_percent": 100 * MAX_LOSS, "steps": results, "concurrent": best,
            "machine": describe(), "command": " ".join([sys.executable, *sys.argv])}


def run(quick: bool = False, agents: int | None = None,
        step_seconds: float | None = None) -> dict[str, Any]:
    seconds = step_seconds or (3.0 if quick else 6.0)
    rates = QUICK_RATES if quick else RATES
    count = agents or (QUICK_AGENTS if quick else AGENTS)
    with tempfile.TemporaryDirectory(prefix="softswitch-bench-center-") as tmp:
        center = make_center(Path(tmp), agents=count, callers=500)
        pcap = center.work / "audio.pcap"
        packets = audio_pcap(pcap, HOLD_SECONDS - 0.4)
        with rtp_counter() as counter, center_switch(center) as switch:
            uas_port = free_port()
            register_agents(center, switch.target.port, uas_port)
            login_agents(center, switch.control)
            with callee(Bench(center.work, []), uas_port, media=("127.0.0.1", counter.port)):
                steps = center_steps(center, switch, counter, pcap, seconds, rates)
    # each agent is busy from the bridge to the caller's BYE: the hold plus the 200 ms
    # between the key and the caller's audio
    capacity = round(count / (HOLD_SECONDS + 0.2), 1)
    clean = [s for s in steps if s["clean"]]
    top = max(clean, key=lambda s: s["rate"]) if clean else None
    return {"benchmark": "center_rate", "agents": count, "queue_strategy": "longest-idle",
            "wrap_up": 0, "step_seconds": seconds, "hold_seconds": HOLD_SECONDS,
            "key_delay_seconds": KEY_DELAY, "caller_rtp_packets_per_call": packets,
            "agent_capacity_per_second": capacity,
            "steps": steps,
            "rate": top["rate"] if top else 0,
            "achieved_per_second": top["achieved_per_second"] if top else 0.0,
            "cpu_ms_per_call": top["cpu_ms_per_call"] if top else None,
            "routing_ms": top["routing_ms"] if top else None,
            "key_to_bridge_ms": top["key_to_bridge_ms"] if top else None,
            "invite_to_bridge_ms": top["invite_to_bridge_ms"] if top else None,
            "limit": limit(steps, capacity),
            "machine": describe(), "command": " ".join([sys.executable, *sys.argv])}


def limit(steps: list[dict[str, Any]], capacity: float) -> str:
    """Why the rates stopped rising, in words."""
    if not steps:
        return "no step ran"
    last = steps[-1]
    if last["clean"]:
        return "the highest rate tried"
    reasons = []
    if not last["target_alive"]:
        reasons.append("the switch died")
    if last["failed"] or last["exit"]:
        reasons.append(f"{last['failed']} SIPp calls failed (exit {last['exit']})")
    if last["answered"] < last["calls"]:
        reasons.append(f"{last['calls'] - last['answered']} callers not answered by an agent")
    if last["abandoned"]:
        reasons.append(f"{last['abandoned']} abandoned")
    if last["agent_flows"] < last["calls"]:
        reasons.append(f"audio reached agents on {last['agent_flows']} of {last['calls']} calls")
    if last["achieved_per_second"] < KEEP_UP * last["rate"]:
        reasons.append(f"callers bridged at {last['achieved_per_second']}/s of "
                       f"{last['rate']}/s offered")
    if last["rate"] > capacity:
        reasons.append(f"above the {capacity}/s the agents can take")
    return f"at {last['rate']}/s: " + "; ".join(reasons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--agents", type=int)
    parser.add_argument("--step-seconds", type=float)
    parser.add_argument("--concurrent", action="store_true",
                        help="the most calls bridged at once instead of the call rate")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    if args.concurrent:
        print_concurrent(run_concurrent(args.quick), args.json)
        return
    report = run(args.quick, args.agents, args.step_seconds)
    print(f"{'offered/s':>9}{'calls':>7}{'ok':>6}{'fail':>5}{'answ':>6}{'aband':>6}"
          f"{'done/s':>7}{'cpu ms':>8}{'route p50/p99':>15}{'key>bridge p50/p99':>20}"
          f"{'INVITE>bridge p50/p99':>23}{'rtp/call':>9}")
    for s in report["steps"]:
        print(f"{s['rate']:>9}{s['calls']:>7}{s['successful']:>6}{s['failed']:>5}"
              f"{s['answered']:>6}{s['abandoned']:>6}{s['achieved_per_second']:>7}"
              f"{s['cpu_ms_per_call'] or '':>8}"
              f"{pair(s['routing_ms']):>15}{pair(s['key_to_bridge_ms']):>20}"
              f"{pair(s['invite_to_bridge_ms']):>23}{s['agent_packets_per_call'] or '':>9}")
    print(f"{report['rate']} calls/s through IVR, queue and agent with no failure "
          f"({report['agents']} agents, {report['hold_seconds']} s hold); "
          f"{report['cpu_ms_per_call']} ms CPU per call; stopped: {report['limit']}")
    machine = report["machine"]
    print(f"{machine['cpu']} x{machine['cores']}, Python {machine['python']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


def print_concurrent(report: dict[str, Any], json_path: str | None) -> None:
    print(f"{'calls':>6}{'peak':>6}{'ok':>6}{'fail':>5}{'answ':>6}{'aband':>6}{'loss %':>8}"
          f"{'cpu %':>7}{'key>bridge p50/p99':>20}")
    for s in report["steps"]:
        print(f"{s['concurrent']:>6}{s['peak_concurrent']:>6}{s['successful']:>6}"
              f"{s['failed']:>5}{s['answered']:>6}{s['abandoned']:>6}{s['loss_percent']:>8}"
              f"{s['cpu_percent']:>7}{pair(s['key_to_bridge_ms']):>20}")
    print(f"{report['concurrent']} callers talking to agents at once through IVR and queue, "
          f"RTP both ways, under {report['max_loss_percent']}% loss at the agents")
    machine = report["machine"]
    print(f"{machine['cpu']} x{machine['cores']}, Python {machine['python']}")
    if json_path:
        Path(json_path).write_text(json.dumps(report, indent=2))


def pair(spread: dict[str, float | None] | None) -> str:
    if not spread or spread["p50"] is None:
        return "-"
    return f"{spread['p50']:.1f}/{spread['p99']:.1f}"


if __name__ == "__main__":
    main()
