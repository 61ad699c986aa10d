"""The registrar of a running `softswitch serve`, driven by SIPp over loopback."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.integration.sipp import run_sipp
from tests.integration.switch_process import USERS, SwitchProcess, free_port


def test_register_with_the_right_password(switch: SwitchProcess, tmp_path: Path) -> None:
    result = run_sipp("register.xml", switch.port, tmp_path, service="1001", user="1001",
                      password=USERS["1001"])
    assert result.returncode == 0, result.explain()


def test_register_over_tcp(switch: SwitchProcess, tmp_path: Path) -> None:
    result = run_sipp("register.xml", switch.port, tmp_path, service="1002", user="1002",
                      password=USERS["1002"], transport="t1")
    assert result.returncode == 0, result.explain()


def test_wrong_password_is_refused(switch: SwitchProcess, tmp_path: Path) -> None:
    result = run_sipp("register_wrong_password.xml", switch.port, tmp_path, service="1001",
                      user="1001", password="not-the-password")
    assert result.returncode == 0, result.explain()
    # and nothing was bound: a query with the right password lists no contact
    result = run_sipp("unregister.xml", switch.port, tmp_path, service="1001", user="1001",
                      password=USERS["1001"])
    assert result.returncode == 0, result.explain()


def test_registration_survives_a_restart_and_unregister_removes_it(
        switch: SwitchProcess, tmp_path: Path) -> None:
    phone_port = free_port()
    result = run_sipp("register.xml", switch.port, tmp_path, service="1003", user="1003",
                      password=USERS["1003"], local_port=phone_port)
    assert result.returncode == 0, result.explain()
    switch.restart()
    query = {"[$expect_port]": str(phone_port)}
    result = run_sipp("query_bindings.xml", switch.port, tmp_path, service="1003",
                      user="1003", password=USERS["1003"], substitutions=query)
    assert result.returncode == 0, "binding lost over a restart\n" + result.explain()
    result = run_sipp("unregister.xml", switch.port, tmp_path, service="1003", user="1003",
                      password=USERS["1003"])
    assert result.returncode == 0, result.explain()
    result = run_sipp("query_bindings.xml", switch.port, tmp_path, service="1003",
                      user="1003", password=USERS["1003"], substitutions=query)
    assert result.returncode != 0, "the binding is still there after unregistering"


def test_options_answers_with_capabilities(switch: SwitchProcess, tmp_path: Path) -> None:
    result = run_sipp("options.xml", switch.port, tmp_path, calls=5)
    assert result.returncode == 0, result.explain()


def test_garbage_does_not_stop_the_switch(switch: SwitchProcess, tmp_path: Path) -> None:
    junk = [b"", b"\x00" * 100, b"garbage\r\n\r\n", b"INVITE sip:x SIP/2.0\r\n\r\n",
            b"SIP/2.0 200 OK\r\n\r\n", bytes(range(256)) * 4,
            b"REGISTER sip:a SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1\r\n" * 300]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for data in junk:
            udp.sendto(data, ("127.0.0.1", switch.port))
    with socket.create_connection(("127.0.0.1", switch.port)) as tcp:
        tcp.sendall(b"this is not SIP at all\r\n\r\n" * 10)
        tcp.settimeout(5)
        try:
            while tcp.recv(4096):
                pass  # the switch may answer 400, then closes the connection
        except (TimeoutError, ConnectionResetError):
            pass
    result = run_sipp("options.xml", switch.port, tmp_path)
    assert result.returncode == 0, result.explain()


def test_transactions_complete_through_five_percent_loss(switch: SwitchProcess,
                                                         tmp_path: Path) -> None:
    result = run_sipp("register.xml", switch.port, tmp_path, service="1001", user="1001",
                      password=USERS["1001"], calls=40, rate=20, extra=("-lost", "5"),
                      timeout=90)
    assert result.returncode == 0, result.explain()
    result = run_sipp("options.xml", switch.port, tmp_path, calls=40, rate=20,
                      extra=("-lost", "5"), timeout=90)
    assert result.returncode == 0, result.explain()


def test_a_binding_expires_on_time(switch: SwitchProcess, tmp_path: Path) -> None:
    import time

    phone_port = free_port()
    short = {"Expires: 300": "Expires: 2"}
    result = run_sipp("register.xml", switch.port, tmp_path, service="1001", user="1001",
                      password=USERS["1001"], local_port=phone_port, substitutions=short)
    assert result.returncode == 0, result.explain()
    query = {"[$expect_port]": str(phone_port)}
    result = run_sipp("query_bindings.xml", switch.port, tmp_path, service="1001",
                      user="1001", password=USERS["1001"], substitutions=query)
    assert result.returncode == 0, "the binding should still be there\n" + result.explain()
    time.sleep(3.5)
    result = run_sipp("query_bindings.xml", switch.port, tmp_path, service="1001",
                      user="1001", password=USERS["1001"], substitutions=query)
    assert result.returncode != 0, "the binding outlived its Expires"


def test_tcp_stream_survives_one_bad_message(switch: SwitchProcess) -> None:
    """A message framed by its Content-Length but invalid gets 400; the stream goes on."""
    def request(method: str, cseq: str, branch: str) -> bytes:
        return (f"{method} sip:127.0.0.1:{switch.port} SIP/2.0\r\n"
                f"Via: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK{branch}\r\n"
                "From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
                f"Call-ID: tcp-{branch}\r\nCSeq: {cseq}\r\nMax-Forwards: 70\r\n"
                "Content-Length: 0\r\n\r\n").encode()

    bad = request("OPTIONS", "x OPTIONS", "bad1")  # a CSeq without a number
    good = request("OPTIONS", "2 OPTIONS", "good1")
    with socket.create_connection(("127.0.0.1", switch.port)) as tcp:
        tcp.settimeout(5)
        tcp.sendall(bad + good)
        received = b""
        while received.count(b"SIP/2.0 ") < 2:
            chunk = tcp.recv(65536)
            assert chunk, f"connection closed after {received!r}"
            received += chunk
    assert b"SIP/2.0 400 " in received and b"SIP/2.0 200 OK" in received
