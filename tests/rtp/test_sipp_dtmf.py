"""RFC 4733 digits played live by SIPp over a real UDP socket: one event per key press.

SIPp answers a call made from the test with plain SIP text, then plays its packaged
captures of "1", "2" and "#" (`<exec play_pcap_audio>`) to the RTP socket the test's SDP
named. Whatever arrives goes through `RtpSession` and `DtmfReceiver`, as the edge does.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from softswitch.rtp.dtmf import DigitEvent, DtmfReceiver
from softswitch.rtp.session import RtpSession

SCENARIO = Path(__file__).parent / "scenarios" / "play_rfc4733_digits.xml"
CAPTURES = Path("/usr/share/sip-tester")


def udp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    return sock


def free_udp_port() -> int:
    """A port for SIPp's own sockets (it takes numbers, not sockets)."""
    with udp_socket() as probe:
        return probe.getsockname()[1]


def request(method: str, target: tuple[str, int], me: tuple[str, int], cseq: int,
            to_tag: str = "", body: str = "") -> bytes:
    to = f"<sip:digits@{target[0]}>" + (f";tag={to_tag}" if to_tag else "")
    lines = [
        f"{method} sip:digits@{target[0]}:{target[1]} SIP/2.0",
        f"Via: SIP/2.0/UDP {me[0]}:{me[1]};branch=z9hG4bK-dtmf-{method.lower()}-{cseq}",
        "Max-Forwards: 70",
        f"From: <sip:test@{me[0]}>;tag=dtmf-test",
        f"To: {to}",
        "Call-ID: dtmf-from-sipp@127.0.0.1",
        f"CSeq: {cseq} {method}",
        f"Contact: <sip:test@{me[0]}:{me[1]}>",
    ]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def response_to(sock: socket.socket, method: str, deadline: float) -> str:
    while time.monotonic() < deadline:
        try:
            text = sock.recv(65536).decode()
        except TimeoutError:
            continue
        if text.startswith("SIP/2.0 200") and f" {method}\r\n" in text.split("CSeq:", 1)[1]:
            return text
    raise AssertionError(f"no 200 to {method} from SIPp")


@pytest.fixture
def sipp_uas() -> Iterator[tuple[str, int]]:
    if shutil.which("sipp") is None or not (CAPTURES / "dtmf_2833_1.pcap").exists():
        pytest.skip("SIPp with its packaged captures (Debian package sip-tester) is needed")
    port = free_udp_port()
    proc = subprocess.Popen(
        ["sipp", "-sf", str(SCENARIO), "-i", "127.0.0.1", "-p", str(port),
         "-mp", str(free_udp_port()), "-cp", str(free_udp_port()), "-m", "1",
         "-nostdin", "-timeout", "20"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.3)  # let SIPp bind before the INVITE (UDP: a lost INVITE fails the test)
    try:
        yield ("127.0.0.1", port)
        assert proc.wait(timeout=10) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_digits_played_by_sipp_are_each_detected_once(sipp_uas: tuple[str, int]) -> None:
    with udp_socket() as sip, udp_socket() as rtp:
        me = sip.getsockname()
        sdp = ("v=0\r\no=test 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {rtp.getsockname()[1]} RTP/AVP 0 101\r\n"
               "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n")
        sip.sendto(request("INVITE", sipp_uas, me, 1, body=sdp), sipp_uas)
        ok = response_to(sip, "INVITE", time.monotonic() + 5)
        to_tag = ok.split("\r\nTo:", 1)[1].split("\r\n", 1)[0].split("tag=", 1)[1].strip()
        sip.sendto(request("ACK", sipp_uas, me, 1, to_tag), sipp_uas)

        session = RtpSession(payload_type=0)
        receiver = DtmfReceiver()
        digits: list[DigitEvent] = []
        packets = 0
        start = time.monotonic()
        while len(digits) < 3 and time.monotonic() - start < 5:
            try:
                data, addr = rtp.recvfrom(2048)
            except TimeoutError:
                digits += receiver.poll(time.monotonic() - start)
                continue
            now = time.monotonic() - start
            packet = session.receive(data, addr, now)
            assert packet is not None and packet.payload_type == 101
            packets += 1
            digits += receiver.receive(packet, now)
        # the redundant end packets of the last press still arrive: none may count twice
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            try:
                data, addr = rtp.recvfrom(2048)
            except TimeoutError:
                continue
            packet = session.receive(data, addr, time.monotonic() - start)
            assert packet is not None
            digits += receiver.receive(packet, time.monotonic() - start)
        digits += receiver.poll(time.monotonic() - start + 10)

        sip.sendto(request("BYE", sipp_uas, me, 2, to_tag), sipp_uas)
        response_to(sip, "BYE", time.monotonic() + 5)
    assert [d.digit for d in digits] == ["1", "2", "#"]
    assert {d.source for d in digits} == {"rfc4733"}
    assert all(d.duration == pytest.approx(0x08C0 / 8000) for d in digits)
    assert packets >= 3 * 7  # start, updates and the end packets of each press
    assert session.remote is not None  # latched from SIPp's media socket
