"""Send every RFC 4475 torture message to a switch over UDP and report what came back.

Run inside the network namespace of the switch under test:
    python torture_client.py TORTURE_DIR PORT   ->  JSON {name: [statuses]} on stdout
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
from pathlib import Path

CALL_ID = re.compile(rb"^(?:call-id|i)[ \t]*:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
STATUS = re.compile(rb"^SIP/2\.0 (\d{3}) ")
BRANCH = re.compile(rb"(branch=z9hG4bK[\w.!%*+`'~-]*)", re.IGNORECASE)


def unique_branches(data: bytes, tag: bytes) -> bytes:
    """RFC 4475 reuses branches (22 messages say z9hG4bKkdjuw). A server rightly takes a
    reused branch and sent-by for a retransmission of the first, so make each unique."""
    return BRANCH.sub(lambda m: m.group(1) + b"-" + tag, data)


def main() -> None:
    folder, port = Path(sys.argv[1]), int(sys.argv[2])
    messages = {f"{kind}/{path.stem}": unique_branches(path.read_bytes(),
                                                       path.stem.encode())
                for kind in ("valid", "invalid")
                for path in sorted((folder / kind).glob("*.sip"))}
    by_call_id: dict[bytes, str] = {}
    for name, data in messages.items():
        found = CALL_ID.search(data)
        if found:
            by_call_id.setdefault(found.group(1), name)
    answers: dict[str, list[int]] = {name: [] for name in messages}
    unmatched: list[str] = []
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    for data in messages.values():
        sock.sendto(data, ("127.0.0.1", port))
        time.sleep(0.005)
    sock.settimeout(0.2)
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        status = STATUS.match(data)
        call_id = CALL_ID.search(data)
        name = by_call_id.get(call_id.group(1)) if call_id else None
        if status and name:
            answers[name].append(int(status.group(1)))
        else:
            unmatched.append(data[:200].decode("latin-1"))
    print(json.dumps({"answers": answers, "unmatched": unmatched}))


if __name__ == "__main__":
    main()
