"""Digest authentication for SIP (RFC 3261 §22, RFC 7616, RFC 8760), both sides.

The server side is stateless about nonces: a nonce carries its issue time and an HMAC
of it under a per-process key, so any nonce we issued can be checked without keeping it,
and a restart (new key) retires all outstanding nonces at once. Only nonce-counts are
remembered, in a bounded table, to refuse replays.

Unknown users and wrong passwords are indistinguishable from outside: both get the same
fresh challenge, after the same amount of hashing. Passwords and HA1 values never appear
in a repr, a str or a result.

Clients that send no qop (RFC 2069 style) are accepted for MD5 only, because pyVoIP and
some older desk phones answer that way; such a nonce is good for one request only, which
is how those clients use it anyway (they send every request unauthenticated first) and
which keeps replays out without a nonce-count.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from softswitch.errors import ProtocolError
from softswitch.sip.message import Request, Response, make_response

#: digest algorithms by their RFC 7616 names; "-sess" variants are understood too
HASHES: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
}
DEFAULT_ALGORITHMS: tuple[str, ...] = ("SHA-256", "MD5")

_TOKEN_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~"
)
_WS = " \t\r\n"
_MAX_HEADER = 4096


# --------------------------------------------------------------------------- grammar


def parse_auth_params(value: str) -> tuple[str, dict[str, str]]:
    """Split `Digest a=b, c="d"` into the scheme and its parameters (names lower-cased).

    Quoted values are unquoted (backslash escapes resolved). Anything that is not the
    RFC 3261 §25.1 challenge/credentials grammar raises ProtocolError(400).
    """
    if len(value) > _MAX_HEADER:
        raise ProtocolError("authentication header too long")
    text = value.strip(_WS)
    n = len(text)
    i = 0
    while i < n and text[i] in _TOKEN_CHARS:
        i += 1
    scheme = text[:i]
    if not scheme:
        raise ProtocolError("authentication header without a scheme")
    params: dict[str, str] = {}
    if i < n and text[i] not in _WS:
        raise ProtocolError("malformed authentication scheme")
    while True:
        i = _skip_ws(text, i)
        if i >= n:
            break
        start = i
        while i < n and text[i] in _TOKEN_CHARS:
            i += 1
        name = text[start:i].lower()
        if not name:
            raise ProtocolError("malformed authentication parameter name")
        i = _skip_ws(text, i)
        if i >= n or text[i] != "=":
            raise ProtocolError(f"authentication parameter {name!r} without a value")
        i = _skip_ws(text, i + 1)
        if i < n and text[i] == '"':
            val, i = _quoted(text, i)
        else:
            start = i
            while i < n and text[i] in _TOKEN_CHARS:
                i += 1
            val = text[start:i]
            if not val:
                raise ProtocolError(f"authentication parameter {name!r} has an empty value")
        if name in params:
            raise ProtocolError(f"authentication parameter {name!r} repeated")
        params[name] = val
        i = _skip_ws(text, i)
        if i >= n:
            break
        if text[i] != ",":
            raise ProtocolError("authentication parameters must be separated by commas")
        i += 1
    return scheme, params


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _quoted(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    i += 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            if i + 1 >= n:
                break
            out.append(text[i + 1])
            i += 2
        elif ch == '"':
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise ProtocolError("unterminated quoted string in authentication header")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------- the math


def _hex(algorithm: str, text: str) -> str:
    return HASHES[algorithm.removesuffix("-sess").upper()](text.encode("utf-8")).hexdigest()


def digest_response(*, algorithm: str, username: str, realm: str, password: str,
                    method: str, uri: str, nonce: str, qop: str | None = None,
                    nc: str | None = None, cnonce: str | None = None) -> str:
    """The `response` value of RFC 7616 §3.4.1 (and RFC 2069 when `qop` is None)."""
    base = algorithm.removesuffix("-sess").upper()
    if base not in HASHES:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    ha1 = _hex(base, f"{username}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = _hex(base, f"{ha1}:{nonce}:{cnonce or ''}")
    ha2 = _hex(base, f"{method}:{uri}")
    if qop is None:
        return _hex(base, f"{ha1}:{nonce}:{ha2}")
    return _hex(base, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


# --------------------------------------------------------------------------- client side


def answer_challenge(challenge_header_value: str, method: str, uri: str, username: str,
                     password: str, cnonce: str, nc: int) -> str:
    """The Authorization (or Proxy-Authorization) value answering one challenge.

    Uses qop=auth when the challenge offers it, RFC 2069 style otherwise. Used by trunks
    registering to a carrier, and by the tests.
    """
    scheme, params = parse_auth_params(challenge_header_value)
    if scheme.lower() != "digest":
        raise ProtocolError(f"cannot answer a {scheme} challenge")
    realm = params.get("realm")
    nonce = params.get("nonce")
    if realm is None or nonce is None:
        raise ProtocolError("digest challenge without realm or nonce")
    algorithm = params.get("algorithm", "MD5")
    if algorithm.removesuffix("-sess").upper() not in HASHES:
        raise ProtocolError(f"unsupported digest algorithm {algorithm!r}")
    offered_qops = {q.strip().lower() for q in params.get("qop", "").split(",") if q.strip()}
    if offered_qops and "auth" not in offered_qops:
        raise ProtocolError("digest challenge offers no qop this client supports")
    qop = "auth" if offered_qops else None
    nc_text = f"{nc:08x}" if qop else None
    response = digest_response(algorithm=algorithm, username=username, realm=realm,
                               password=password, method=method, uri=uri, nonce=nonce,
                               qop=qop, nc=nc_text, cnonce=cnonce if qop else None)
    parts = [f"username={_quote(username)}", f"realm={_quote(realm)}",
             f"nonce={_quote(nonce)}", f"uri={_quote(uri)}", f"response={_quote(response)}",
             f"algorithm={algorithm}"]
    if qop:
        parts += [f"qop={qop}", f"nc={nc_text}", f"cnonce={_quote(cnonce)}"]
    if "opaque" in params:
        parts.append(f"opaque={_quote(params['opaque'])}")
    return "Digest " + ", ".join(parts)


def choose_challenge(header_values: Iterable[str]) -> str:
    """The strongest Digest challenge among several (SHA-256 over MD5), for clients."""
    best: tuple[int, str] | None = None
    rank = {"SHA-256": 2, "SHA-256-SESS": 2, "MD5": 1, "MD5-SESS": 1}
    for value in header_values:
        try:
            scheme, params = parse_auth_params(value)
        except ProtocolError:
            continue
        if scheme.lower() != "digest":
            continue
        score = rank.get(params.get("algorithm", "MD5").upper(), 0)
        if score and (best is None or score > best[0]):
            best = (score, value)
    if best is None:
        raise ProtocolError("no digest challenge this client can answer")
    return best[1]


# --------------------------------------------------------------------------- server side


class AuthOutcome(enum.Enum):
    """Why a request passed or failed authentication, for logs and metrics."""

    OK = "ok"
    MISSING = "missing"  # no credentials (for our realm): the normal first request
    WRONG_REALM = "wrong realm"  # credentials only for some other realm
    STALE = "stale"  # right password, nonce too old or nonce reused: re-challenge, stale=true
    WRONG = "wrong"  # wrong password, wrong uri, forged nonce: re-challenge
    UNKNOWN_USER = "unknown user"  # looks exactly like WRONG from outside
    MALFORMED = "malformed"  # unparseable or incomplete credentials
    REPLAY = "replay"  # a nonce-count not above the last one seen for that nonce


#: outcomes that count against a source in the auth-failure throttle
FAILURES = frozenset({AuthOutcome.WRONG, AuthOutcome.UNKNOWN_USER, AuthOutcome.MALFORMED,
                      AuthOutcome.REPLAY})


@dataclass(frozen=True)
class AuthResult:
    """The verdict on one request; when not ok, `challenges` are the header values to send."""

    outcome: AuthOutcome
    username: str | None = None  # the claimed username (for logs; proven only when ok)
    algorithm: str | None = None
    detail: str = ""
    challenges: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.outcome is AuthOutcome.OK

    @property
    def is_failure(self) -> bool:
        """Whether this should count as a failed guess (see `softswitch.sip.throttle`)."""
        return self.outcome in FAILURES


@dataclass(frozen=True)
class ChallengeHeaders:
    """Names and status of the two flavours: 401 for a registrar, 407 for a proxy/B2BUA."""

    status: int
    reason: str
    challenge: str
    credentials: str


WWW = ChallengeHeaders(401, "Unauthorized", "WWW-Authenticate", "Authorization")
PROXY = ChallengeHeaders(407, "Proxy Authentication Required", "Proxy-Authenticate",
                         "Proxy-Authorization")

_NONCE_BYTES = 8 + 8 + 16  # issue time (ms, signed), random, truncated HMAC-SHA-256


@dataclass(eq=False)
class DigestAuthenticator:
    """Challenges and checks digest credentials for one realm.

    `key` is a per-process random secret (e.g. os.urandom(32)); `password_for(username)`
    returns the user's password or None. Time is always an argument.
    """

    realm: str
    key: bytes = field(repr=False)
    password_for: Callable[[str], str | None] = field(repr=False)
    nonce_lifetime: float = 300.0
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    allow_no_qop_md5: bool = True
    max_tracked_nonces: int = 10_000
    #: highest nonce-count seen per nonce, oldest first use first; bounded
    _seen: OrderedDict[str, int] = field(default_factory=OrderedDict, init=False, repr=False)
    #: every nonce issued at or before this time (ms) and not in `_seen` may have been
    #: evicted from `_seen`, so it is treated as stale rather than trusted as fresh
    _floor_ms: int | None = field(default=None, init=False, repr=False)
    _opaque: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.key) < 16:
            raise ValueError("the nonce key must be at least 16 random bytes")
        for alg in self.algorithms:
            if alg not in HASHES:
                raise ValueError(f"unsupported digest algorithm {alg!r}")
        if not self.algorithms:
            raise ValueError("at least one digest algorithm is needed")
        self._opaque = hmac.new(self.key, b"opaque:" + self.realm.encode(),
                                hashlib.sha256).hexdigest()[:32]

    # ----------------------------------------------------------------- nonces

    def make_nonce(self, now: float) -> str:
        issued = struct.pack(">q", int(now * 1000)) + os.urandom(8)
        mac = hmac.new(self.key, issued + self.realm.encode(), hashlib.sha256).digest()[:16]
        return (issued + mac).hex()

    def _nonce_issued_ms(self, nonce: str) -> int | None:
        """The issue time of a nonce we made, or None for anything else."""
        if len(nonce) != 2 * _NONCE_BYTES:
            return None
        try:
            raw = bytes.fromhex(nonce)
        except ValueError:
            return None
        issued, mac = raw[:16], raw[16:]
        good = hmac.new(self.key, issued + self.realm.encode(), hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(mac, good):
            return None
        return int(struct.unpack(">q", issued[:8])[0])

    # ----------------------------------------------------------------- challenges

    def challenges(self, now: float, *, stale: bool = False) -> tuple[str, ...]:
        """One header value per algorithm, strongest first, sharing one nonce."""
        nonce = self.make_nonce(now)
        tail = f', qop="auth", opaque="{self._opaque}"' + (", stale=true" if stale else "")
        return tuple(
            f'Digest realm={_quote(self.realm)}, nonce="{nonce}", algorithm={alg}{tail}'
            for alg in self.algorithms
        )

    # ----------------------------------------------------------------- messages

    def check_request(self, request: Request, now: float,
                      flavour: ChallengeHeaders = WWW) -> AuthResult:
        """Check the credentials header of `flavour` (Authorization by default)."""
        return self.check(request.method, request.headers.get_all(flavour.credentials), now)

    def challenge_response(self, request: Request, result: AuthResult,
                           flavour: ChallengeHeaders = WWW,
                           to_tag: str | None = None) -> Response:
        """The 401 (or 407) carrying `result.challenges`, one header per algorithm.

        Use WWW (401) for REGISTER. For INVITE a proxy would use PROXY (407), but pyVoIP
        only answers a 401 to its INVITE, so a B2BUA serving such phones uses WWW there too.
        """
        if result.ok:
            raise ValueError("an accepted request needs no challenge")
        return make_response(request, flavour.status, flavour.reason, to_tag=to_tag,
                             headers=[(flavour.challenge, c) for c in result.challenges])

    # ----------------------------------------------------------------- checking

    def check(self, method: str, credentials: Iterable[str], now: float) -> AuthResult:
        """Check the Authorization (or Proxy-Authorization) values a request carried."""
        chosen: dict[str, str] | None = None
        foreign = False
        for value in credentials:
            words = value.split(None, 1)
            if not words or words[0].lower() != "digest":
                continue  # another scheme (Basic, Bearer, ...) is not ours to judge
            try:
                _, params = parse_auth_params(value)
            except ProtocolError as exc:
                return self._fail(AuthOutcome.MALFORMED, now, detail=str(exc))
            if params.get("realm") != self.realm:
                foreign = True
                continue
            chosen = params
            break
        if chosen is None:
            outcome = AuthOutcome.WRONG_REALM if foreign else AuthOutcome.MISSING
            return self._fail(outcome, now)
        return self._check_params(method, chosen, now)

    def _check_params(self, method: str, p: dict[str, str], now: float) -> AuthResult:
        username = p.get("username")
        missing = [k for k in ("username", "nonce", "uri", "response") if k not in p]
        if missing:
            return self._fail(AuthOutcome.MALFORMED, now, username,
                              detail="missing " + ", ".join(missing))
        assert username is not None
        algorithm = p.get("algorithm", "MD5")
        if algorithm not in self.algorithms:
            return self._fail(AuthOutcome.MALFORMED, now, username, algorithm,
                              detail=f"algorithm {algorithm!r} was not offered")
        qop = p.get("qop")
        nc_value: int | None = None
        if qop is None:
            if not (self.allow_no_qop_md5 and algorithm == "MD5"):
                return self._fail(AuthOutcome.MALFORMED, now, username, algorithm,
                                  detail="qop is required")
        else:
            if qop.lower() != "auth":
                return self._fail(AuthOutcome.MALFORMED, now, username, algorithm,
                                  detail=f"qop {qop!r} was not offered")
            nc_text = p.get("nc", "")
            if "cnonce" not in p or len(nc_text) != 8:
                return self._fail(AuthOutcome.MALFORMED, now, username, algorithm,
                                  detail="qop=auth needs nc (8 hex digits) and cnonce")
            try:
                nc_value = int(nc_text, 16)
            except ValueError:
                return self._fail(AuthOutcome.MALFORMED, now, username, algorithm,
                                  detail="nc is not hexadecimal")
        if "opaque" in p and not hmac.compare_digest(p["opaque"].encode(),
                                                      self._opaque.encode()):
            return self._fail(AuthOutcome.WRONG, now, username, algorithm,
                              detail="opaque does not match")
        nonce = p["nonce"]
        issued_ms = self._nonce_issued_ms(nonce)
        password = self.password_for(username)
        # Hash the same amount for unknown users, so timing does not tell them apart.
        expected = digest_response(
            algorithm=algorithm, username=username, realm=self.realm,
            password=password if password is not None else self._opaque,
            method=method, uri=p["uri"], nonce=nonce, qop=qop, nc=p.get("nc"),
            cnonce=p.get("cnonce"))
        matches = hmac.compare_digest(expected.encode(), p["response"].lower().encode())
        if password is None:
            return self._fail(AuthOutcome.UNKNOWN_USER, now, username, algorithm)
        if not matches:
            return self._fail(AuthOutcome.WRONG, now, username, algorithm,
                              detail="digest does not match")
        if issued_ms is None:
            return self._fail(AuthOutcome.WRONG, now, username, algorithm,
                              detail="nonce was not issued here")
        age = now - issued_ms / 1000.0
        if age > self.nonce_lifetime or age < -1.0:
            return self._fail(AuthOutcome.STALE, now, username, algorithm, stale=True,
                              detail=f"nonce is {age:.0f} s old")
        if not self._advance_nc(nonce, issued_ms, nc_value):
            outcome = AuthOutcome.REPLAY if nc_value is not None else AuthOutcome.STALE
            return self._fail(outcome, now, username, algorithm, stale=True,
                              detail="nonce-count not above the last one seen"
                              if nc_value is not None else "one-time nonce reused")
        return AuthResult(AuthOutcome.OK, username, algorithm)

    def _advance_nc(self, nonce: str, issued_ms: int, nc: int | None) -> bool:
        """Record a use of `nonce`; False when it repeats (or might repeat) an earlier one."""
        count = 0x1_0000_0000 if nc is None else nc  # no qop: single use
        last = self._seen.get(nonce)
        if last is None:
            if self._floor_ms is not None and issued_ms <= self._floor_ms:
                return False
            if count == 0:
                return False
        elif count <= last or nc is None:
            return False
        self._seen[nonce] = count
        while len(self._seen) > self.max_tracked_nonces:
            old, _ = self._seen.popitem(last=False)
            old_ms = self._nonce_issued_ms(old)
            if old_ms is not None and (self._floor_ms is None or old_ms > self._floor_ms):
                self._floor_ms = old_ms
        return True

    def _fail(self, outcome: AuthOutcome, now: float, username: str | None = None,
              algorithm: str | None = None, *, stale: bool = False,
              detail: str = "") -> AuthResult:
        return AuthResult(outcome, username, algorithm, detail or outcome.value,
                          self.challenges(now, stale=stale))
