"""SIPp, a real SIP peer, places calls against the transaction layer and dialogs over a
real UDP socket on loopback; with SIPp dropping packets, retransmissions on both sides
still complete the calls, and every transaction and dialog is gone afterwards."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from softswitch.errors import ProtocolError
from softswitch.sip.dialog import Dialog, DialogTable
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import make_response
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import Source
from softswitch.sip.transaction import TimerSettings, TransactionLayer
from softswitch.sip.transaction_events import (
    AckReceived,
    RequestReceived,
    TransactionTimeout,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp is not installed"),
]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Answerer:
    """A user agent that answers every INVITE with 180 then 200 and every BYE with 200."""

    sock: socket.socket
    layer: TransactionLayer
    dialogs: DialogTable = field(default_factory=DialogTable)
    stop: threading.Event = field(default_factory=threading.Event)
    answered: int = 0
    acked: int = 0
    byes: int = 0
    #: calls whose 2xx was never acknowledged by ACK or a later request (timer L)
    unacknowledged: int = 0
    invites: dict[int, Dialog] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        contact = parse_name_addr(f"<sip:uas@127.0.0.1:{self.sock.getsockname()[1]}>")
        while not self.stop.is_set():
            now = time.monotonic()
            timer = self.layer.get_timer()
            wait = 0.02 if timer is None else min(0.02, max(timer - now, 0.0))
            self.sock.settimeout(wait or 0.0001)
            try:
                data, address = self.sock.recvfrom(65535)
            except (TimeoutError, BlockingIOError):
                pass
            else:
                try:
                    message = parse_message(data)
                    self.layer.receive(message, Source("udp", *address), time.monotonic())
                except ProtocolError as exc:
                    self.errors.append(str(exc))
            self.layer.handle_timer(time.monotonic())
            while (event := self.layer.next_event()) is not None:
                self.handle(event, contact)
            while (out := self.layer.next_send()) is not None:
                self.sock.sendto(out.data, (out.destination.host, out.destination.port))

    def handle(self, event: object, contact: object) -> None:
        now = time.monotonic()
        if isinstance(event, RequestReceived):
            request = event.request
            if request.method == "INVITE":
                tag = "uas" + str(event.tid)
                self.layer.respond(event.tid, make_response(request, 180, to_tag=tag), now)
                ok = make_response(request, 200, to_tag=tag,
                                   headers=[("Contact", str(contact))])
                dialog = Dialog.as_uas(request, ok)
                self.dialogs.add(dialog)
                self.invites[event.tid] = dialog
                self.layer.respond(event.tid, ok, now)
                self.answered += 1
            elif request.method == "BYE":
                dialog = self.dialogs.for_request(request)
                if dialog is None:
                    self.errors.append(f"BYE outside a dialog: {request.call_id}")
                    self.layer.respond(event.tid, make_response(request, 481), now)
                    return
                dialog.on_request(request)
                self.dialogs.remove(dialog.id)
                self.layer.respond(event.tid, make_response(request, 200), now)
                self.byes += 1
            else:
                self.errors.append(f"unexpected {request.method}")
                self.layer.respond(event.tid, make_response(request, 501), now)
        elif isinstance(event, TransactionTimeout):
            # no ACK: a real TU would now send BYE (§13.3.1.4); here the dialog just ends
            dialog = self.invites.pop(event.tid, None)
            if dialog is not None and self.dialogs.remove(dialog.id) is not None:
                self.unacknowledged += 1
        elif isinstance(event, AckReceived):
            dialog = self.dialogs.for_request(event.request)
            if dialog is not None:
                self.acked += 1


#: both sides run on the same short T1 (20 ms; T2 200 ms), so that every timer,
#: L, H, J and SIPp's retransmissions alike, fits in a fast test at the RFC's proportions
T1_MS = 20


def uac_scenario(directory: Path) -> Path:
    """SIPp's own uac scenario, retransmitting from T1_MS instead of 500 ms."""
    dumped = subprocess.run(["sipp", "-sd", "uac"], capture_output=True, check=False,
                            timeout=10).stdout.decode()
    assert 'retrans="500"' in dumped
    path = directory / "uac.xml"
    path.write_text(dumped.replace('retrans="500"', f'retrans="{T1_MS}"'))
    return path


def run_sipp(tmp_path: Path, port: int, calls: int, extra: list[str]) -> int:
    sipp_port = free_udp_port()
    command = ["sipp", "-sf", str(uac_scenario(tmp_path)), f"127.0.0.1:{port}",
               "-T2", str(T1_MS * 10), "-i", "127.0.0.1",
               "-p", str(sipp_port), "-m", str(calls), "-r", "20", "-nostdin",
               "-timeout", "40", "-cp", str(free_udp_port()),
               "-mp", str(free_udp_port() // 2 * 2), *extra]
    done = subprocess.run([*command, "-trace_err", "-error_file", "errors.log"],
                          capture_output=True, timeout=60, cwd=str(tmp_path), check=False)
    if done.returncode:
        log = tmp_path / "errors.log"
        print(log.read_text() if log.exists() else done.stderr.decode())
    return done.returncode


@pytest.mark.parametrize("loss", [0, 10])
def test_sipp_calls_complete_against_the_transaction_layer(tmp_path: Path,
                                                           loss: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = TimerSettings(t1=T1_MS / 1000, t2=T1_MS / 100, t4=T1_MS / 100)
    answerer = Answerer(sock, TransactionLayer(settings))
    thread = threading.Thread(target=answerer.run, daemon=True)
    thread.start()
    try:
        calls = 20
        extra = ["-lost", str(loss)] if loss else []
        status = run_sipp(tmp_path, port, calls, extra)
        deadline = time.monotonic() + 10
        while len(answerer.layer) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        answerer.stop.set()
        thread.join(5)
        sock.close()
    assert answerer.errors == []
    assert status == 0, f"sipp exit status {status}"
    assert answerer.answered == calls
    if not loss:
        assert answerer.acked == answerer.byes == calls
    # with loss, SIPp (which never re-sends an ACK, and counts a call whose BYE it lost
    # as done) may leave a 2xx unacknowledged: timer L then tells the TU. Every call is
    # accounted for either way.
    assert answerer.byes + answerer.unacknowledged == calls
    assert len(answerer.layer) == 0  # every transaction ended by its timers
    assert len(answerer.dialogs) == 0
