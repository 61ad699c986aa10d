"""The most simultaneous bridged calls with RTP flowing at under 1% loss, beside sippy's.

    python bench/concurrent_calls.py [--quick] [--json FILE]

A SIPp caller (digest-authenticated INVITE) sets up N calls to an extension answered by a
SIPp UAS whose SDP points at a packet counter in this process. Every call plays A-law
RTP (33 packets/s) long enough that all N calls overlap for a plateau of a few seconds;
the switch anchors the media and relays each packet; the counter counts what arrives and
echoes it back, so audio flows both ways through the switch. Loss is
1 - received / (calls x packets each call sent). N rises until a call fails or loss
reaches 1%, or SIPp never holds 95% of the N calls open at once (the switch setting
calls up too slowly to overlap); the figure is the largest N below that.

sippy's `b2bua_simple` runs the same steps in the same run. It does not anchor media: it
relays signalling only, so RTP goes straight from caller to counter and its figure is a
signalling-only one (it also skips the digest challenge). It is also the control for the
load generator: where sippy's run loses packets too, SIPp or the counter, not the switch,
was the limit. Everything stays on loopback, bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.call_rate import (
    Bench,
    Target,
    audio_pcap,
    callee,
    make_bench,
    register,
    run_callers,
    sippy,
    switch,
)
from bench.machine import describe
from tests.integration.switch_process import free_port

STEPS = (200, 400, 600, 800, 1000)
QUICK_STEPS = (50, 100, 200, 400)
MAX_LOSS = 0.01
OVERLAP = 0.95  # the calls SIPp held open at once must reach this share of the step
SETUP_RATE = 80  # calls/s while ramping up: well inside the switch's clean setup rate


class RtpCounter:
    """Counts RTP packets arriving on one loopback UDP port, per sender, and echoes each
    back to its sender; runs in a thread of this process."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.senders: Counter[tuple[str, int]] = Counter()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        recv, send, senders = self.sock.recvfrom, self.sock.sendto, self.senders
        while not self._stopping.is_set():
            try:
                data, addr = recv(2048)
            except TimeoutError:
                continue
            senders[addr] += 1
            try:
                send(data, addr)
            except OSError:
                pass  # an echo that cannot go out is the other direction's loss

    def take(self) -> tuple[int, int]:
        """(packets, senders) since the last call, and start counting afresh."""
        counts = self.senders.copy()
        self.senders.clear()
        return sum(counts.values()), len(counts)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(2)
        self.sock.close()


@contextmanager
def rtp_counter() -> Iterator[RtpCounter]:
    counter = RtpCounter()
    counter.start()
    try:
        yield counter
    finally:
        counter.stop()


def concurrency_steps(bench: Bench, target: Target, counter: RtpCounter,
                      steps: tuple[int, ...], plateau: float) -> list[dict[str, Any]]:
    """Rising numbers of overlapping calls until one fails or loss reaches 1%."""
    out = []
    for calls in steps:
        ramp = calls / SETUP_RATE
        pcap = bench.work / f"audio-{calls}.pcap"
        packets = audio_pcap(pcap, ramp + plateau)
        hold = ramp + plateau + 0.5
        counter.take()
        step = run_callers(bench, target, rate=SETUP_RATE, calls=calls, limit=calls,
                           pcap=pcap, hold=hold, timeout=hold * 3 + 30)
        received, flows = counter.take()
        expected = step["successful"] * packets
        # with failed calls the count of packets sent is unknown: no loss figure then
        loss = 1 - received / expected if expected and not step["failed"] else 1.0
        step.update(concurrent=calls, packets_per_call=packets, received=received,
                    expected=expected, flows=flows,
                    loss_percent=None if step["failed"] else round(100 * loss, 3),
                    cpu_percent=round(100 * step["cpu_seconds"] / step["elapsed"], 1))
        step["clean"] = (step["exit"] == 0 and not step["failed"] and step["target_alive"]
                         and step["successful"] == calls and loss < MAX_LOSS
                         and step["peak_concurrent"] >= OVERLAP * calls)
        out.append(step)
        if not step["clean"]:
            break
    return out


def largest(steps: list[dict[str, Any]]) -> int:
    return max((s["concurrent"] for s in steps if s["clean"]), default=0)


def run(quick: bool = False) -> dict[str, Any]:
    steps = QUICK_STEPS if quick else STEPS
    plateau = 3.0 if quick else 5.0
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="softswitch-bench-concurrent-") as tmp:
        bench = make_bench(Path(tmp), callers=max(steps))
        with rtp_counter() as counter:
            media = ("127.0.0.1", counter.port)
            with switch(bench) as ours:
                uas_port = free_port()
                register(bench, ours.port, uas_port)
                with callee(bench, uas_port, media=media):
                    results["softswitch"] = concurrency_steps(bench, ours, counter, steps,
                                                              plateau)
            uas_port = free_port()
            with callee(bench, uas_port, media=media), sippy(uas_port) as peer:
                results["sippy"] = concurrency_steps(bench, peer, counter, steps, plateau)
    ours_n, peer_n = largest(results["softswitch"]), largest(results["sippy"])
    return {"benchmark": "concurrent_calls", "max_loss_percent": 100 * MAX_LOSS,
            "setup_rate": SETUP_RATE, "plateau_seconds": plateau, "steps": results,
            "softswitch": ours_n, "sippy": peer_n,
            "ratio": round(ours_n / peer_n, 2) if peer_n else None,
            "difference": "softswitch anchors media (every RTP packet relayed by the switch, "
                          "both ways); sippy b2bua_simple relays signalling only, RTP goes "
                          "direct: its figure is signalling-only",
            "machine": describe(), "command": " ".join([sys.executable, *sys.argv])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    report = run(args.quick)
    print(f"{'target':<20}{'calls':>7}{'peak':>6}{'ok':>7}{'failed':>7}{'loss %':>8}{'cpu %':>7}"
          f"{'setup ms':>9}")
    for name, steps in report["steps"].items():
        for s in steps:
            print(f"{name:<20}{s['concurrent']:>7}{s['peak_concurrent']:>6}{s['successful']:>7}{s['failed']:>7}"
                  f"{s['loss_percent']:>8}{s['cpu_percent']:>7}{s['setup_ms'] or '':>9}")
    print(f"softswitch: {report['softswitch']} concurrent calls with media at <1% loss; "
          f"sippy: {report['sippy']} (signalling only); ratio {report['ratio']}")
    print(report["difference"])
    machine = report["machine"]
    print(f"{machine['cpu']} x{machine['cores']}, Python {machine['python']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
