"""A blocking client for the control socket, for the CLI and scripts.

    with ControlClient(path) as client:
        client.request("agent.login", agent="1001")
        for event in client.subscribe(kinds=["agent."]):
            ...
"""

from __future__ import annotations

import itertools
import json
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
        self._file = self._sock.makefile("rb")
        self._ids = itertools.count(1)

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def send(self, cmd: str, **args: Any) -> int:
        request_id = next(self._ids)
        line = json.dumps({"id": request_id, "cmd": cmd,
                           **{k: v for k, v in args.items() if v is not None}})
        self._sock.sendall(line.encode() + b"\n")
        return request_id

    def receive(self) -> dict[str, Any]:
        line = self._file.readline()
        if not line:
            raise ConnectionError("the switch closed the control connection")
        message: dict[str, Any] = json.loads(line)
        return message

    def request(self, cmd: str, **args: Any) -> Any:
        """Send one command and return its result, or raise CommandFailed."""
        request_id = self.send(cmd, **args)
        while True:
            answer = self.receive()
            if answer.get("id") == request_id and "ok" in answer:
                return _result(answer)

    def subscribe(self, kinds: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """Events as they happen (each {"seq", "ts", "kind", "call_id", "queue", "agent",
        "data"}), until the connection ends; CommandFailed if the switch cut us off."""
        request_id = self.send("subscribe", kinds=list(kinds) if kinds else None)
        while True:
            try:
                answer = self.receive()
            except ConnectionError:
                return
            if answer.get("id") != request_id:
                continue
            if "event" in answer:
                yield answer["event"]
            else:
                _result(answer)


def _result(answer: dict[str, Any]) -> Any:
    if answer.get("ok"):
        return answer.get("result")
    error = answer.get("error") or {}
    raise CommandFailed(str(error.get("code", "error")), str(error.get("message", "")),
                        error.get("details"))
