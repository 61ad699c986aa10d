"""SIP requests and responses: an ordered header multimap plus typed, cached accessors.

Headers keep every line in arrival order with its original name and value text, so a
message that is forwarded unmodified goes back on the wire unchanged; typed views (Via,
From, CSeq ...) are parsed on first use and cached until the headers change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from softswitch.errors import ProtocolError
from softswitch.sip.grammar import LIST_HEADERS, canonical_name, reason_phrase, split_list
from softswitch.sip.headers import (
    CSeq,
    NameAddr,
    Via,
    parse_cseq,
    parse_name_addr,
    parse_via,
)
from softswitch.sip.uri import AbsoluteURI, SipURI

T = TypeVar("T")


class Headers:
    """An ordered multimap of header lines; names match case-insensitively, compact or not."""

    __slots__ = ("_cache", "_keys", "_names", "_values")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._names: list[str] = []
        self._keys: list[str] = []
        self._values: list[str] = []
        self._cache: dict[str, object] = {}
        for name, value in items:
            self.add(name, value)

    @classmethod
    def _from_lists(cls, names: list[str], keys: list[str], values: list[str]) -> Headers:
        """Adopt already-validated parallel lists (the parser's fast path)."""
        self = cls.__new__(cls)
        self._names = names
        self._keys = keys
        self._values = values
        self._cache = {}
        return self

    # reading -------------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        """The first value: the first element of a list header, else the first line."""
        key = canonical_name(name)
        try:
            i = self._keys.index(key)
        except ValueError:
            return None
        value = self._values[i]
        if key in LIST_HEADERS and ("," in value):
            parts = split_list(value)
            return parts[0] if parts else None
        return value

    def get_all(self, name: str) -> list[str]:
        """Every value in order; list headers are split at top-level commas."""
        key = canonical_name(name)
        values = [v for k, v in zip(self._keys, self._values, strict=True) if k == key]
        if key in LIST_HEADERS:
            out: list[str] = []
            for value in values:
                if "," in value:
                    out.extend(split_list(value))
                elif value:
                    out.append(value)
            return out
        return values

    def lines(self, name: str) -> list[str]:
        """The raw values of every line named `name`, never split."""
        key = canonical_name(name)
        return [v for k, v in zip(self._keys, self._values, strict=True) if k == key]

    def count(self, name: str) -> int:
        return self._keys.count(canonical_name(name))

    def items(self) -> list[tuple[str, str]]:
        """(name as written, value) for every line, in order."""
        return list(zip(self._names, self._values, strict=True))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonical_name(name) in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._keys == other._keys and self._values == other._values

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"

    def copy(self) -> Headers:
        return Headers._from_lists(list(self._names), list(self._keys), list(self._values))

    def cached(self, key: str, parse: Callable[[], T]) -> T:
        """A typed view of some header(s), parsed once until the headers change."""
        try:
            return self._cache[key]  # type: ignore[return-value]
        except KeyError:
            value = parse()
            self._cache[key] = value
            return value

    # writing ---------------------------------------------------------------------------

    def add(self, name: str, value: str) -> None:
        """Append a line after all others."""
        self._cache.clear()
        self._names.append(name)
        self._keys.append(canonical_name(name))
        self._values.append(value)

    def prepend(self, name: str, value: str) -> None:
        """Insert a line above the first of its name (a proxy's Via), or at the very top."""
        self._cache.clear()
        key = canonical_name(name)
        try:
            i = self._keys.index(key)
        except ValueError:
            i = 0
        self._names.insert(i, name)
        self._keys.insert(i, key)
        self._values.insert(i, value)

    def set(self, name: str, value: str) -> None:
        """Replace every line of this name by one, where the first one was (else append)."""
        key = canonical_name(name)
        try:
            i = self._keys.index(key)
        except ValueError:
            self.add(name, value)
            return
        self.remove(name)
        self._cache.clear()
        self._names.insert(i, name)
        self._keys.insert(i, key)
        self._values.insert(i, value)

    def remove(self, name: str) -> int:
        """Remove every line of this name; returns how many there were."""
        key = canonical_name(name)
        keep = [i for i, k in enumerate(self._keys) if k != key]
        removed = len(self._keys) - len(keep)
        if removed:
            self._cache.clear()
            self._names = [self._names[i] for i in keep]
            self._keys = [self._keys[i] for i in keep]
            self._values = [self._values[i] for i in keep]
        return removed

    def remove_first(self, name: str) -> str | None:
        """Remove the first value of a name (the top Via, when a response goes upstream).

        For a list header holding several values on one line, only the first element
        is taken out of that line.
        """
        key = canonical_name(name)
        try:
            i = self._keys.index(key)
        except ValueError:
            return None
        self._cache.clear()
        value = self._values[i]
        if key in LIST_HEADERS and "," in value:
            parts = split_list(value)
            if len(parts) > 1:
                self._values[i] = ", ".join(parts[1:])
                return parts[0]
        del self._names[i], self._keys[i], self._values[i]
        return value

    def serialize(self, content_length: int | None) -> str:
        """Header lines; Content-Length set to `content_length` unless it is None."""
        out: list[str] = []
        seen_length = content_length is None
        for name, key, value in zip(self._names, self._keys, self._values, strict=True):
            if key == "content-length":
                if seen_length:
                    continue
                value = str(content_length)
                seen_length = True
            out.append(f"{name}: {value}\r\n")
        if not seen_length:
            out.append(f"Content-Length: {content_length}\r\n")
        return "".join(out)


def _one(headers: Headers, name: str) -> str:
    value = headers.get(name)
    if value is None:
        raise ProtocolError(f"missing {name} header")
    return value


class _Typed:
    """Typed accessors shared by requests and responses.

    Each looks in the header cache first (the parser fills it with what it validated),
    so reading a field of a parsed message costs one dict lookup.
    """

    headers: Headers
    body: bytes

    @property
    def vias(self) -> list[Via]:
        h = self.headers
        try:
            return h._cache["via"]  # type: ignore[return-value]
        except KeyError:
            return h.cached("via", lambda: [parse_via(v) for v in h.get_all("via")])

    @property
    def top_via(self) -> Via:
        try:
            return self.headers._cache["via"][0]  # type: ignore[index]
        except (KeyError, IndexError):
            pass
        vias = self.vias
        if not vias:
            raise ProtocolError("missing Via header")
        return vias[0]

    @property
    def call_id(self) -> str:
        h = self.headers
        try:
            return h._cache["call-id"]  # type: ignore[return-value]
        except KeyError:
            return _one(h, "call-id")

    @property
    def cseq(self) -> CSeq:
        h = self.headers
        try:
            return h._cache["cseq"]  # type: ignore[return-value]
        except KeyError:
            return h.cached("cseq", lambda: parse_cseq(_one(h, "cseq")))

    @property
    def from_(self) -> NameAddr:
        h = self.headers
        try:
            return h._cache["from"]  # type: ignore[return-value]
        except KeyError:
            return h.cached("from", lambda: parse_name_addr(_one(h, "from")))

    @property
    def to(self) -> NameAddr:
        h = self.headers
        try:
            return h._cache["to"]  # type: ignore[return-value]
        except KeyError:
            return h.cached("to", lambda: parse_name_addr(_one(h, "to")))

    @property
    def contact_is_wildcard(self) -> bool:
        return [v.strip() for v in self.headers.get_all("contact")] == ["*"]

    @property
    def contacts(self) -> list[NameAddr]:
        """Contact addresses in order; empty for none and for the `*` wildcard."""
        h = self.headers

        def parse() -> list[NameAddr]:
            values = h.get_all("contact")
            if any(v.strip() == "*" for v in values):
                if len(values) > 1:
                    raise ProtocolError("Contact * mixed with addresses")
                return []
            return [parse_name_addr(v) for v in values]

        return h.cached("contact", parse)

    @property
    def record_routes(self) -> list[NameAddr]:
        h = self.headers
        return h.cached("record-route",
                        lambda: [parse_name_addr(v) for v in h.get_all("record-route")])

    @property
    def routes(self) -> list[NameAddr]:
        h = self.headers
        return h.cached("route", lambda: [parse_name_addr(v) for v in h.get_all("route")])

    @property
    def max_forwards(self) -> int | None:
        return _int_header(self.headers, "max-forwards", 255)

    @property
    def expires(self) -> int | None:
        return _int_header(self.headers, "expires", 2**32 - 1)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


def _int_header(headers: Headers, name: str, limit: int) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    return int_value(value, name, limit)


def int_value(value: str, name: str, limit: int) -> int:
    """A header value that must be a decimal number no larger than `limit`."""
    value = value.strip()
    if not value.isascii() or not value.isdigit() or int(value) > limit:
        raise ProtocolError(f"bad {name} value {value!r}")
    return int(value)


@dataclass(eq=True)
class Request(_Typed):
    method: str
    uri: SipURI | AbsoluteURI
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def start_line(self) -> str:
        return f"{self.method} {self.uri} SIP/2.0"

    def __bytes__(self) -> bytes:
        head = self.start_line() + "\r\n" + self.headers.serialize(len(self.body)) + "\r\n"
        return head.encode("utf-8", "surrogateescape") + self.body


@dataclass(eq=True)
class Response(_Typed):
    status: int
    reason: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def start_line(self) -> str:
        return f"SIP/2.0 {self.status} {self.reason}"

    def __bytes__(self) -> bytes:
        head = self.start_line() + "\r\n" + self.headers.serialize(len(self.body)) + "\r\n"
        return head.encode("utf-8", "surrogateescape") + self.body


Message = Request | Response


def make_response(request: Request, status: int, reason: str | None = None, *,
                  to_tag: str | None = None,
                  headers: Iterable[tuple[str, str]] = ()) -> Response:
    """A response to `request` built as RFC 3261 §8.2.6.2 says.

    Via (all, in order), From, Call-ID and CSeq are copied verbatim; To too, with
    `to_tag` appended when the request's To has no tag. A 100 copies Timestamp
    (§8.2.6.1); 101-299 copy Record-Route, as a dialog-creating answer must (§12.1.1).
    """
    if not 100 <= status <= 699:
        raise ValueError(f"status {status} out of range")
    src = request.headers
    out = Headers()
    for name, value in src.items():
        key = canonical_name(name)
        if key == "via" or key == "from" or key == "call-id" or key == "cseq" \
                or (key == "record-route" and 101 <= status <= 299) \
                or (key == "timestamp" and status == 100):
            out.add(name, value)
        elif key == "to":
            if to_tag is not None and request.to.tag is None:
                value = f"{value};tag={to_tag}"
            out.add(name, value)
    for name, value in headers:
        out.add(name, value)
    return Response(status, reason if reason is not None else reason_phrase(status), out)
