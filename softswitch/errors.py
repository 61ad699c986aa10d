"""Errors shared by the protocol cores.

One exception type crosses the parser boundary: `ProtocolError`, carrying the SIP status
a server should answer with (h11's `error_status_hint`, mapped straight onto SIP).
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Input that breaks the protocol; `status` is the response a server should send."""

    def __init__(self, message: str, status: int = 400, reason: str | None = None,
                 headers: tuple[tuple[str, str], ...] = (), partial: object | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason or message
        #: extra headers for the error response, e.g. ("Unsupported", "foo") with a 420
        self.headers = headers
        #: what could be parsed before the error (enough Via/From/To/Call-ID/CSeq to
        #: answer with `status`), or None when nothing could
        self.partial = partial


class ConfigError(Exception):
    """A configuration problem, located by file, line and key."""

    def __init__(self, file: str, line: int | None, key: str, message: str) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {key}: {message}")
        self.file = file
        self.line = line
        self.key = key
        self.message = message
