"""Forwarding, do-not-disturb and OPTIONS pings against a real `softswitch serve`, with
SIPp phones on loopback."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from pathlib import Path

from tests.integration.call_tools import cdrs, sipp_callee
from tests.integration.pbx_tools import dial, pbx_switch
from tests.integration.sipp import SippResult, run_sipp
from tests.integration.switch_process import USERS, SwitchProcess, free_port


def call_1002(switch: SwitchProcess, work: Path, scenario: str) -> SippResult:
    return run_sipp(scenario, switch.port, work, service="1002", user="1001",
                    password=USERS["1001"], timeout=20,
                    extra=("-mp", str(free_port()), "-d", "1000"))


def rows(switch: SwitchProcess, sql: str) -> list[tuple]:
    conn = sqlite3.connect(switch.data_dir / "softswitch.db")
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


def wait_rows(switch: SwitchProcess, sql: str, want: list[tuple],
              timeout: float = 5.0) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while True:
        got = rows(switch, sql)
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def test_forward_always_from_the_config_rings_the_target(tmp_path: Path) -> None:
    with pbx_switch(tmp_path, user_settings={"1002": 'forward_always = "1003"'}) as switch, \
            sipp_callee(switch, tmp_path, "call_callee.xml", extension="1003",
                        extra=("-rtp_echo",)):
        result = call_1002(switch, tmp_path, "call_caller.xml")
        assert result.returncode == 0, result.explain()
        [cdr] = cdrs(switch)
        assert (cdr["disposition"], cdr["callee"]) == ("answered", "1003")
        assert cdr["legs"][0]["quality"]["packets_received"] > 10, cdr


def test_forward_busy_rings_the_target_when_the_phone_is_busy(tmp_path: Path) -> None:
    with pbx_switch(tmp_path, user_settings={"1002": 'forward_busy = "1003"'}) as switch, \
            sipp_callee(switch, tmp_path, "call_callee_busy.xml", extension="1002"), \
            sipp_callee(switch, tmp_path, "call_callee.xml", extension="1003",
                        extra=("-rtp_echo",)):
        result = call_1002(switch, tmp_path, "call_caller.xml")
        assert result.returncode == 0, result.explain()
        [cdr] = cdrs(switch)
        assert (cdr["disposition"], cdr["callee"]) == ("answered", "1003")
        assert [leg["status"] for leg in cdr["legs"]][1:] == [486, 200]


def test_dnd_gives_busy_without_ringing_the_phone(tmp_path: Path) -> None:
    with pbx_switch(tmp_path, user_settings={"1002": "dnd = true"}) as switch, \
            sipp_callee(switch, tmp_path, "call_callee.xml", extension="1002") as phone:
        result = call_1002(switch, tmp_path, "call_caller_busy.xml")
        assert result.returncode == 0, result.explain()
        time.sleep(0.3)
        assert phone.poll() is None  # still waiting: it was never rung


def test_star72_and_star73_from_a_phone_change_where_calls_go_and_survive_a_restart(
        tmp_path: Path) -> None:
    query = "SELECT extension, forward_always FROM forwarding"
    with pbx_switch(tmp_path) as switch:
        feature = dial(switch, tmp_path, "1002", "*721003", timeout=15)
        assert feature.returncode == 0, feature.explain()
        assert wait_rows(switch, query, [("1002", "1003")]) == [("1002", "1003")]
        switch.restart()
        with sipp_callee(switch, tmp_path, "call_callee.xml", extension="1003",
                         extra=("-rtp_echo",)):
            result = call_1002(switch, tmp_path, "call_caller.xml")
            assert result.returncode == 0, result.explain()
        [cdr] = cdrs(switch)
        assert cdr["callee"] == "1003"
        cancel = dial(switch, tmp_path, "1002", "*73", timeout=15)
        assert cancel.returncode == 0, cancel.explain()
        assert wait_rows(switch, query, [("1002", "")]) == [("1002", "")]
        refused = dial(switch, tmp_path, "1002", "*729999", timeout=15)
        assert refused.returncode == 0, refused.explain()  # answered, told, hung up
        assert rows(switch, query) == [("1002", "")]


class OptionsAnswerer:
    """A phone that is alive: it answers every OPTIONS on its port with 200."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.answered = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                data, addr = self.sock.recvfrom(65536)
            except TimeoutError:
                continue
            head = data.decode(errors="replace").split("\r\n\r\n")[0].split("\r\n")
            if not head[0].startswith("OPTIONS "):
                continue
            keep = [line for line in head[1:] if line.split(":")[0].lower() in
                    ("via", "from", "to", "call-id", "cseq")]
            reply = "\r\n".join(["SIP/2.0 200 OK", *keep, "Content-Length: 0", "", ""])
            self.sock.sendto(reply.encode(), addr)
            self.answered += 1

    def close(self) -> None:
        self._stop = True
        self.thread.join()
        self.sock.close()


def test_options_pings_drop_a_dead_contact_and_keep_a_live_one(tmp_path: Path) -> None:
    extra = "options_ping_interval = 0.5\noptions_ping_misses = 2\n"
    with pbx_switch(tmp_path, extra=extra) as switch:
        ports = {}
        for extension in ("1002", "1003"):
            ports[extension] = free_port()
            result = run_sipp("register.xml", switch.port, tmp_path, service=extension,
                              user=extension, password=USERS[extension],
                              local_port=ports[extension])
            assert result.returncode == 0, result.explain()
        live = OptionsAnswerer(ports["1002"])  # 1003's port stays silent
        try:
            query = "SELECT aor FROM bindings ORDER BY aor"
            assert wait_rows(switch, query, [("1002",), ("1003",)], 2) == [("1002",),
                                                                          ("1003",)]
            assert wait_rows(switch, query, [("1002",)], 6) == [("1002",)]
            time.sleep(1.0)
            assert rows(switch, query) == [("1002",)]
            assert live.answered >= 3
        finally:
            live.close()
        dropped = rows(switch, "SELECT data FROM events WHERE kind = 'registration.dropped'")
        assert len(dropped) == 1 and "1003" in dropped[0][0]
