"""A blocking client for the control socket, for the CLI and scripts.

    with ControlClient(path) as client:
        client.request("agent.login", agent="1001")
        for event in client.subscribe(kinds=["agent."]):
            ...
"""

from __future__ import annotations

import itertools
import json
import select
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any


class NotRunning(Exception):
    """Nothing answers on the control socket."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"softswitch is not running (no control socket at {path})")
        self.path = path


class CommandFailed(Exception):
    """The switch answered with an error object."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class ControlClient:
    def __init__(self, path: Path, timeout: float | None = 10.0) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as error:
            self._sock.close()
            raise NotRunning(path) from error
        self._buffer = b""
        self._ids = itertools.count(1)

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def send(self, cmd: str, **args: Any) -> int:
        request_id = next(self._ids)
        line = json.dumps({"id": request_id, "cmd": cmd,
                           **{k: v for k, v in args.items() if v is not None}})
        self._sock.sendall(line.encode() + b"\n")
        return request_id

    def receive(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next message; None if `timeout` seconds pass first (only with a timeout)."""
        while b"\n" not in self._buffer:
            if timeout is not None:
                ready, _, _ = select.select([self._sock], [], [], timeout)
                if not ready:
                    return None
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("the switch closed the control connection")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message

    def request(self, cmd: str, **args: Any) -> Any:
        """Send one command and return its result, or raise CommandFailed."""
        request_id = self.send(cmd, **args)
        while True:
            answer = self.receive()
            if answer is not None and answer.get("id") == request_id and "ok" in answer:
                return _result(answer)

    def subscribe(self, kinds: Sequence[str] | None = None,
                  idle: float | None = None) -> Iterator[dict[str, Any] | None]:
        """Subscribe now (events from this moment on are kept for us), then iterate them
        (each {"seq", "ts", "kind", "call_id", "queue", "agent", "data"}) until the
        connection ends. With `idle`, None is yielded whenever that many seconds pass
        without an event (time to redraw a clock)."""
        request_id = self.send("subscribe", kinds=list(kinds) if kinds else None)
        while True:
            answer = self.receive()
            if answer is not None and answer.get("id") == request_id and "ok" in answer:
                _result(answer)
                break
        return self._events(request_id, idle)

    def _events(self, request_id: int,
                idle: float | None) -> Iterator[dict[str, Any] | None]:
        while True:
            try:
                answer = self.receive(idle)
            except (ConnectionError, OSError):
                return
            if answer is None:
                yield None
            elif answer.get("id") == request_id and "event" in answer:
                yield answer["event"]


def _result(answer: dict[str, Any]) -> Any:
    if answer.get("ok"):
        return answer.get("result")
    error = answer.get("error") or {}
    raise CommandFailed(str(error.get("code", "error")), str(error.get("message", "")),
                        error.get("details"))
