"""How many RTP packets per second one core handles on each step of the media path.

    python bench/rtp_path.py [--seconds N] [--json FILE]

Steps: parsing a 172-byte G.711 packet, serializing one, the relay's header patch, a
session accounting for a received packet (parse, latch check, RFC 3550 statistics), a
jitter buffer put+get pair, and SDP offer/answer. A bridged call is about 100 packets a
second in each direction, so packets/s divided by 200 is a ceiling on calls per core for
that step alone. Prints a table and optionally writes JSON with the machine and command.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable

from softswitch.rtp.jitterbuffer import JitterBuffer
from softswitch.rtp.packet import RtpPacket, rewrite_header
from softswitch.rtp.session import RtpSession
from softswitch.sdp.description import parse
from softswitch.sdp.negotiation import DEFAULT_CODECS, answer

PACKET = RtpPacket(payload_type=0, sequence=1000, timestamp=160_000, ssrc=0x1234ABCD,
                   payload=b"\xff" * 160)
DATA = bytes(PACKET)
OFFER = (b"v=0\r\no=- 3724392013 3724392013 IN IP4 192.0.2.10\r\ns=-\r\n"
         b"c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\n"
         b"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
         b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n")


def _parse() -> Callable[[int], None]:
    def run(n: int) -> None:
        for _ in range(n):
            RtpPacket.parse(DATA)
    return run


def _serialize() -> Callable[[int], None]:
    def run(n: int) -> None:
        for _ in range(n):
            bytes(PACKET)
    return run


def _rewrite() -> Callable[[int], None]:
    def run(n: int) -> None:
        for i in range(n):
            rewrite_header(DATA, i, i * 160, 0x55)
    return run


def _session_receive() -> Callable[[int], None]:
    session = RtpSession(1)
    state = {"i": 0}

    def run(n: int) -> None:
        i = state["i"]
        for k in range(i, i + n):
            data = rewrite_header(DATA, k, k * 160, 0x1234ABCD)
            session.receive(data, ("192.0.2.10", 40000), k * 0.02)
        state["i"] = i + n
    return run


def _jitter_buffer() -> Callable[[int], None]:
    buffer = JitterBuffer()
    state = {"i": 0}

    def run(n: int) -> None:
        i = state["i"]
        for k in range(i, i + n):
            now = k * 0.02
            buffer.put(RtpPacket(0, k & 0xFFFF, (k * 160) & 0xFFFFFFFF, 1, b""), now)
            buffer.get(now)
        state["i"] = i + n
    return run


def _sdp_answer() -> Callable[[int], None]:
    def run(n: int) -> None:
        for _ in range(n):
            bytes(answer(parse(OFFER), DEFAULT_CODECS, "192.0.2.1", 20000))
    return run


STEPS: dict[str, Callable[[], Callable[[int], None]]] = {
    "rtp parse": _parse, "rtp serialize": _serialize, "relay header patch": _rewrite,
    "session receive": _session_receive, "jitter put+get": _jitter_buffer,
    "sdp parse+answer": _sdp_answer,
}


def measure(seconds: float) -> dict[str, float]:
    results = {}
    for name, factory in STEPS.items():
        run = factory()
        run(200)  # warm up
        batch, done, started = 1000, 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            run(batch)
            done += batch
        results[name] = done / (time.perf_counter() - started)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--json", type=str, default=None)
    args = parser.parse_args()
    results = measure(args.seconds)
    print(f"{'step':<22}{'per second':>14}{'calls/core':>12}")
    for name, rate in results.items():
        calls = "" if name.startswith("sdp") else f"{rate / 200:>12.0f}"
        print(f"{name:<22}{rate:>14,.0f}{calls}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"machine": platform.platform(), "python": sys.version.split()[0],
                       "command": " ".join(sys.argv), "per_second": results}, out, indent=2)


if __name__ == "__main__":
    main()
