"""The RFC 3261 grammar pieces shared by URIs, header values and the message parser.

Everything here is a pure function over `str`; section numbers refer to RFC 3261 §25.1
unless stated otherwise.
"""

from __future__ import annotations

import re

from softswitch.errors import ProtocolError

#: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~"
)
TOKEN_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")

#: compact header forms (RFC 3261 §7.3.3 and the RFCs that added more), to long names
COMPACT_FORMS: dict[str, str] = {
    "i": "call-id",
    "m": "contact",
    "e": "content-encoding",
    "l": "content-length",
    "c": "content-type",
    "f": "from",
    "s": "subject",
    "k": "supported",
    "t": "to",
    "v": "via",
    "o": "event",  # RFC 6665
    "r": "refer-to",  # RFC 3515
    "b": "referred-by",  # RFC 3892
    "u": "allow-events",  # RFC 6665
    "x": "session-expires",  # RFC 4028
    "a": "accept-contact",  # RFC 3841
    "j": "reject-contact",  # RFC 3841
    "d": "request-disposition",  # RFC 3841
    "y": "identity",  # RFC 4474
    "n": "identity-info",  # RFC 4474
}

#: headers whose grammar is `#element` (a comma-separated list), so several values may
#: share one line. Everything else (Date, auth headers, unknown headers) is never split.
LIST_HEADERS = frozenset({
    "via", "contact", "route", "record-route", "path", "service-route",
    "allow", "supported", "require", "proxy-require", "unsupported",
    "accept", "accept-encoding", "accept-language", "content-encoding", "content-language",
    "alert-info", "call-info", "error-info", "in-reply-to", "allow-events", "warning",
    "accept-contact", "reject-contact", "request-disposition",
    "p-asserted-identity", "p-preferred-identity", "privacy", "reason",
    "security-client", "security-server", "security-verify",
})

#: header names as usually written (RFC 3261 §20 and the common extensions)
_COMMON_NAMES = (
    "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Alert-Info",
    "Allow", "Allow-Events", "Authentication-Info", "Authorization", "Call-ID", "Call-Info",
    "Contact", "Content-Disposition", "Content-Encoding", "Content-Language",
    "Content-Length", "Content-Type", "CSeq", "Date", "Error-Info", "Event", "Expires",
    "From", "Identity", "Identity-Info", "In-Reply-To", "Max-Forwards", "Min-Expires",
    "Min-SE", "MIME-Version", "Organization", "P-Asserted-Identity", "P-Preferred-Identity",
    "Path", "Priority", "Privacy", "Proxy-Authenticate", "Proxy-Authorization",
    "Proxy-Require", "RAck", "Reason", "Record-Route", "Refer-To", "Referred-By",
    "Reject-Contact", "Replaces", "Reply-To", "Request-Disposition", "Require",
    "Retry-After", "Route", "RSeq", "Security-Client", "Security-Server", "Security-Verify",
    "Server", "Service-Route", "Session-Expires", "SIP-ETag", "SIP-If-Match", "Subject",
    "Subscription-State", "Supported", "Timestamp", "To", "Unsupported", "User-Agent",
    "Via", "Warning", "WWW-Authenticate",
)


def _spellings() -> dict[str, str]:
    """Name as written -> lookup key, for the spellings peers use, compact forms too."""
    table: dict[str, str] = {}
    for name in _COMMON_NAMES:
        key = name.lower()
        title = "-".join(part.capitalize() for part in name.split("-"))
        for spelling in (name, key, name.upper(), title):
            table[spelling] = key
    for short, key in COMPACT_FORMS.items():
        table[short] = table[short.upper()] = key
    return table


#: read-only: the lookup of a well-known spelling costs one dict probe
KNOWN_NAMES: dict[str, str] = _spellings()


def canonical_name(name: str) -> str:
    """The lookup key of a header name: lower case, compact form expanded."""
    key = KNOWN_NAMES.get(name)
    if key is None:
        key = name.lower()
        key = COMPACT_FORMS.get(key, key)
    return key


def is_token(text: str) -> bool:
    return TOKEN_RE.fullmatch(text) is not None


def split_list(value: str) -> list[str]:
    """Split a `#element` header value at top-level commas.

    Commas inside quoted strings (with backslash escapes) and inside <...> do not split.
    Empty elements (",," or a trailing comma) are dropped, as RFC 3261 §7.3.1 allows.
    """
    if '"' not in value and "<" not in value:
        return [part.strip() for part in value.split(",") if part.strip()]
    parts: list[str] = []
    start = 0
    in_quotes = False
    in_angle = False
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if in_quotes:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_quotes = False
        elif ch == '"':
            in_quotes = True
        elif ch == "<":
            in_angle = True
        elif ch == ">":
            in_angle = False
        elif ch == "," and not in_angle:
            part = value[start:i].strip()
            if part:
                parts.append(part)
            start = i + 1
        i += 1
    if in_quotes:
        raise ProtocolError("unterminated quoted string in header value")
    part = value[start:].strip()
    if part:
        parts.append(part)
    return parts


def split_outside_quotes(text: str, sep: str) -> list[str]:
    """Split at `sep` except inside quoted strings (used for ;params)."""
    if '"' not in text:
        return text.split(sep)
    parts: list[str] = []
    start = 0
    in_quotes = False
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if in_quotes:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_quotes = False
        elif ch == '"':
            in_quotes = True
        elif ch == sep:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    if in_quotes:
        raise ProtocolError("unterminated quoted string")
    parts.append(text[start:])
    return parts


def unquote(text: str) -> str:
    """The content of a quoted-string (§25.1 quoted-pair), or `text` if it is not quoted."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        inner = text[1:-1]
        if "\\" not in inner:
            return inner
        out: list[str] = []
        i = 0
        while i < len(inner):
            ch = inner[i]
            if ch == "\\" and i + 1 < len(inner):
                i += 1
                ch = inner[i]
            out.append(ch)
            i += 1
        return "".join(out)
    return text


def quote(text: str) -> str:
    """A quoted-string holding `text`."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_params(text: str, *, what: str = "header") -> dict[str, str | None]:
    """Parse `;name=value;flag` (the leading ';' optional) into an ordered dict.

    Names are case-insensitive and stored in lower case; values are kept as written
    (quoted strings keep their quotes, so serializing gives the same text back).
    """
    params: dict[str, str | None] = {}
    if not text:
        return params
    if text[0] == ";":
        text = text[1:]
    for raw in split_outside_quotes(text, ";"):
        item = raw.strip()
        if not item:
            raise ProtocolError(f"empty parameter in {what}")
        eq = item.find("=")
        if eq < 0:
            name, value = item, None
        else:
            name = item[:eq].rstrip()
            value = item[eq + 1 :].lstrip()
            if not value:
                raise ProtocolError(f"parameter {name!r} in {what} has an empty value")
            if value[0] == '"':
                if len(value) < 2 or value[-1] != '"':
                    raise ProtocolError(f"bad quoted value for {name!r} in {what}")
            elif not _PARAM_VALUE_RE.fullmatch(value):
                raise ProtocolError(f"bad value for parameter {name!r} in {what}")
        if not TOKEN_RE.fullmatch(name):
            raise ProtocolError(f"bad parameter name {name!r} in {what}")
        params[name.lower()] = value
    return params


#: gen-value = token / host / quoted-string; host brings ':' '[' ']' for IPv6
_PARAM_VALUE_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~:\[\]]+")


def format_params(params: dict[str, str | None]) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


#: Reason phrases of RFC 3261 §21 and later RFCs, for responses we generate.
REASON_PHRASES: dict[int, str] = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 199: "Early Dialog Terminated",
    200: "OK", 202: "Accepted", 204: "No Notification",
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily",
    305: "Use Proxy", 380: "Alternative Service",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    407: "Proxy Authentication Required", 408: "Request Timeout", 410: "Gone",
    412: "Conditional Request Failed", 413: "Request Entity Too Large",
    414: "Request-URI Too Long", 415: "Unsupported Media Type",
    416: "Unsupported URI Scheme", 417: "Unknown Resource-Priority", 420: "Bad Extension",
    421: "Extension Required", 422: "Session Interval Too Small", 423: "Interval Too Brief",
    428: "Use Identity Header", 429: "Provide Referrer Identity", 433: "Anonymity Disallowed",
    436: "Bad Identity-Info", 437: "Unsupported Certificate", 438: "Invalid Identity Header",
    439: "First Hop Lacks Outbound Support", 440: "Max-Breadth Exceeded",
    469: "Bad Info Package", 470: "Consent Needed",
    480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
    482: "Loop Detected", 483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous",
    486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
    489: "Bad Event", 491: "Request Pending", 493: "Undecipherable",
    494: "Security Agreement Required",
    500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
    513: "Message Too Large", 555: "Push Notification Service Not Supported",
    580: "Precondition Failure",
    600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere",
    606: "Not Acceptable", 607: "Unwanted", 608: "Rejected",
}


def reason_phrase(status: int) -> str:
    """The standard phrase for `status`, or the generic one of its class."""
    phrase = REASON_PHRASES.get(status)
    if phrase is not None:
        return phrase
    return {1: "Trying", 2: "OK", 3: "Redirect", 4: "Client Error", 5: "Server Error",
            6: "Global Failure"}.get(status // 100, "Unknown")
