"""Trunks against a SIPp carrier over loopback: the switch registers to it with the
trunk's credentials, takes its calls to a DID, sends a phone's trunk number to it with
the caller-ID rule applied, and never lets an unauthenticated or unallowed caller reach it."""

from __future__ import annotations

import csv
import os
import random
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.call_tools import cdrs, sipp_callee
from tests.integration.sipp import SCENARIOS, SippResult, require_sipp, run_sipp
from tests.integration.switch_process import USERS, SwitchProcess, free_port, write_config

pytestmark = pytest.mark.timeout(60)

TRUNK_USER = "acme-7001"
TRUNK_PASSWORD = "Zq81-trunk-secret"


def trunk_config(carrier_port: int, *, register: bool = False,
                 sources: tuple[str, ...] = ()) -> str:
    listed = ", ".join(f'"{source}"' for source in sources)
    return f"""
[[trunks]]
name = "carrier"
host = "127.0.0.1"
port = {carrier_port}
username = "{TRUNK_USER}"
password = "{TRUNK_PASSWORD}"
register = {"true" if register else "false"}
expires = 60
allowed_sources = [{listed}]
patterns = ["9|NXXXXXX"]
caller_id = "did"
allowed_users = ["1001", "1002"]

[[dids]]
number = "5550100"
extension = "1002"

[[dids]]
number = "5550101"
extension = "1001"
"""


RTP_WIDTH = 40


def free_rtp_range() -> int:
    """The low end of RTP_WIDTH UDP ports that are all free now (other programs on the
    machine may hold thousands of ports in any fixed range)."""
    for _ in range(200):
        low = 2 * random.randrange(5000, 30000 - RTP_WIDTH)
        held: list[socket.socket] = []
        try:
            for port in range(low, low + RTP_WIDTH):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                held.append(sock)
                sock.bind(("127.0.0.1", port))
            return low
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise RuntimeError("no free RTP port range")


@contextmanager
def trunk_switch(tmp_path: Path, extra: str) -> Iterator[SwitchProcess]:
    """A `softswitch serve` with a trunk, on free SIP and RTP ports."""
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    write_config(data / "softswitch.toml", port, extra=extra)
    low = free_rtp_range()
    saved = os.environ.get("SOFTSWITCH_RTP_PORTS")
    os.environ["SOFTSWITCH_RTP_PORTS"] = f"{low}-{low + RTP_WIDTH - 1}"
    proc = SwitchProcess(data, port)
    try:
        proc.start()
    finally:
        if saved is None:
            os.environ.pop("SOFTSWITCH_RTP_PORTS", None)
        else:
            os.environ["SOFTSWITCH_RTP_PORTS"] = saved
    try:
        yield proc
        assert proc.alive(), f"the switch died during the test:\n{proc.log()}"
    finally:
        proc.stop()


@contextmanager
def carrier_uas(work: Path, scenario: str, port: int, *, timeout: float = 20,
                substitutions: dict[str, str] | None = None,
                extra: tuple[str, ...] = ()) -> Iterator[subprocess.Popen[str]]:
    """A SIPp UAS as the carrier, listening on `port` before the switch talks to it."""
    text = (SCENARIOS / scenario).read_text()
    for key, value in (substitutions or {}).items():
        text = text.replace(key, value)
    path = work / f"{Path(scenario).stem}-{port}.xml"
    path.write_text(text)
    cmd = [require_sipp(), "-sf", str(path), "-i", "127.0.0.1", "-p", str(port),
           "-m", "1", "-nostdin", "-cp", str(free_port()), "-mp", str(free_port()),
           "-timeout", f"{int(timeout)}s", "-trace_err",
           "-error_file", str(work / f"carrier-{port}.log"), *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=work)
    time.sleep(0.2)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def finished(proc: subprocess.Popen[str], timeout: float) -> tuple[int, str]:
    """Wait for a SIPp run; its exit code and what it printed."""
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, f"{out[-3000:]}\n{err[-2000:]}"


def event_kinds(switch: SwitchProcess, prefix: str, timeout: float = 5.0) -> list[str]:
    """The kinds of logged events starting with `prefix`, once there is one."""
    deadline = time.monotonic() + timeout
    kinds: list[str] = []
    while time.monotonic() < deadline:
        conn = sqlite3.connect(switch.data_dir / "softswitch.db")
        try:
            kinds = [row[0] for row in conn.execute(
                "SELECT kind FROM events WHERE kind LIKE ? ORDER BY seq", (prefix + "%",))]
        except sqlite3.OperationalError:
            kinds = []
        finally:
            conn.close()
        if kinds:
            return kinds
        time.sleep(0.05)
    return kinds


def test_switch_registers_to_the_carrier_answering_its_challenge(tmp_path: Path) -> None:
    carrier_port = free_port()
    substitutions = {"CARRIER_USER": TRUNK_USER, "CARRIER_PASSWORD": TRUNK_PASSWORD}
    with carrier_uas(tmp_path, "carrier_registrar.xml", carrier_port,
                     substitutions=substitutions) as carrier, \
            trunk_switch(tmp_path, trunk_config(carrier_port, register=True)) as switch:
        code, output = finished(carrier, 20)
        assert code == 0, output  # 401 sent, a valid digest came back, 200 sent
        assert event_kinds(switch, "trunk.") == ["trunk.registered"]
        assert "trunk carrier registered" in switch.log()
    assert TRUNK_PASSWORD not in switch.log()


def carrier_call(switch: SwitchProcess, work: Path, scenario: str, number: str,
                 carrier_port: int, *, extra: tuple[str, ...] = ()) -> SippResult:
    """The carrier (a SIPp UAC from 127.0.0.1:`carrier_port`) calls `number`."""
    return run_sipp(scenario, switch.port, work, service=number, local_port=carrier_port,
                    timeout=20, extra=("-mp", str(free_port()), *extra))


def test_carrier_call_to_a_did_rings_its_extension(tmp_path: Path) -> None:
    carrier_port = free_port()
    extra = trunk_config(carrier_port, sources=(f"127.0.0.1:{carrier_port}",))
    with trunk_switch(tmp_path, extra) as switch, \
            sipp_callee(switch, tmp_path, "call_callee.xml", extension="1002",
                        extra=("-rtp_echo",)) as callee:
        result = carrier_call(switch, tmp_path, "carrier_caller.xml", "5550100",
                              carrier_port, extra=("-d", "500"))
        assert result.returncode == 0, result.explain()
        assert callee.wait(10) == 0  # 1002 rang, answered and got the carrier's BYE
        [cdr] = cdrs(switch)
        assert (cdr["callee"], cdr["disposition"]) == ("1002", "answered")
        assert cdr["caller"] == "+14155550199"


def phone_call(switch: SwitchProcess, work: Path, scenario: str, number: str, user: str,
               *, extra: tuple[str, ...] = ()) -> SippResult:
    """A phone (SIPp UAC answering the challenge as `user`) dials `number`."""
    return run_sipp(scenario, switch.port, work, service=number, user=user,
                    password=USERS[user], timeout=20,
                    substitutions={"sip:1001@": f"sip:{user}@"},
                    extra=("-mp", str(free_port()), *extra))


def test_a_phone_dials_out_through_the_trunk_with_its_did_as_caller_id(
        tmp_path: Path) -> None:
    carrier_port = free_port()
    extra = trunk_config(carrier_port, sources=(f"127.0.0.1:{carrier_port}",))
    with trunk_switch(tmp_path, extra) as switch, \
            carrier_uas(tmp_path, "carrier_callee.xml", carrier_port,
                        substitutions={"DIALLED": "2345678", "CALLER_ID": "5550101"},
                        extra=("-rtp_echo",)) as carrier:
        result = phone_call(switch, tmp_path, "call_caller.xml", "92345678", "1001",
                            extra=("-d", "500"))
        assert result.returncode == 0, result.explain()
        code, output = finished(carrier, 10)
        assert code == 0, output  # the carrier saw "2345678" from "5550101", answered, BYE
        [cdr] = cdrs(switch)
        assert (cdr["caller"], cdr["disposition"]) == ("1001", "answered")


def calls_created(stat_file: Path) -> int:
    """Calls a SIPp run created, from the last line of its -trace_stat file."""
    with stat_file.open() as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert rows, "SIPp wrote no statistics"
    return int(rows[-1]["TotalCallCreated"])


def test_unauthenticated_and_unallowed_callers_never_reach_the_carrier(
        tmp_path: Path) -> None:
    carrier_port = free_port()
    stats = tmp_path / "carrier-stats.csv"
    extra = trunk_config(carrier_port, sources=(f"127.0.0.1:{carrier_port}",))
    with trunk_switch(tmp_path, extra) as switch, \
            carrier_uas(tmp_path, "carrier_callee.xml", carrier_port, timeout=3,
                        substitutions={"DIALLED": "2345678", "CALLER_ID": "5550101"},
                        extra=("-trace_stat", "-stf", str(stats), "-fd", "1")) as carrier:
        anonymous = run_sipp("carrier_bypass_no_auth.xml", switch.port, tmp_path,
                             service="92345678", timeout=10)
        assert anonymous.returncode == 0, anonymous.explain()  # 401, nothing else
        refused = phone_call(switch, tmp_path, "carrier_bypass_forbidden.xml", "92345678",
                             "1003")
        assert refused.returncode == 0, refused.explain()  # authenticated, then 403
        try:
            carrier.wait(6)  # it stops at its 3 s timeout when no call is in progress
        except subprocess.TimeoutExpired:
            carrier.terminate()  # a call got through; its statistics show it
        assert calls_created(stats) == 0  # the carrier never saw an INVITE
        assert cdrs_now(switch) == []


def cdrs_now(switch: SwitchProcess) -> list[str]:
    conn = sqlite3.connect(switch.data_dir / "softswitch.db")
    try:
        return [row[0] for row in conn.execute("SELECT call_id FROM cdrs")]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def test_a_carrier_challenge_to_our_invite_is_answered_with_the_trunk_credentials(
        tmp_path: Path) -> None:
    carrier_port = free_port()
    extra = trunk_config(carrier_port, sources=(f"127.0.0.1:{carrier_port}",))
    substitutions = {"CARRIER_USER": TRUNK_USER, "CARRIER_PASSWORD": TRUNK_PASSWORD}
    with trunk_switch(tmp_path, extra) as switch, \
            carrier_uas(tmp_path, "carrier_callee_challenge.xml", carrier_port,
                        substitutions=substitutions, extra=("-rtp_echo",)) as carrier:
        result = phone_call(switch, tmp_path, "call_caller.xml", "92345678", "1001",
                            extra=("-d", "500"))
        assert result.returncode == 0, result.explain()
        code, output = finished(carrier, 10)
        assert code == 0, output  # 401, ACK, a valid digest in the second INVITE, 200, BYE
    assert TRUNK_PASSWORD not in switch.log()
