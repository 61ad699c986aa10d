"""The REGISTER-with-digest-auth rate SIPp sustains against `softswitch serve` with no failure.

    python bench/register_rate.py [--users 500] [--step-seconds 5] [--json FILE]

Starts the switch on loopback (a temporary data directory, N users), then runs SIPp with
a CSV of those users at rising rates, each for a few seconds; the result is the highest
offered rate at which every registration (REGISTER, 401, REGISTER with credentials, 200)
succeeded and the switch kept up (completed at least 90% of the offered rate), and the
rate it completed there. Load stays on loopback,
bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import describe
from tests.integration.switch_process import SwitchProcess, free_port

SCENARIO = Path(__file__).parent / "scenarios" / "register_csv.xml"
RATES = (100, 200, 400, 600, 800, 1000, 1300, 1600, 2000, 2500, 3000)


def _config(path: Path, port: int, users: int) -> list[tuple[str, str]]:
    creds = [(str(10000 + i), f"pw-{i:05d}-bench") for i in range(users)]
    lines = [f'[sip]\nlisten = ["udp:127.0.0.1:{port}"]\ndomain = "bench.test"\n'
             "[security]\nauth_failures = 1000000\n"]
    lines += [f'[[users]]\nextension = "{ext}"\npassword = "{pw}"\n' for ext, pw in creds]
    path.write_text("\n".join(lines))
    return creds


def _sipp(port: int, work: Path, csv: Path, rate: int, seconds: float) -> dict[str, object]:
    calls = max(1, int(rate * seconds))
    stats = work / f"stats-{rate}.csv"
    cmd = ["sipp", "-sf", str(SCENARIO), f"127.0.0.1:{port}", "-i", "127.0.0.1",
           "-p", str(free_port()), "-cp", str(free_port()), "-inf", str(csv),
           "-r", str(rate), "-m", str(calls), "-nostdin", "-timeout", f"{int(seconds * 4 + 20)}s",
           "-timeout_error", "-trace_stat", "-stf", str(stats), "-fd", "1",
           "-max_socket", "1000"]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=work,
                          timeout=seconds * 4 + 60)
    elapsed = time.monotonic() - start
    successful = failed = 0
    if stats.exists():
        rows = stats.read_text().splitlines()
        if len(rows) >= 2:
            head = rows[0].split(";")
            last = rows[-1].split(";")
            row = dict(zip(head, last, strict=False))
            successful = int(row.get("SuccessfulCall(C)", 0) or 0)
            failed = int(row.get("FailedCall(C)", 0) or 0)
    return {"rate": rate, "calls": calls, "successful": successful, "failed": failed,
            "exit": proc.returncode, "elapsed": round(elapsed, 2),
            "achieved_per_second": round(successful / elapsed, 1) if elapsed else 0.0}


def run(users: int = 500, step_seconds: float = 5.0) -> dict[str, object]:
    if shutil.which("sipp") is None:
        raise SystemExit("sipp is needed (Debian package sip-tester)")
    with tempfile.TemporaryDirectory(prefix="softswitch-bench-") as tmp:
        work = Path(tmp)
        port = free_port()
        creds = _config(work / "softswitch.toml", port, users)
        csv = work / "users.csv"
        csv.write_text("SEQUENTIAL\n" + "".join(
            f"{ext};[authentication username={ext} password={pw}];\n" for ext, pw in creds))
        switch = SwitchProcess(work, port)
        switch.start()
        steps = []
        try:
            for rate in RATES:
                step = _sipp(port, work, csv, rate, step_seconds)
                steps.append(step)
                if step["exit"] != 0 or step["failed"] or not switch.alive():
                    break
                if float(step["achieved_per_second"]) < 0.9 * rate:
                    break  # the switch no longer keeps up: registrations queue
        finally:
            switch.stop()
    clean = [s for s in steps if s["exit"] == 0 and not s["failed"]
             and float(s["achieved_per_second"]) >= 0.9 * int(s["rate"])]
    best = max(clean, key=lambda s: int(s["rate"])) if clean else None
    return {"benchmark": "register_rate", "users": users, "step_seconds": step_seconds,
            "steps": steps,
            "sustained_rate": best["rate"] if best else 0,
            "achieved_per_second": best["achieved_per_second"] if best else 0.0,
            "machine": describe(), "command": " ".join([sys.executable, *sys.argv])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--step-seconds", type=float, default=5.0)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    report = run(args.users, args.step_seconds)
    print(f"{'offered/s':>10}{'calls':>8}{'ok':>8}{'failed':>8}{'achieved/s':>12}")
    for s in report["steps"]:  # type: ignore[union-attr]
        print(f"{s['rate']:>10}{s['calls']:>8}{s['successful']:>8}{s['failed']:>8}"
              f"{s['achieved_per_second']:>12}")
    print(f"sustained with no failure: {report['sustained_rate']} registrations/s offered, "
          f"{report['achieved_per_second']}/s completed (each: two REGISTER transactions)")
    machine = report["machine"]
    print(f"{machine['cpu']} x{machine['cores']}, Python {machine['python']}")  # type: ignore[index]
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
