"""Call setup rate through `softswitch serve` with no failed call, beside sippy's B2BUA.

    python bench/call_rate.py [--quick] [--step-seconds 3] [--json FILE]

SIPp callers (users from a CSV, each INVITE answered to the switch's digest challenge)
call an extension registered by a SIPp UAS that answers at once (no 180) and echoes RTP.
Each call: INVITE, 401, INVITE with credentials, 200, ACK, 2 s of A-law RTP played from a
pcap (33 packets/s each way, relayed by the switch), BYE. Rates rise step by step; the
result is the highest rate with no failed call at which the switch kept up (completed at
least 90% of the offered rate), with the switch's CPU seconds per call there.

In the same run the same callers and callee go through sippy's `b2bua_simple`. It does not
authenticate (its callers send one INVITE, no challenge: one transaction less per call)
and it does not anchor media (RTP goes straight from caller to callee): it relays
signalling only, so its figure is for less work per call. The switch cannot be told to
trust a caller's address yet, so no no-auth run of the switch is possible; both figures are
reported with that difference stated. Everything stays on loopback, bounded in count and
time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import struct
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

from bench.machine import describe
from tests.integration.switch_process import free_port

SCENARIOS = Path(__file__).parent / "scenarios"
SOURCE_PCAP = Path("/usr/share/sip-tester/g711a.pcap")
CALLEE = "2000"
RATES = (10, 20, 40, 70, 100, 130, 160, 200, 250, 300, 400, 500)
QUICK_RATES = (20, 60, 100, 130, 160, 250, 400)
CALL_SECONDS = 2.0
KEEP_UP = 0.9  # completed / offered below this: calls queue, the target no longer keeps up


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its threads so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def audio_pcap(dest: Path, seconds: float) -> int:
    """Write SIPp's A-law pcap cut or looped to `seconds`, with RTP sequence numbers and
    timestamps running on across loops; returns the number of packets."""
    data = SOURCE_PCAP.read_bytes()
    header, records, offset = data[:24], [], 24
    while offset + 16 <= len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[offset:offset + 16])
        records.append(data[offset + 16:offset + 16 + incl])
        offset += 16 + incl
    interval = 0.03  # the source's packets carry 240 samples: 30 ms each
    count = max(1, round(seconds / interval))
    out = bytearray(header)
    for i in range(count):
        pkt = bytearray(records[i % len(records)])
        rtp = 14 + 20 + 8
        struct.pack_into("!H", pkt, 14 + 20 + 6, 0)  # UDP checksum: none (valid on IPv4)
        struct.pack_into("!HI", pkt, rtp + 2, i & 0xFFFF, (i * 240) & 0xFFFFFFFF)
        pkt[rtp + 1] = (pkt[rtp + 1] & 0x7F) | (0x80 if i == 0 else 0)  # marker on the first
        micro = int(i * interval * 1_000_000)
        out += struct.pack("<IIII", 1_000_000_000 + micro // 1_000_000, micro % 1_000_000,
                           len(pkt), len(pkt))
        out += pkt
    dest.write_bytes(bytes(out))
    return count


def fill(template: str, dest: Path, **values: str) -> Path:
    """A scenario from bench/scenarios with its @NAME@ placeholders replaced."""
    text = (SCENARIOS / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    dest.write_text(text)
    return dest


def wait_bound(port: int, timeout: float = 10.0) -> None:
    """Until something holds UDP `port` on loopback (a server that has started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on udp 127.0.0.1:{port} after {timeout} s")


@dataclass
class Target:
    """What the callers call: a port and the process whose CPU is counted."""

    name: str
    port: int
    process: subprocess.Popen[str]
    authenticates: bool

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Bench:
    """The temporary working directory with its users, CSV and scenarios."""

    work: Path
    users: list[tuple[str, str]]

    @property
    def csv(self) -> Path:
        path = self.work / "callers.csv"
        if not path.exists():
            path.write_text("SEQUENTIAL\n" + "".join(
                f"{ext};[authentication username={ext} password={pw}];\n"
                for ext, pw in self.users if ext != CALLEE))
        return path

    def password(self, ext: str) -> str:
        return dict(self.users)[ext]


def make_bench(work: Path, callers: int) -> Bench:
    users = [(str(10000 + i), f"pw-{i:05d}-bench") for i in range(callers)]
    users.append((CALLEE, "pw-callee-bench"))
    return Bench(work, users)


@contextmanager
def switch(bench: Bench) -> Iterator[Target]:
    """`softswitch serve` on a free loopback port, quiet logging, a wide RTP port range."""
    port = free_port()
    data = bench.work / f"switch-{port}"
    data.mkdir()
    config = data / "softswitch.toml"
    config.write_text(
        f'[sip]\nlisten = ["udp:127.0.0.1:{port}"]\ndomain = "bench.test"\n'
        "[security]\nauth_failures = 1000000\n"
        + "".join(f'[[users]]\nextension = "{ext}"\npassword = "{pw}"\n'
                  for ext, pw in bench.users))
    low = 20000 + 2 * random.randrange(0, 1000)
    env = dict(os.environ, PYTHONUNBUFFERED="1", SOFTSWITCH_RTP_PORTS=f"{low}-{low + 16000}",
               SOFTSWITCH_RING_TIMEOUT="30")
    log = open(data / "switch.log", "w")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(
        [sys.executable, "-m", "softswitch.cli.main", "serve", "--config", str(config),
         "--data-dir", str(data), "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("the switch exited early: "
                                   + (data / "switch.log").read_text()[-2000:])
            if line.strip() == "softswitch ready":
                break
        else:
            raise RuntimeError("the switch was not ready in 20 s")
        yield Target("softswitch", port, proc, authenticates=True)
    finally:
        stop(proc)
        log.close()


@contextmanager
def sippy(callee_port: int) -> Iterator[Target]:
    """sippy's b2bua_simple forwarding every call to the callee, logging off."""
    script = Path(sys.executable).parent / "b2bua_simple"
    found = script if script.exists() else shutil.which("b2bua_simple")
    if found is None:
        raise RuntimeError("sippy's b2bua_simple is missing (pip install sippy)")
    port = free_port()
    # run the script with this interpreter, so the pid is sippy's, not a shim's
    cmd = [sys.executable, str(found)] if script.exists() else [str(found)]
    proc = subprocess.Popen(
        [*cmd, "-f", "-l", "127.0.0.1", "-p", str(port), "-n", f"127.0.0.1:{callee_port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        env=dict(os.environ, SIPLOG_BEND="none"))
    try:
        wait_bound(port)
        yield Target("sippy b2bua_simple", port, proc, authenticates=False)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def sipp() -> str:
    path = shutil.which("sipp")
    if path is None:
        raise RuntimeError("sipp is needed (Debian package sip-tester)")
    return path


def register(bench: Bench, switch_port: int, local_port: int) -> None:
    """Register the callee extension from the port its UAS will listen on."""
    csv = bench.work / f"callee-{local_port}.csv"
    csv.write_text(f"SEQUENTIAL\n{CALLEE};[authentication username={CALLEE} "
                   f"password={bench.password(CALLEE)}];\n")
    result = subprocess.run(
        [sipp(), "-sf", str(SCENARIOS / "register_csv.xml"), f"127.0.0.1:{switch_port}",
         "-i", "127.0.0.1", "-p", str(local_port), "-cp", str(free_port()), "-inf", str(csv),
         "-m", "1", "-nostdin", "-timeout", "15s", "-timeout_error"],
        capture_output=True, text=True, timeout=30, cwd=bench.work)
    if result.returncode != 0:
        raise RuntimeError(f"the callee could not register: {result.stdout[-1500:]}")


@contextmanager
def callee(bench: Bench, port: int, *, media: tuple[str, int] | None = None,
           calls: int = 1_000_000) -> Iterator[subprocess.Popen[str]]:
    """A SIPp UAS answering at once on `port`; RTP echoed by SIPp, or, with `media`, sent
    to that address (a packet counter) instead."""
    scenario = fill("call_uas.xml", bench.work / f"uas-{port}.xml",
                    MEDIA_IP=media[0] if media else "[media_ip]",
                    MEDIA_PORT=str(media[1]) if media else "[media_port]")
    mp = 30000 + 2 * random.randrange(0, 8000)
    cmd = [sipp(), "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port),
           "-cp", str(free_port()), "-mp", str(mp), "-m", str(calls), "-nostdin",
           "-max_socket", "4000", "-timeout", "600s"]
    if media is None:
        cmd.append("-rtp_echo")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            text=True, cwd=bench.work)
    try:
        wait_bound(port)
        yield proc
    finally:
        stop(proc)


def run_callers(bench: Bench, target: Target, *, rate: float, calls: int, limit: int | None,
                pcap: Path, hold: float, timeout: float) -> dict[str, Any]:
    """SIPp callers against `target`: `calls` calls at `rate`/s, each holding `hold` s;
    returns the counts SIPp reports and the target's CPU seconds over the run."""
    template = "call_uac.xml" if target.authenticates else "call_uac_noauth.xml"
    scenario = fill(template, bench.work / f"uac-{free_port()}.xml", PCAP=str(pcap))
    stats = bench.work / f"stats-{free_port()}.csv"
    errors = bench.work / f"errors-{free_port()}.log"
    cmd = [sipp(), "-sf", str(scenario), f"127.0.0.1:{target.port}", "-i", "127.0.0.1",
           "-p", str(free_port()), "-cp", str(free_port()),
           "-mp", str(30000 + 2 * random.randrange(0, 8000)), "-s", CALLEE,
           "-inf", str(bench.csv), "-r", str(rate), "-m", str(calls),
           "-d", str(int(hold * 1000)), "-nostdin", "-timeout", f"{int(timeout)}s",
           "-timeout_error", "-trace_stat", "-stf", str(stats), "-fd", "1",
           "-trace_err", "-error_file", str(errors), "-max_socket", "4000",
           "-recv_timeout", "10000"]
    if limit:
        cmd += ["-l", str(limit)]
    cpu_before = cpu_seconds(target.process.pid)
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=bench.work,
                          timeout=timeout + 30)
    elapsed = time.monotonic() - start
    cpu = cpu_seconds(target.process.pid) - cpu_before if target.alive() else 0.0
    row = last_stats(stats)
    successful = int(row.get("SuccessfulCall(C)", 0) or 0)
    failed = int(row.get("FailedCall(C)", 0) or 0)
    return {"rate": rate, "calls": calls, "successful": successful, "failed": failed,
            "exit": proc.returncode, "elapsed": round(elapsed, 2), "cpu_seconds": round(cpu, 3),
            "cpu_ms_per_call": round(1000 * cpu / successful, 2) if successful else None,
            "setup_ms": response_ms(row.get("ResponseTime1(C)", "")),
            "peak_concurrent": peak_calls(stats),
            "target_alive": target.alive(),
            "errors": first_failures(errors) if failed else ""}


def first_failures(path: Path, count: int = 3) -> str:
    """SIPp's lines saying why calls failed (not its notes on late retransmissions to calls
    already over)."""
    if not path.exists():
        return ""
    lines = [line for line in path.read_text(errors="replace").splitlines()
             if ("Abort" in line or "timeout" in line.lower() or "Failed" in line)
             and "(successful)" not in line]
    return "\n".join(lines[:count])[:1500]


def last_stats(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    rows = path.read_text().splitlines()
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0].split(";"), rows[-1].split(";"), strict=False))


def peak_calls(path: Path) -> int:
    """The most calls SIPp had open at once, over its once-a-second statistics rows."""
    if not path.exists():
        return 0
    rows = [r.split(";") for r in path.read_text().splitlines()]
    if len(rows) < 2 or "CurrentCall" not in rows[0]:
        return 0
    column = rows[0].index("CurrentCall")
    return max((int(r[column]) for r in rows[1:] if len(r) > column and r[column].isdigit()),
               default=0)


def response_ms(value: str) -> float | None:
    """SIPp's HH:MM:SS:micro (e.g. 00:00:00:003000) response time as milliseconds."""
    parts = value.split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    h, m, s, micro = (int(p) for p in parts)
    return round(((h * 60 + m) * 60 + s) * 1000 + micro / 1000, 1)


def rate_steps(bench: Bench, target: Target, pcap: Path, step_seconds: float,
               rates: tuple[int, ...]) -> list[dict[str, Any]]:
    """Rising rates until a call fails or the target falls behind."""
    steps = []
    for rate in rates:
        calls = max(1, int(rate * step_seconds))
        step = run_callers(bench, target, rate=rate, calls=calls, limit=None, pcap=pcap,
                           hold=CALL_SECONDS, timeout=step_seconds * 4 + 30)
        busy = max(step["elapsed"] - CALL_SECONDS, 0.001)
        step["achieved_per_second"] = round(step["successful"] / busy, 1)
        step["clean"] = (step["exit"] == 0 and not step["failed"] and step["target_alive"]
                         and step["successful"] == calls
                         and step["achieved_per_second"] >= KEEP_UP * rate)
        steps.append(step)
        if not step["clean"]:
            break
    return steps


def best(steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    clean = [s for s in steps if s["clean"]]
    return max(clean, key=lambda s: s["rate"]) if clean else None


def run(quick: bool = False, step_seconds: float | None = None) -> dict[str, Any]:
    seconds = step_seconds or (2.0 if quick else 3.0)
    rates = QUICK_RATES if quick else RATES
    with tempfile.TemporaryDirectory(prefix="softswitch-bench-calls-") as tmp:
        bench = make_bench(Path(tmp), callers=500)
        pcap = bench.work / "audio.pcap"
        packets = audio_pcap(pcap, CALL_SECONDS)
        results: dict[str, Any] = {}
        with switch(bench) as ours:
            uas_port = free_port()
            register(bench, ours.port, uas_port)
            with callee(bench, uas_port):
                results["softswitch"] = rate_steps(bench, ours, pcap, seconds, rates)
        uas_port = free_port()
        with callee(bench, uas_port), sippy(uas_port) as peer:
            results["sippy"] = rate_steps(bench, peer, pcap, seconds, rates)
    summary = {name: summarize(steps) for name, steps in results.items()}
    ours_rate = summary["softswitch"]["rate"]
    peer_rate = summary["sippy"]["rate"]
    return {"benchmark": "call_rate", "step_seconds": seconds, "call_seconds": CALL_SECONDS,
            "rtp_packets_per_call_each_way": packets,
            "steps": results, "summary": summary,
            "ratio": round(ours_rate / peer_rate, 2) if peer_rate else None,
            "difference": "softswitch: INVITE challenged (401) and answered with digest, "
                          "media anchored and relayed by the switch; sippy b2bua_simple: "
                          "no authentication (one INVITE), signalling only, RTP direct",
            "machine": describe(), "command": " ".join([sys.executable, *sys.argv])}


def summarize(steps: list[dict[str, Any]]) -> dict[str, Any]:
    top = best(steps)
    return {"rate": top["rate"] if top else 0,
            "achieved_per_second": top["achieved_per_second"] if top else 0.0,
            "cpu_ms_per_call": top["cpu_ms_per_call"] if top else None,
            "setup_ms": top["setup_ms"] if top else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--step-seconds", type=float)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    report = run(args.quick, args.step_seconds)
    print(f"{'target':<20}{'offered/s':>10}{'calls':>7}{'ok':>7}{'failed':>7}"
          f"{'done/s':>8}{'cpu ms/call':>12}{'setup ms':>9}")
    for name, steps in report["steps"].items():
        for s in steps:
            print(f"{name:<20}{s['rate']:>10}{s['calls']:>7}{s['successful']:>7}"
                  f"{s['failed']:>7}{s['achieved_per_second']:>8}"
                  f"{s['cpu_ms_per_call'] or '':>12}{s['setup_ms'] or '':>9}")
    for name, s in report["summary"].items():
        print(f"{name}: {s['rate']} calls/s with no failure, {s['cpu_ms_per_call']} ms CPU "
              "per call")
    print(f"ratio softswitch/sippy: {report['ratio']}  ({report['difference']})")
    machine = report["machine"]
    print(f"{machine['cpu']} x{machine['cores']}, Python {machine['python']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
