"""The control protocol's framing: one JSON object per line, both ways.

Requests are `{"id": ..., "cmd": "...", ...arguments}`; answers are
`{"id": ..., "ok": true, "result": ...}` or
`{"id": ..., "ok": false, "error": {"code": "...", "message": "..."}}`. A stream (the
`subscribe` command) sends `{"id": ..., "event": {...}}` lines after its first answer.
Nothing here does I/O: the edge hands lines in and writes the bytes that come out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: a request line longer than this is refused and the rest of it skipped
MAX_REQUEST_BYTES = 64 * 1024

#: error codes, so scripts can branch on them
BAD_JSON = "bad_json"
BAD_REQUEST = "bad_request"
TOO_LARGE = "too_large"
UNKNOWN_COMMAND = "unknown_command"
BAD_ARGUMENTS = "bad_arguments"
NOT_FOUND = "not_found"
REFUSED = "refused"
UNAVAILABLE = "unavailable"
CONFIG_INVALID = "config_invalid"
INTERNAL = "internal"


class ControlError(Exception):
    """A request that gets an error answer; the connection stays usable."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return error


@dataclass(frozen=True)
class Request:
    id: Any
    cmd: str
    args: dict[str, Any] = field(default_factory=dict)


def parse_request(line: bytes) -> Request:
    """One request line -> Request, or ControlError (with the id when it could be read)."""
    if len(line) > MAX_REQUEST_BYTES:
        raise ControlError(TOO_LARGE, f"request longer than {MAX_REQUEST_BYTES} bytes")
    try:
        data = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ControlError(BAD_JSON, f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ControlError(BAD_REQUEST, "a request is a JSON object with a \"cmd\"")
    request_id = data.pop("id", None)
    cmd = data.pop("cmd", None)
    if not isinstance(cmd, str) or not cmd:
        raise RequestError(request_id, ControlError(BAD_REQUEST,
                                                    "missing \"cmd\" (a command name)"))
    return Request(request_id, cmd, data)


class RequestError(ControlError):
    """A ControlError for a request whose id is known, so the answer can carry it."""

    def __init__(self, request_id: Any, error: ControlError) -> None:
        super().__init__(error.code, error.message, error.details)
        self.request_id = request_id


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), default=str).encode() + b"\n"


def ok(request_id: Any, result: Any) -> bytes:
    return encode({"id": request_id, "ok": True, "result": result})


def failed(request_id: Any, error: ControlError) -> bytes:
    return encode({"id": request_id, "ok": False, "error": error.to_json()})


def event_line(request_id: Any, event: dict[str, Any]) -> bytes:
    return encode({"id": request_id, "event": event})
