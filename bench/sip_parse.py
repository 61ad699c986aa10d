"""How many SIP messages per second the parser handles, for three typical messages.

    python bench/sip_parse.py [--seconds N] [--json FILE]

Each message is parsed from bytes and its Via branch, Call-ID, CSeq, From tag and To tag
are read, which is what the transaction layer does for every packet. The same messages go
through sippy (a Python SIP stack, `pip install sippy`), reading the same fields, in the
same run, so the ratio is measured on one machine at one time; sippy is skipped with a
note when it is not installed. Prints a table and optionally writes JSON with the machine
and the command line.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable

from softswitch.sip.parser import parse_message

REGISTER = (
    b"REGISTER sip:pbx.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---4d3a9b2c;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"Contact: <sip:201@192.0.2.10:5060;rinstance=6f8f1c2a7e>;expires=3600\r\n"
    b"To: <sip:201@pbx.example.com>\r\n"
    b"From: <sip:201@pbx.example.com>;tag=6a1b7c33\r\n"
    b"Call-ID: ZDk3ODBjYjI1YzZmNGQ1NzhiZjUyNjQ5ZmI4ZTk5NjA\r\n"
    b"CSeq: 2 REGISTER\r\n"
    b"Expires: 3600\r\n"
    b"Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n"
    b"User-Agent: Desk Phone 4.2\r\n"
    b'Authorization: Digest username="201",realm="pbx.example.com",'
    b'nonce="5f0e8d7c6b5a49382716",uri="sip:pbx.example.com",'
    b'response="1d2c3b4a59687766554433221100ffee",algorithm=MD5,cnonce="0a4f113b",'
    b"qop=auth,nc=00000001\r\n"
    b"Content-Length: 0\r\n\r\n"
)

_SDP = (
    b"v=0\r\no=- 3724392013 3724392013 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
    b"t=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
    b"a=ptime:20\r\na=sendrecv\r\n"
)
INVITE = (
    b"INVITE sip:300@pbx.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---8a7b6c5d;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"Contact: <sip:201@192.0.2.10:5060>\r\n"
    b"To: <sip:300@pbx.example.com>\r\n"
    b'From: "Reception" <sip:201@pbx.example.com>;tag=9f2c1e77\r\n'
    b"Call-ID: NGQ1ZjM3YjQ4ZmEzNDYyMWI0ZTc2OGQ5NTAwYWQ3ZjE\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO\r\n"
    b"Supported: replaces, timer\r\n"
    b"Content-Type: application/sdp\r\n"
    b"User-Agent: Desk Phone 4.2\r\n"
    b"Content-Length: " + str(len(_SDP)).encode() + b"\r\n\r\n" + _SDP
)
OK = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---8a7b6c5d;rport=5060;"
    b"received=192.0.2.10\r\n"
    b"Record-Route: <sip:192.0.2.1;lr>\r\n"
    b"Contact: <sip:300@192.0.2.30:5060>\r\n"
    b"To: <sip:300@pbx.example.com>;tag=as5e2a1c0f\r\n"
    b'From: "Reception" <sip:201@pbx.example.com>;tag=9f2c1e77\r\n'
    b"Call-ID: NGQ1ZjM3YjQ4ZmEzNDYyMWI0ZTc2OGQ5NTAwYWQ3ZjE\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: " + str(len(_SDP)).encode() + b"\r\n\r\n" + _SDP
)
#: rounds per message; each parser's figure is its best round
ROUNDS = 5

MESSAGES = {"REGISTER with digest": REGISTER, "INVITE with SDP": INVITE, "200 OK with SDP": OK}


def _parse_and_read(data: bytes) -> None:
    msg = parse_message(data)
    msg.top_via.branch  # noqa: B018 - what the transaction layer reads first
    msg.call_id  # noqa: B018
    msg.cseq  # noqa: B018
    msg.from_.tag  # noqa: B018
    msg.to.tag  # noqa: B018


def _sippy_reader() -> Callable[[bytes], None] | None:
    """The same work done by sippy, or None when sippy is not installed."""
    try:
        from sippy.SipRequest import SipRequest
        from sippy.SipResponse import SipResponse
    except ImportError:
        return None

    def parse_and_read(data: bytes) -> None:
        text = data.decode()
        msg = SipResponse(buf=text) if text.startswith("SIP/") else SipRequest(buf=text)
        msg.getHFBody("via").getBranch()
        msg.getHFBody("call-id")
        msg.getHFBody("cseq").getCSeq()
        msg.getHFBody("from").getTag()
        msg.getHFBody("to").getTag()

    return parse_and_read


def _rate(work: Callable[[], None], seconds: float) -> float:
    """Calls per second over at least `seconds`, measured in batches."""
    batch = 200
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            work()
        count += batch
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def _best_rates(works: list[Callable[[], None]], seconds: float) -> list[float]:
    """The best rate of each of `works` over ROUNDS alternating rounds of seconds/ROUNDS.

    Alternating puts both parsers under the same machine load; the best round is the
    one least disturbed by other processes on a shared machine.
    """
    best = [0.0] * len(works)
    for _ in range(ROUNDS):
        for i, work in enumerate(works):
            best[i] = max(best[i], _rate(work, seconds / ROUNDS))
    return best


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _sippy_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sippy")
    except PackageNotFoundError:
        return "unknown"


def run(seconds: float) -> dict:
    """Measure every message for `seconds` each; returns the results as a dict."""
    sippy = _sippy_reader()
    results = []
    for name, data in MESSAGES.items():
        _parse_and_read(data)  # fail loudly before timing if a message is broken
        works = [lambda data=data: _parse_and_read(data)]
        if sippy is not None:
            sippy(data)
            works.append(lambda data=data: sippy(data))
        rates = _best_rates(works, seconds)
        rate = rates[0]
        row: dict = {"message": name, "bytes": len(data), "per_second": round(rate),
                     "microseconds_each": round(1e6 / rate, 2)}
        if sippy is not None:
            peer = rates[1]
            row["sippy_per_second"] = round(peer)
            row["ratio_to_sippy"] = round(rate / peer, 2)
        results.append(row)
    return {
        "benchmark": "sip_parse",
        "seconds_per_message": seconds,
        "rounds": ROUNDS,
        "figure": "best of the rounds, each parser alternating with the other",
        "fields_read": ["Via branch", "Call-ID", "CSeq", "From tag", "To tag"],
        "sippy": _sippy_version() if sippy is not None else None,
        "note": None if sippy is not None else "sippy not installed: comparison skipped",
        "results": results,
        "machine": {"platform": platform.platform(), "cpu": _cpu_model(),
                    "python": sys.version.split()[0],
                    "implementation": platform.python_implementation()},
        "command": " ".join([sys.executable, *sys.argv]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="time per message and parser, in alternating rounds")
    parser.add_argument("--json", metavar="FILE", help="write the results here")
    args = parser.parse_args()
    report = run(args.seconds)
    with_peer = report["sippy"] is not None
    print(f"{'message':<24}{'bytes':>8}{'msgs/s':>12}{'us each':>10}"
          + (f"{'sippy msgs/s':>14}{'ratio':>8}" if with_peer else ""))
    for r in report["results"]:
        print(f"{r['message']:<24}{r['bytes']:>8}{r['per_second']:>12,}"
              f"{r['microseconds_each']:>10}"
              + (f"{r['sippy_per_second']:>14,}{r['ratio_to_sippy']:>7}x" if with_peer else ""))
    if with_peer:
        print(f"sippy {report['sippy']} parsed the same bytes and read the same fields")
    else:
        print(report["note"])
    print(f"{report['machine']['cpu']}, Python {report['machine']['python']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
