"""`[[trunks]]`: connections to a carrier. Each trunk says where the carrier is, how we
prove who we are to it (its credentials, secret), whether we register, which source
addresses its inbound calls come from, which dialled numbers go out through it and who
may dial them.

Outbound patterns come in two spellings: the dial-plan style `"9|NXXXXXX."` (`X` any
digit, `N` 2-9, `Z` 1-9, `.` one or more further digits, `!` zero or more; the part
before `|` is matched and then stripped) and a regular expression starting with `^`
(matched against the whole number, nothing stripped unless the trunk's `strip` says so).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from softswitch.config.schema import (
    ANY,
    BOOLEAN,
    INTEGER,
    STRING,
    STRING_LIST,
    Problem,
    setting,
)
from softswitch.config.values import at_least, domain_name, non_empty, one_line

if TYPE_CHECKING:
    from softswitch.config.model import Config

_USER = re.compile(r"^[A-Za-z0-9+._~!$&'()*,;=-]{1,64}$")
_CALLER_ID_NUMBER = re.compile(r"^\+?[0-9]{1,32}$")
#: caller-ID rules that are words; anything else must be a number presented as it is
CALLER_ID_RULES = ("did", "extension")
_DIAL_CLASSES = {"X": "[0-9]", "N": "[2-9]", "Z": "[1-9]"}


@dataclass(frozen=True)
class DialPattern:
    """One compiled outbound pattern: `regex` matches the whole number; `strip` digits
    are removed from its front before it goes to the carrier."""

    text: str
    regex: str
    strip: int

    def match(self, number: str) -> bool:
        return re.fullmatch(self.regex, number) is not None


def _dial_style(text: str) -> DialPattern:
    head, bar, tail = text.partition("|")
    if not bar:
        head, tail = "", text
    parts: list[str] = []
    for char in head + tail:
        if char in _DIAL_CLASSES:
            parts.append(_DIAL_CLASSES[char])
        elif char.isdigit() or char in "*#+":
            parts.append(re.escape(char))
        elif char == ".":
            parts.append("[0-9*#]+")
        elif char == "!":
            parts.append("[0-9*#]*")
        else:
            raise ValueError(f"{char!r} has no meaning in a dial pattern (digits, X, N, Z, "
                             f"'.', '!', one '|'; or a regular expression starting with '^')")
    if not parts:
        raise ValueError("an empty pattern matches nothing")
    return DialPattern(text, "".join(parts), len(head))


def dial_pattern(text: str) -> DialPattern:
    if text.startswith("^"):
        try:
            re.compile(text)
        except re.error as error:
            raise ValueError(f"{text!r} is not a regular expression: {error}") from None
        return DialPattern(text, text, 0)
    return _dial_style(text)


def dial_patterns(values: list[str]) -> tuple[DialPattern, ...]:
    out: list[DialPattern] = []
    problems: list[str] = []
    for index, text in enumerate(values):
        try:
            out.append(dial_pattern(text))
        except ValueError as error:
            problems.append(f"[{index}]: {error}")
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(out)


def host_name(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return domain_name(value)


def split_source(value: str) -> tuple[str, int | None]:
    """`host`, `host:port` or `[v6]:port` -> (host, port or None for any port)."""
    if value.startswith("["):
        inside, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{value!r} is not an address ([IPv6]:port)")
        host, port_text = inside, rest[1:] if rest else None
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
    else:
        host, port_text = value, None
    if port_text is None:
        return host_name(host), None
    if not port_text.isdigit():
        raise ValueError(f"{value!r}: {port_text!r} is not a port")
    return host_name(host), port_number(int(port_text))


def source_name(value: str) -> str:
    """A source address as written back: `host`, `host:port` or `[v6]:port`."""
    host, port = split_source(value)
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def source_list(values: list[str]) -> tuple[str, ...]:
    problems = []
    out = []
    for index, value in enumerate(values):
        try:
            out.append(source_name(value))
        except ValueError as error:
            problems.append(f"[{index}]: {error}")
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(out)


def sip_user(value: str) -> str:
    if not _USER.match(value):
        raise ValueError(f"{value!r} is not a SIP user name")
    return value


def port_number(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError(f"must be a port between 1 and 65535, got {value}")
    return value


def transport_name(value: str) -> str:
    if value.lower() not in ("udp", "tcp"):
        raise ValueError(f"{value!r} is not a transport (udp or tcp)")
    return value.lower()


def caller_id_rule(value: str) -> str:
    if value in CALLER_ID_RULES or _CALLER_ID_NUMBER.match(value):
        return value
    raise ValueError(f"{value!r} is neither a rule ({', '.join(CALLER_ID_RULES)}) nor a "
                     f"number to present")


def user_list(value: Any) -> tuple[str, ...]:
    """`"*"` (everyone) or a list of extensions; a missing key means nobody."""
    if value == "*":
        return ("*",)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError('must be "*" or a list of extensions, e.g. ["1001", "1002"]')


@dataclass(frozen=True, kw_only=True)
class TrunkConfig:
    name: str = setting(kind=STRING, convert=one_line)
    host: str = setting(kind=STRING, convert=host_name)
    port: int = setting(5060, kind=INTEGER, convert=port_number)
    transport: str = setting("udp", kind=STRING, convert=transport_name)
    username: str | None = setting(None, kind=STRING, convert=sip_user)
    password: str | None = setting(None, kind=STRING, convert=non_empty, secret=True)
    register: bool = setting(False, kind=BOOLEAN)
    expires: int = setting(3600, kind=INTEGER, convert=at_least(10))
    from_user: str | None = setting(None, kind=STRING, convert=sip_user)
    from_domain: str | None = setting(None, kind=STRING, convert=host_name)
    #: "did" (the number of the calling user's [[dids]] entry), "extension", or a number
    caller_id: str = setting("did", kind=STRING, convert=caller_id_rule)
    #: where inbound calls may come from (`host`, or `host:port` when the carrier shares
    #: its address with phones); empty means the trunk's host, any port
    allowed_sources: tuple[str, ...] = setting((), kind=STRING_LIST, convert=source_list)
    patterns: tuple[DialPattern, ...] = setting((), kind=STRING_LIST, convert=dial_patterns)
    #: digits removed from the front of a number matched by a `^` pattern, and a prefix
    strip: int = setting(0, kind=INTEGER, convert=at_least(0))
    prefix: str = setting("", kind=STRING)
    allowed_users: tuple[str, ...] = setting((), kind=ANY, convert=user_list)

    @property
    def sources(self) -> tuple[str, ...]:
        return self.allowed_sources or (self.host,)

    @property
    def user(self) -> str | None:
        """The user part we present: `from_user`, else the account name."""
        return self.from_user or self.username

    @property
    def domain(self) -> str:
        return self.from_domain or self.host

    def allows(self, extension: str) -> bool:
        return "*" in self.allowed_users or extension in self.allowed_users


def trunks_valid(trunks: Sequence[TrunkConfig | None]) -> Iterable[Problem]:
    """Names unique; registering needs credentials; a password needs its user name."""
    seen: dict[str, int] = {}
    for index, trunk in enumerate(trunks):
        if trunk is None:
            continue
        if trunk.name in seen:
            yield Problem((index, "name"), f"duplicate trunk name {trunk.name!r} (already "
                                           f"used by element {seen[trunk.name]})")
        else:
            seen[trunk.name] = index
        if trunk.register and (trunk.username is None or trunk.password is None):
            yield Problem((index, "register"), f"trunk {trunk.name!r} cannot register "
                                               f"without username and password")
        elif trunk.password is not None and trunk.username is None:
            yield Problem((index, "password"), f"trunk {trunk.name!r} has a password but "
                                               f"no username")
        if trunk.prefix and not _CALLER_ID_NUMBER.match(trunk.prefix):
            yield Problem((index, "prefix"), f"{trunk.prefix!r} is not digits")


def trunk_references(config: Config) -> Iterable[Problem]:
    """Allowed users exist; a fixed caller ID or a DID rule has something to present."""
    users = {user.extension for user in config.users}
    for index, trunk in enumerate(getattr(config, "trunks", ())):
        for position, extension in enumerate(trunk.allowed_users):
            if extension != "*" and extension not in users:
                yield Problem(("trunks", index, "allowed_users", position),
                              f'"{extension}" is not a configured user')


__all__ = ["CALLER_ID_RULES", "DialPattern", "TrunkConfig", "dial_pattern", "split_source",
           "trunk_references", "trunks_valid"]
