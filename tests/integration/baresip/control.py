"""baresip's ctrl_tcp protocol: netstring-framed JSON, commands answered by token,
events pushed at any time. A reader thread keeps every event so a test can wait for
one that came before it started waiting."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

Message = dict[str, Any]


class ControlError(RuntimeError):
    """baresip did not answer a command, or its control socket closed."""


class Control:
    def __init__(self, port: int, connect_timeout: float = 5.0) -> None:
        self._sock = _connect(port, connect_timeout)
        self._lock = threading.Condition()
        self._events: list[Message] = []
        self._responses: dict[str, Message] = {}
        self._token = 0
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- commands ------------------------------------------------------------------------

    def command(self, command: str, params: str = "", timeout: float = 5.0) -> Message:
        with self._lock:
            self._token += 1
            token = str(self._token)
        body = json.dumps({"command": command, "params": params, "token": token}).encode()
        self._sock.sendall(b"%d:%s," % (len(body), body))
        deadline = time.monotonic() + timeout
        with self._lock:
            while token not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise ControlError(f"no answer to {command} {params}")
                self._lock.wait(left)
            return self._responses.pop(token)

    # -- events --------------------------------------------------------------------------

    def events(self, kind: str | None = None) -> list[Message]:
        with self._lock:
            return [e for e in self._events if kind is None or e.get("type") == kind]

    def wait_event(self, kind: str, timeout: float, *, after: int = 0,
                   param: str | None = None) -> Message:
        """The first event of `kind` (with `param` in its param) among the events from
        index `after` on, waiting for it up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for event in self._events[after:]:
                    if event.get("type") == kind and (
                            param is None or param in str(event.get("param", ""))):
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    seen = [(e.get("type"), e.get("param")) for e in self._events]
                    raise ControlError(f"no {kind} event in {timeout} s; seen: {seen}")
                self._lock.wait(left)

    def mark(self) -> int:
        """How many events came so far: pass it as `after` to wait for a later one."""
        with self._lock:
            return len(self._events)

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
        self._reader.join(2)

    # -- the reader ----------------------------------------------------------------------

    def _read(self) -> None:
        buffer = b""
        try:
            while True:
                data = self._sock.recv(65536)
                if not data:
                    break
                buffer += data
                while True:
                    message, buffer = _netstring(buffer)
                    if message is None:
                        break
                    self._keep(json.loads(message))
        except OSError:
            pass
        finally:
            with self._lock:
                self._closed = True
                self._lock.notify_all()

    def _keep(self, message: Message) -> None:
        with self._lock:
            if message.get("response"):
                self._responses[str(message.get("token"))] = message
            elif message.get("event"):
                self._events.append(message)
            self._lock.notify_all()


def _netstring(buffer: bytes) -> tuple[bytes | None, bytes]:
    length, colon, rest = buffer.partition(b":")
    if not colon:
        return None, buffer
    size = int(length)
    if len(rest) < size + 1:
        return None, buffer
    return rest[:size], rest[size + 1:]


def _connect(port: int, timeout: float) -> socket.socket:
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            if time.monotonic() > deadline:
                raise ControlError(f"baresip's ctrl_tcp on {port} is not reachable") from None
            time.sleep(0.05)
            continue
        sock.settimeout(None)  # the reader blocks until baresip speaks or closes
        return sock
