"""RFC 4475 torture messages against a running switch, inside a loopback-only namespace.

The messages name foreign hosts (example.com, 192.0.2.x, 255.255.255.255): in a namespace
with only loopback, a switch that tried to answer them anywhere but the real source
address would fail to send, and the answer would be missing here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.switch_process import SwitchProcess, free_port, write_config

TORTURE = Path(__file__).parent.parent / "sip" / "torture"
PARSER_ERRORS = {400, 416, 505, 513}
#: what a switch that requires authentication may answer where RFC 4475 leaves the check
#: to the user agent: the RFC's status, or the challenge when authentication comes first
UA_ANSWERS = {
    "baddate": {400, 401},       # the switch does not use Date: the challenge is fine too
    "unksm2": {400, 401, 404, 416},
    "bext01": {420},             # OPTIONS needs no authentication: the Require check answers
    "invut": {415, 401},
    "regaut01": {401},
    "zeromf": {483, 200},        # the switch is the target of the OPTIONS, not a proxy
    "sdp01": {406, 401},
}


@pytest.fixture
def namespace() -> Iterator[list[str]]:
    """A network namespace with only loopback; yields the command prefix that enters it.

    Made with unshare and entered with nsenter (not `ip netns`, which needs a mount
    namespace trick that fails inside a chroot).
    """
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("nsenter")
                                 and shutil.which("ip")):
        pytest.skip("needs root, util-linux and iproute2 for a loopback-only namespace")
    holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "600"])
    try:
        prefix = ["nsenter", f"--net=/proc/{holder.pid}/ns/net", "--"]
        for _ in range(50):  # until unshare has exec'd sleep inside the new namespace
            if os.readlink(f"/proc/{holder.pid}/ns/net") != os.readlink("/proc/self/ns/net"):
                break
            time.sleep(0.02)
        subprocess.run([*prefix, "ip", "link", "set", "lo", "up"], check=True)
        yield prefix
    finally:
        holder.kill()
        holder.wait()


def test_torture_messages_get_the_rfc_answers(namespace: list[str], tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    write_config(data / "softswitch.toml", port)
    switch = SwitchProcess(data, port, prefix=namespace)
    switch.start()
    try:
        out = subprocess.run(
            [*namespace, sys.executable,
             str(Path(__file__).parent / "torture_client.py"), str(TORTURE), str(port)],
            capture_output=True, text=True, timeout=60, check=True)
        report = json.loads(out.stdout)
        alive = switch.alive()
    finally:
        switch.stop()
    assert alive, switch.log()[-4000:]
    answers: dict[str, list[int]] = report["answers"]
    expected = tomllib.loads((TORTURE / "expected.toml").read_text())
    problems = []
    for name, statuses in answers.items():
        kind, stem = name.split("/")
        first_final = next((s for s in statuses if s >= 200), None)
        message = (TORTURE / kind / f"{stem}.sip").read_bytes()
        is_response = message.startswith(b"SIP/")
        if kind == "valid":
            if is_response:
                if statuses:
                    problems.append(f"{name}: a response was answered with {statuses}")
            elif first_final is None or first_final in PARSER_ERRORS:
                problems.append(f"{name}: valid request answered {statuses or 'nothing'}")
            continue
        rule = expected[stem]
        if rule.get("action") == "drop" or stem == "insuf":
            if statuses:
                problems.append(f"{name}: should be dropped, got {statuses}")
        elif rule["layer"] == "parser":
            if first_final != rule["status"]:
                problems.append(f"{name}: expected {rule['status']}, got {statuses}")
        elif first_final not in UA_ANSWERS[stem]:
            problems.append(f"{name}: expected one of {sorted(UA_ANSWERS[stem])}, "
                            f"got {statuses}")
    assert not problems, "\n".join([*problems, "unmatched:", *report["unmatched"]])
