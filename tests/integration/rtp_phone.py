"""The media half of a test phone whose signalling SIPp does: a UDP socket named in the
SDP SIPp sends, which plays the A-law audio of SIPp's own g711a.pcap (or silence) and
keeps the audio it receives, decoded, with the time it came, so a test can measure the
energy a phone heard while another was talking."""

from __future__ import annotations

import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np

from softswitch.codecs.g711 import alaw_decode_table

PCAP = Path("/usr/share/sip-tester/g711a.pcap")
FRAME = 160
ALAW_SILENCE = b"\xd5" * FRAME
#: Ethernet, IPv4 and UDP headers before each packet's RTP, in SIPp's capture
_LINK_IP_UDP = 14 + 20 + 8


def pcap_alaw(path: Path = PCAP) -> list[bytes]:
    """The RTP payloads of a capture, cut again into 20 ms A-law frames."""
    data = path.read_bytes()
    offset = 24
    audio = bytearray()
    while offset + 16 <= len(data):
        _sec, _usec, length, _orig = struct.unpack("<IIII", data[offset:offset + 16])
        packet = data[offset + 16:offset + 16 + length]
        offset += 16 + length
        rtp = packet[_LINK_IP_UDP:]
        if len(rtp) > 12 and rtp[1] & 0x7F == 8:
            audio += rtp[12:]
    return [bytes(audio[i:i + FRAME]) for i in range(0, len(audio) - FRAME + 1, FRAME)]


def dtmf_event(digit: str, end: bool, duration: int) -> bytes:
    """An RFC 4733 telephone-event payload."""
    code = "0123456789*#".index(digit)
    return struct.pack("!BBH", code, (0x80 if end else 0) | 10, duration)


class RtpPhone:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port: int = self.sock.getsockname()[1]
        self.remote: tuple[str, int] | None = None
        self.talking = False
        self.received: list[tuple[float, np.ndarray]] = []
        self._frames = pcap_alaw()
        self._table = alaw_decode_table()
        self._stop = threading.Event()
        self._seq = 0
        self._ts = 0
        self._ssrc = int.from_bytes(self.port.to_bytes(2, "big") * 2, "big")
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._send_loop, daemon=True),
                         threading.Thread(target=self._receive_loop, daemon=True)]

    def start(self) -> None:
        """Listen now; talk (audio or silence) once the switch's first packet shows
        where its RTP port is (it sends from the port its SDP answer named)."""
        for thread in self._threads:
            thread.start()

    def _packet(self, payload_type: int, payload: bytes, marker: bool = False,
                timestamp: int | None = None) -> bytes:
        with self._lock:
            self._seq = (self._seq + 1) & 0xFFFF
            header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type,
                                 self._seq, self._ts if timestamp is None else timestamp,
                                 self._ssrc)
        return header + payload

    def _send_loop(self) -> None:
        n = 0
        while self.remote is None and not self._stop.wait(0.01):
            pass
        start = time.monotonic()
        while not self._stop.is_set():
            payload = self._frames[n % len(self._frames)] if self.talking else ALAW_SILENCE
            assert self.remote is not None
            self.sock.sendto(self._packet(8, payload), self.remote)
            with self._lock:
                self._ts = (self._ts + FRAME) & 0xFFFFFFFF
            n += 1
            delay = start + n * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def _receive_loop(self) -> None:
        while not self._stop.is_set():
            try:
                data, source = self.sock.recvfrom(2048)
            except OSError:
                continue
            if self.remote is None:
                self.remote = source
            if len(data) > 12 and data[1] & 0x7F == 8:
                samples = self._table[np.frombuffer(data[12:], dtype=np.uint8)]
                self.received.append((time.monotonic(), samples))

    def press(self, digit: str) -> None:
        """A key by RFC 4733 (payload type 101): three updates and three ends."""
        assert self.remote is not None
        with self._lock:
            start = self._ts
        for i, end in ((1, False), (2, False), (3, False), (4, True), (4, True), (4, True)):
            payload = dtmf_event(digit, end, i * FRAME)
            self.sock.sendto(self._packet(101, payload, marker=i == 1, timestamp=start),
                             self.remote)
            time.sleep(0.02)

    def energy(self, since: float, until: float) -> float:
        """Mean absolute sample of the audio received in [since, until)."""
        chunks = [s for t, s in list(self.received) if since <= t < until]
        if not chunks:
            return 0.0
        return float(np.mean(np.abs(np.concatenate(chunks).astype(np.int32))))

    def packets(self, since: float, until: float) -> int:
        return sum(1 for t, _ in list(self.received) if since <= t < until)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(2)
        self.sock.close()
