"""How many channels the numpy media engine sustains on one core, against a per-channel loop.

    python bench/media_engine.py [--seconds N] [--json FILE]

For each workload, (a) prompt playback, (b) bridged two-party calls with one leg recorded,
(c) ten-party conferences, a bisection on the channel count finds the largest count at
which at least 99.9% of ticks finish within the 20 ms budget (ticks run back to back and
each is timed; the received payloads are handed in inside the timed tick, as the edge does).
A real-time run at that size then confirms it: ticks scheduled by the Ticker at absolute
20 ms deadlines, counting those that started within 5 ms of their deadline and finished
within budget. The same work done per channel with audioop in a plain Python loop is timed
at a fixed size in the same run, and the ratio reported.

Both sides start from the tick's received payloads as the socket edge collects them (a list
of bytes, one per talking channel) and end with a whole RTP packet (header and encoded
payload) for every channel that sends, plus the recordings' frames: decode, mix or play,
record, encode, header. The engine takes the payloads in with one `receive_many` (after a
join) and hands the packets out as rows of 2-D arrays; the loop builds one bytes object
per packet. The sendto per packet that follows is the same on both sides and not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import struct
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from softswitch.codecs import PCMU
from softswitch.media.engine import FRAME, MediaEngine
from softswitch.media.prompts import PromptLibrary
from softswitch.media.ticker import Ticker

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

BUDGET = 0.020
ON_TIME_SHARE = 0.999
WORKLOADS = ("playback", "bridged_recorded", "conference10")


def _voice(rng: np.random.Generator, ticks: int) -> list[bytes]:
    """A pool of realistic PCMU payloads to feed as received audio."""
    samples = (rng.standard_normal(ticks * FRAME) * 3000).astype(np.int16)
    return [PCMU.encode(samples[i * FRAME:(i + 1) * FRAME]) for i in range(ticks)]


def _talkers(workload: str, channels: int) -> list[int]:
    if workload == "playback":
        return []
    if workload == "conference10":
        return list(range(channels - channels % 10))
    return list(range(channels - channels % 2))


class Inputs:
    """What the socket edge has collected for each tick: one received payload (bytes) per
    talking channel, different payloads on different channels, prepared outside the
    timed work, identical for the engine and the loop."""

    def __init__(self, talkers: list[int], pool: int = 50) -> None:
        voice = _voice(np.random.default_rng(1), pool)
        self.talkers = talkers
        self.ticks = [[voice[(t + i) % pool] for i in range(len(talkers))]
                      for t in range(pool)]

    def __getitem__(self, n: int) -> list[bytes]:
        return self.ticks[n % len(self.ticks)]


class EngineWork:
    """One workload at one size on the batched engine; `step()` is one timed tick.

    The step takes the edge's received payloads as one array (joined and viewed, the
    channel list turned into an index array) and ends with whole RTP packets as rows of
    2-D arrays plus one array of recording frames: rows are buffers `sendto` takes."""

    def __init__(self, workload: str, channels: int, moh: np.ndarray) -> None:
        self.engine = MediaEngine(capacity=channels, seed=1)
        self.engine.add_prompt("moh", moh)
        self.talkers = _talkers(workload, channels)
        self.inputs = Inputs(self.talkers)
        self.now = 0.0
        opened = [self.engine.open_channel(PCMU) for _ in range(channels)]
        assert opened == list(range(channels))
        if workload == "playback":
            for i, ch in enumerate(opened):
                self.engine.play(ch, "moh", loop=True)
                self.engine._cols["play_pos"][ch] = (i * 997) % len(moh)  # spread positions
        elif workload == "bridged_recorded":
            for a, b in zip(opened[::2], opened[1::2], strict=False):
                self.engine.bridge(a, b)
                self.engine.record(a)
        elif workload == "conference10":
            for start in range(0, channels - channels % 10, 10):
                room = self.engine.conference()
                for ch in opened[start:start + 10]:
                    self.engine.join(room, ch)
        else:
            raise ValueError(workload)
        self.n = 0

    def received(self) -> list[bytes]:
        return self.inputs[self.n]

    def step(self, received: list[bytes]) -> int:
        if received:
            rows = np.frombuffer(b"".join(received), dtype=np.uint8).reshape(len(received), -1)
            self.engine.receive_many(np.array(self.talkers), rows)
        batch = self.engine.tick_batch(self.now)
        self.now += BUDGET
        self.n += 1
        return batch.packet_count


_RTP = struct.Struct("!BBHII")


class LoopWork:
    """The same work per channel with audioop in plain Python: the baseline.

    Same inputs (one received payload per talking channel) and same outputs (a whole RTP
    packet per channel: decode, mix or play, record, encode, header; a block per
    recording) as the engine, so only the method differs."""

    def __init__(self, workload: str, channels: int, moh: np.ndarray) -> None:
        self.workload = workload
        self.channels = channels
        self.moh = moh.astype("<i2").tobytes()
        self.inputs = Inputs(_talkers(workload, channels))
        self.pos = [2 * ((i * 997) % len(moh)) for i in range(channels)]
        rng = np.random.default_rng(2)
        self.seq = rng.integers(0, 1 << 16, channels).tolist()
        self.ts = rng.integers(0, 1 << 32, channels).tolist()
        self.ssrc = rng.integers(0, 1 << 32, channels).tolist()
        self.n = 0

    def received(self) -> list[bytes]:
        return self.inputs[self.n]

    def _packet(self, channel: int, pcm: bytes) -> bytes:
        seq, ts = self.seq[channel], self.ts[channel]
        self.seq[channel] = (seq + 1) & 0xFFFF
        self.ts[channel] = (ts + FRAME) & 0xFFFFFFFF
        return _RTP.pack(0x80, 0, seq, ts, self.ssrc[channel]) + audioop.lin2ulaw(pcm, 2)

    def step(self, received: list[bytes]) -> int:
        self.n += 1
        out: list[bytes] = []
        blocks: list[tuple[int, bytes]] = []
        frame = 2 * FRAME
        packet = self._packet
        if self.workload == "playback":
            moh = self.moh
            for i in range(self.channels):
                p = self.pos[i]
                chunk = moh[p:p + frame]
                if len(chunk) < frame:
                    chunk += moh[:frame - len(chunk)]
                self.pos[i] = (p + frame) % len(moh)
                out.append(packet(i, chunk))
        elif self.workload == "bridged_recorded":
            for pair in range(len(received) // 2):
                a = audioop.ulaw2lin(received[2 * pair], 2)
                b = audioop.ulaw2lin(received[2 * pair + 1], 2)
                blocks.append((pair, audioop.add(a, b, 2)))  # the recording's mono mix
                out.append(packet(2 * pair, b))
                out.append(packet(2 * pair + 1, a))
        else:
            for room in range(len(received) // 10):
                pcm = [audioop.ulaw2lin(p, 2) for p in received[room * 10:room * 10 + 10]]
                total = pcm[0]
                for other in pcm[1:]:
                    total = audioop.add(total, other, 2)
                for i, own in enumerate(pcm):
                    heard = audioop.add(total, audioop.mul(own, 2, -1), 2)
                    out.append(packet(room * 10 + i, heard))
        return len(out) + len(blocks)


def time_ticks(work: EngineWork | LoopWork, ticks: int) -> np.ndarray:
    for _ in range(5):
        work.step(work.received())  # warm up caches and lazily built layouts
    durations = np.empty(ticks)
    clock = time.perf_counter
    for i in range(ticks):
        received = work.received()
        start = clock()
        work.step(received)
        durations[i] = clock() - start
    return durations


def sustains(workload: str, channels: int, moh: np.ndarray, ticks: int) -> tuple[bool, dict]:
    """A failed trial is run once more: on a shared machine one preempted tick (tens of ms
    while the median is under 1 ms) fails a trial; both runs are kept in the JSON."""
    durations = time_ticks(EngineWork(workload, channels, moh), ticks)
    share = float(np.mean(durations < BUDGET))
    first = None
    if share < ON_TIME_SHARE:
        first = {"on_time": share, "max_ms": float(durations.max() * 1e3),
                 "p50_ms": float(np.percentile(durations, 50) * 1e3)}
        durations = time_ticks(EngineWork(workload, channels, moh), ticks)
        share = float(np.mean(durations < BUDGET))
    return share >= ON_TIME_SHARE, {
        "channels": channels, "on_time": share, "failed_first_run": first,
        "p50_ms": float(np.percentile(durations, 50) * 1e3),
        "p99_ms": float(np.percentile(durations, 99) * 1e3),
        "max_ms": float(durations.max() * 1e3)}


def bisect(workload: str, moh: np.ndarray, ticks: int, deadline: float) -> tuple[int, list]:
    """Largest sustained count, by doubling and then halving the interval (to 5%)."""
    step = 10 if workload == "conference10" else 2
    trials = []
    low, high = 0, 500
    while time.perf_counter() < deadline:
        ok, row = sustains(workload, high, moh, ticks)
        trials.append(row)
        if not ok:
            break
        low, high = high, high * 2
    while high - low > max(step, low // 20) and time.perf_counter() < deadline:
        mid = (low + high) // 2 // step * step
        ok, row = sustains(workload, mid, moh, ticks)
        trials.append(row)
        low, high = (mid, high) if ok else (low, mid)
    return low, trials


def real_time(workload: str, channels: int, moh: np.ndarray, seconds: float) -> dict:
    """Ticks at absolute deadlines (the Ticker), sleeping between them like the edge."""
    work = EngineWork(workload, channels, moh)
    for _ in range(5):
        work.step(work.received())
    ticker = Ticker(start=time.monotonic(), max_catch_up=5, on_time_within=0.005)
    within_budget = 0
    run = 0
    end = ticker.start + seconds
    while (now := time.monotonic()) < end:
        due = ticker.due(now)
        for _ in due.ticks:
            received = work.received()
            start = time.perf_counter()
            work.step(received)
            within_budget += time.perf_counter() - start < BUDGET
            run += 1
        pause = ticker.next_deadline() - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    stats = ticker.stats()
    return {"channels": channels, "ticks": run, "skipped": stats.skipped,
            "started_within_5ms": stats.on_time, "lateness_p50_ms": stats.p50 * 1e3,
            "lateness_p99_ms": stats.p99 * 1e3, "lateness_max_ms": stats.max * 1e3,
            "finished_within_budget": within_budget / run if run else 0.0}


def compare(workload: str, moh: np.ndarray, channels: int = 500, ticks: int = 40) -> dict:
    engine = np.median(time_ticks(EngineWork(workload, channels, moh), ticks))
    loop = np.median(time_ticks(LoopWork(workload, channels, moh), ticks))
    return {"channels": channels, "engine_ms_per_tick": float(engine * 1e3),
            "loop_ms_per_tick": float(loop * 1e3), "speedup": float(loop / engine)}


def run(seconds: float = 2.0) -> dict:
    """The suite runner's entry point: all three workloads, about 30 s each at most."""
    moh = PromptLibrary()["moh"]
    ticks = max(250, int(seconds * 50))
    results = {}
    for workload in WORKLOADS:
        deadline = time.perf_counter() + 25
        best, trials = bisect(workload, moh, ticks, deadline)
        results[workload] = {
            "max_channels": best, "bisection": trials,
            "real_time": real_time(workload, best, moh, seconds) if best else None,
            "versus_per_channel_loop": compare(workload, moh)}
    return {
        "benchmark": "media_engine",
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "numpy": np.__version__, "cpus": os.cpu_count(),
                    "processor": platform.processor() or platform.machine(),
                    "load_average_at_start": os.getloadavg()},
        "budget_ms": BUDGET * 1e3, "required_on_time": ON_TIME_SHARE,
        "ticks_per_trial": ticks, "workloads": results}


def print_table(report: dict) -> None:
    print(f"{'workload':<18}{'channels':>9}{'p99 ms':>8}{'rt on time':>11}"
          f"{'rt in budget':>13}{'engine ms':>10}{'loop ms':>9}{'speedup':>8}")
    for name, r in report["workloads"].items():
        last_ok = [t for t in r["bisection"] if t["channels"] == r["max_channels"]]
        p99 = last_ok[-1]["p99_ms"] if last_ok else float("nan")
        rt = r["real_time"] or {}
        cmp_ = r["versus_per_channel_loop"]
        on_time = rt.get("started_within_5ms", 0.0)
        in_budget = rt.get("finished_within_budget", 0.0)
        print(f"{name:<18}{r['max_channels']:>9}{p99:>8.2f}{on_time:>11.4f}{in_budget:>13.4f}"
              f"{cmp_['engine_ms_per_tick']:>10.2f}{cmp_['loop_ms_per_tick']:>9.2f}"
              f"{cmp_['speedup']:>7.1f}x")
    m = report["machine"]
    print(f"machine: {m['platform']}, {m['processor']}, {m['cpus']} cpus, "
          f"Python {m['python']}, numpy {m['numpy']}, "
          f"load {m['load_average_at_start'][0]:.2f} at start")
    print("channels: most sustained with >= 99.9% of back-to-back ticks under 20 ms; rt: a "
          "real-time run at that size; engine/loop: ms per tick at 500 channels, batched vs "
          "per-channel audioop")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="length of each real-time run (trials run 50 ticks a second)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    report = run(args.seconds)
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
