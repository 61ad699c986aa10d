"""Bytes to messages: one datagram (`parse_message`) or a TCP byte stream (`StreamParser`).

The only exception that leaves this module is `ProtocolError`, with the status a server
should answer (400, 416, 505, 513) and, when enough was readable, the partly parsed
request in `partial` so the answer can carry the right Via/From/To/Call-ID/CSeq.
"""

from __future__ import annotations

import re

from softswitch.errors import ProtocolError
from softswitch.sip.grammar import KNOWN_NAMES, TOKEN_RE, canonical_name
from softswitch.sip.headers import (
    is_usual_sip_name_addr,
    parse_cseq,
    parse_name_addr,
    parse_via,
)
from softswitch.sip.message import Headers, Request, Response, int_value
from softswitch.sip.uri import AbsoluteURI, SipURI, parse_uri

#: the largest message accepted: the largest UDP payload
MAX_MESSAGE = 65535
#: Request-URI schemes the switch serves; others get 416 (RFC 3261 §8.2.2.1)
SUPPORTED_SCHEMES = frozenset({"sip", "sips", "tel"})
#: headers that may appear at most once (RFC 3261 §20; a second one is a 400)
MANDATORY_HEADERS = ("via", "from", "to", "call-id", "cseq")
_MANDATORY_SET = frozenset(MANDATORY_HEADERS)
SINGLE_HEADERS = ("from", "to", "call-id", "cseq", "max-forwards", "content-type",
                  "expires")

_VERSION_RE = re.compile(r"SIP/([0-9]+)\.([0-9]+)", re.IGNORECASE)
_CALL_ID_RE = re.compile(r"[\x21-\x7e]+(?:@[\x21-\x7e]+)?")


def parse_message(data: bytes, *, max_size: int = MAX_MESSAGE) -> Request | Response:
    """Parse one whole message, as received in a datagram.

    A body longer than Content-Length is truncated to it; a shorter one is a 400.
    """
    if len(data) > max_size:
        partial = None
        try:
            partial = _parse(data).partial_request()
        except ProtocolError as exc:
            partial = exc.partial
        raise ProtocolError(f"message of {len(data)} bytes exceeds {max_size}", status=513,
                            partial=partial)
    return _parse(data).finish()


class _Parsed:
    """A message split into start line, header lines and body, not yet validated."""

    __slots__ = ("body", "errors", "headers", "method", "reason", "status", "uri_text",
                 "version")

    def __init__(self) -> None:
        self.method: str | None = None
        self.uri_text = ""
        self.status = 0
        self.reason = ""
        self.version = ""
        self.headers: Headers  # set by _finish_split, before anything reads it
        self.body = b""
        self.errors: list[str] = []

    def partial_request(self) -> Request | None:
        """Best effort request for an error answer, or None if it could not be answered.

        An answer copies Via, From, To, Call-ID and CSeq verbatim (§8.2.6.2), so they only
        have to be present, not valid: a request with a malformed To still gets its 400.
        Whoever routes the answer must cope with a top Via that does not parse (answer
        to the source address).
        """
        if self.method is None:
            return None
        keys = self.headers._keys
        if not all(key in keys for key in ("via", "from", "to", "call-id", "cseq")):
            return None
        try:
            uri: SipURI | AbsoluteURI = parse_uri(self.uri_text)
        except ProtocolError:
            uri = AbsoluteURI("", self.uri_text)
        return Request(self.method, uri, self.headers, b"")

    def fail(self, message: str, status: int = 400) -> ProtocolError:
        return ProtocolError(message, status=status, partial=self.partial_request())

    def finish(self) -> Request | Response:
        """Validate and build the message."""
        if self.errors:
            raise self.fail(self.errors[0])
        if self.version != "SIP/2.0":
            match = _VERSION_RE.fullmatch(self.version)
            if match is None:
                raise self.fail(f"malformed SIP version {self.version!r}")
            if match.groups() != ("2", "0"):
                raise self.fail(f"SIP version {self.version} not supported", status=505)
        headers = self.headers
        method = self.method
        if method is not None:
            try:
                uri = parse_uri(self.uri_text)
            except ProtocolError as exc:
                raise self.fail(f"bad Request-URI: {exc}") from None
            if uri.scheme not in SUPPORTED_SCHEMES:
                raise self.fail(f"URI scheme {uri.scheme!r} not supported", status=416)
            if isinstance(uri, SipURI) and uri.headers:
                raise self.fail("Request-URI must not carry headers (RFC 3261 §19.1.5)")
            message: Request | Response = Request(method, uri, headers, self.body)
        else:
            message = Response(self.status, self.reason, headers, self.body)
        keys = headers._keys
        # the last value of each name; the first too for any name that occurs once
        present = dict(zip(keys, headers._values))  # noqa: B905 - parallel by construction
        if not present.keys() >= _MANDATORY_SET:
            for key in MANDATORY_HEADERS:
                if key not in present:
                    raise self.fail(f"missing mandatory header {key}")
        if len(present) != len(keys):  # some name repeats: is it one that must not?
            for key in SINGLE_HEADERS:
                if keys.count(key) > 1:
                    raise self.fail(f"more than one {key} header")
        # From here on, a name in SINGLE_HEADERS occurs once: present[name] is its value.
        # Everything the transaction layer and the core read is parsed now, so a message
        # that parses has valid ones; each goes into the cache the accessors read.
        cache = headers._cache
        try:
            cseq = cache["cseq"] = parse_cseq(present["cseq"])
            value = present["via"]
            if value and "," not in value and keys.count("via") == 1:
                cache["via"] = [parse_via(value)]
            else:
                cache["via"] = [parse_via(v) for v in headers.get_all("via")]
            cache["from"] = parse_name_addr(present["from"])
            cache["to"] = parse_name_addr(present["to"])
            call_id = present["call-id"]
            if not _CALL_ID_RE.fullmatch(call_id):
                raise ProtocolError(f"malformed Call-ID {call_id!r}")
            cache["call-id"] = call_id
            if method is not None:
                if cseq.method != method:
                    raise ProtocolError(
                        f"CSeq method {cseq.method} does not match request {method}")
                value = present.get("max-forwards")
                if value is not None and not (value.isdigit() and value.isascii()
                                              and int(value) <= 255):
                    int_value(value, "max-forwards", 255)
                value = present.get("expires")
                if value is not None and not (value.isdigit() and value.isascii()
                                              and int(value) <= 2**32 - 1):
                    int_value(value, "expires", 2**32 - 1)
                value = present.get("contact")
                if value is None:
                    cache["contact"] = []
                elif value and "," not in value and "*" not in value \
                        and keys.count("contact") == 1:
                    # the core reads it (the transaction layer does not): checked now,
                    # built on first read
                    if not is_usual_sip_name_addr(value):
                        cache["contact"] = [parse_name_addr(value)]
                else:
                    message.contacts  # noqa: B018 - parse and cache them now
        except ProtocolError as exc:
            raise self.fail(str(exc)) from None
        return message


#: one whole header line as well-formed messages write it: `Name: value` then CRLF, no
#: blank before the CRLF (the value may hold a bare CR here: the caller counts CRs to
#: refuse those)
_HEADER_LINE_RE = re.compile(r"^([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*:[ \t]*(.*)(?<![ \t])\r\n",
                             re.MULTILINE)


def _parse(data: bytes, *, one_pass: bool = True) -> _Parsed:
    """Split a whole message into its parts; syntax errors are collected, not raised.

    Well-formed header lines are split by one regex pass over the whole head; anything
    unusual (folding, bare CR or LF, a malformed line) goes line by line, which gives the
    errors. `one_pass=False` always goes line by line and checks the start line piece by
    piece: tests compare the two.
    """
    parsed = _Parsed()
    start = 0
    while data.startswith(b"\r\n", start):  # RFC 3261 §7.5: ignore CRLFs before start line
        start += 2
    end = data.find(b"\r\n\r\n", start)
    if end >= 0:
        # the CRLF ending the last header line is kept: every line then ends in one
        text = data[start : end + 2].decode("utf-8", "surrogateescape")
        body_at = end + 4
        first = text.find("\r\n")
        if first > 0 and one_pass:
            pairs = _HEADER_LINE_RE.findall(text, first + 2)
            # Each match is anchored at a line start and holds exactly one line feed, its
            # own: as many matches as line feeds means every header line matched whole
            # (no folding, no bare LF, no malformed line, no trailing blanks); as many
            # CRs, that none holds a bare CR.
            count = len(pairs)
            if count == text.count("\n", first + 2) == text.count("\r", first + 2):
                _parse_start_line(parsed, text[:first])
                if pairs:
                    name_tuple, value_tuple = zip(*pairs, strict=True)
                    names, values = list(name_tuple), list(value_tuple)
                else:
                    names, values = [], []
                known = KNOWN_NAMES.get
                keys = [known(n) or canonical_name(n) for n in names]
                return _finish_split(parsed, data, body_at, names, keys, values)
        lines = text[:-2].split("\r\n")
    else:
        n = len(data)
        end = data.find(b"\n\n", start)
        if end < 0:
            if data.endswith(b"\r\n") or data.endswith(b"\n"):
                end, body_at = n, n  # headers with no blank line: no body
            else:
                raise ProtocolError("no end of headers")
        else:
            body_at = end + 2
        head = data[start:end].decode("utf-8", "surrogateescape")
        lines = [line.rstrip("\r") for line in head.split("\n")]
    if not lines or not lines[0]:
        raise ProtocolError("empty message")
    _parse_start_line(parsed, lines[0], usual=one_pass)

    names = []
    keys = []
    values = []
    errors = parsed.errors
    for line in lines[1:]:
        if not line:
            continue
        first_char = line[0]
        if first_char == " " or first_char == "\t":  # folded continuation of the last line
            if not values:
                errors.append("continuation line before any header")
                continue
            more = line.strip(" \t")
            values[-1] = f"{values[-1]} {more}" if values[-1] else more
            continue
        colon = line.find(":")
        if colon <= 0:
            errors.append(f"malformed header line {line[:40]!r}")
            continue
        name = line[:colon].rstrip(" \t")
        if not TOKEN_RE.fullmatch(name):
            errors.append(f"bad header name {name[:40]!r}")
            continue
        if "\r" in line:  # a bare CR; NUL may appear in a quoted-pair (RFC 4475 intmeth)
            errors.append(f"bare CR in header {name}")
            continue
        names.append(name)
        keys.append(canonical_name(name))
        values.append(line[colon + 1 :].strip(" \t"))
    return _finish_split(parsed, data, body_at, names, keys, values)


def _finish_split(parsed: _Parsed, data: bytes, body_at: int, names: list[str],
                  keys: list[str], values: list[str]) -> _Parsed:
    """Adopt the header lines and cut the body to Content-Length."""
    parsed.headers = Headers._from_lists(names, keys, values)
    errors = parsed.errors
    body = data[body_at:]
    if "content-length" in keys:
        if keys.count("content-length") == 1:
            lengths = {values[keys.index("content-length")]}
        else:
            lengths = {v for k, v in zip(keys, values, strict=True) if k == "content-length"}
        if len(lengths) > 1:
            errors.append("conflicting Content-Length headers")
        else:
            text = lengths.pop()
            if not (text.isdigit() and text.isascii()) or len(text) > 10:
                errors.append(f"bad Content-Length {text[:20]!r}")
            else:
                length = int(text)
                if length > len(body):
                    errors.append(f"body of {len(body)} bytes shorter than Content-Length "
                                  f"{length}")
                else:
                    body = body[:length]
    parsed.body = body
    return parsed


#: the usual start lines; any other goes through the checks below, which give the errors
_REQUEST_LINE_RE = re.compile(r"([A-Za-z0-9\-.!%*_+`'~]+) ([^ ]+) SIP/2\.0")
_STATUS_LINE_RE = re.compile(r"SIP/2\.0 ([1-6][0-9][0-9])(?: ([^\r\n\x00]*))?")


def _parse_start_line(parsed: _Parsed, line: str, *, usual: bool = True) -> None:
    """Method, Request-URI and version, or version, status and reason.

    `usual` first tries the forms of nearly every message in one match each.
    """
    if usual:
        match = _REQUEST_LINE_RE.fullmatch(line)
        if match is not None:
            parsed.method, parsed.uri_text = match.groups()
            parsed.version = "SIP/2.0"
            return
        match = _STATUS_LINE_RE.fullmatch(line)
        if match is not None:
            code, reason = match.groups()
            parsed.status = int(code)
            parsed.reason = reason or ""
            parsed.version = "SIP/2.0"
            return
    if line[:4].upper() == "SIP/":
        parts = line.split(" ", 2)
        if len(parts) < 2:
            raise ProtocolError("malformed status line")
        parsed.version = parts[0]
        code = parts[1]
        if len(code) != 3 or not code.isascii() or not code.isdigit() or code[0] not in "123456":
            raise ProtocolError(f"bad status code {code[:12]!r}")
        parsed.status = int(code)
        parsed.reason = parts[2] if len(parts) > 2 else ""
        if any(c in parsed.reason for c in "\r\n\x00"):
            raise ProtocolError("control character in reason phrase")
        return
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        parsed.method = parts[0] if parts and TOKEN_RE.fullmatch(parts[0]) else None
        parsed.uri_text = parts[1] if len(parts) > 1 else ""
        parsed.version = parts[-1]
        parsed.errors.append(f"malformed request line {line[:80]!r}")
        return
    method, uri_text, version = parts
    if not TOKEN_RE.fullmatch(method):
        raise ProtocolError(f"bad method {method[:20]!r}")
    parsed.method = method
    parsed.uri_text = uri_text
    parsed.version = version


_START_LINE_RE = re.compile(
    rb"(?:[A-Za-z0-9\-.!%*_+`'~]+ [^ \r\n]+ [Ss][Ii][Pp]/[0-9]+\.[0-9]+"
    rb"|[Ss][Ii][Pp]/[0-9]+\.[0-9]+ [0-9]{3}(?: [^\r\n]*)?)\r?")
_CONTENT_LENGTH_RE = re.compile(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?$")


class StreamParser:
    """Frames messages out of a TCP byte stream by Content-Length (mandatory on streams).

    `feed` returns the complete messages received so far. A `ProtocolError` for a
    message that was framed but invalid leaves the stream usable (`broken` stays False:
    answer it and call `feed(b"")` to continue); garbage, a missing Content-Length or
    an oversized message break the framing (`broken` is True: close the connection).
    """

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self.max_message = max_message
        self.broken = False
        #: RFC 5626 double-CRLF pings seen; the transport answers each with one CRLF
        self.keepalives = 0
        self._buffer = bytearray()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def _break(self, message: str, status: int = 400) -> ProtocolError:
        self.broken = True
        self._buffer.clear()
        return ProtocolError(message, status=status)

    def feed(self, data: bytes) -> list[Request | Response]:
        if self.broken:
            raise ProtocolError("stream already failed; close the connection")
        buf = self._buffer
        buf += data
        out: list[Request | Response] = []
        while buf:
            skip = 0
            while buf.startswith(b"\r\n", skip):
                skip += 2
            if skip:
                self.keepalives += skip // 4
                del buf[:skip]
                continue
            line_end = buf.find(b"\n")
            if line_end < 0:
                if len(buf) > self.max_message:
                    raise self._break("start line too long", status=513)
                break
            if not _START_LINE_RE.fullmatch(buf, 0, line_end):
                raise self._break("garbage on stream where a start line was expected")
            head_end = buf.find(b"\r\n\r\n")
            if head_end < 0:
                if len(buf) > self.max_message:
                    raise self._break("headers exceed the message size limit", status=513)
                break
            match = _CONTENT_LENGTH_RE.search(buf, 0, head_end + 2)
            if match is None:
                raise self._break("Content-Length is mandatory on a stream")
            text = match.group(1)
            if not text.isdigit() or len(text) > 10:
                raise self._break(f"bad Content-Length {text[:20]!r}")
            total = head_end + 4 + int(text)
            if total > self.max_message:
                raise self._break(f"message of {total} bytes exceeds {self.max_message}",
                                  status=513)
            if len(buf) < total:
                break
            try:
                message = parse_message(bytes(buf[:total]), max_size=self.max_message)
            except ProtocolError:
                if out:
                    return out  # hand these over first; the error comes on the next feed
                del buf[:total]
                raise
            del buf[:total]
            out.append(message)
        return out
