"""The configuration as frozen dataclasses: one per TOML section, each key declared once
with its kind, default and validator (see `schema`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from softswitch.config.listen import ListenSpec, parse_listen_spec
from softswitch.config.schema import (
    INTEGER,
    NUMBER,
    STRING,
    STRING_LIST,
    Problem,
    redact,
    section,
    setting,
    unique,
)

_DOMAIN = re.compile(r"^[A-Za-z0-9._-]+$")
_DIGITS = re.compile(r"^[0-9]{1,32}$")


def at_least(minimum: float) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        return value
    return convert


def positive_seconds(value: int | float) -> float:
    if value <= 0:
        raise ValueError(f"must be more than 0 seconds, got {value}")
    return float(value)


def seconds(value: int | float) -> float:
    if value < 0:
        raise ValueError(f"must be 0 or more seconds, got {value}")
    return float(value)


def non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def one_line(value: str) -> str:
    """Text that ends up in a SIP header: printable, no line breaks."""
    non_empty(value)
    if not value.isprintable():
        raise ValueError("must be printable text on one line")
    return value


def domain_name(value: str) -> str:
    if not _DOMAIN.match(value):
        raise ValueError(f"{value!r} is not a domain name (letters, digits, '.', '-', '_')")
    return value


def extension_digits(value: str) -> str:
    if not _DIGITS.match(value):
        raise ValueError(f"{value!r} is not an extension (1 to 32 digits)")
    return value


def digest_algorithms(values: list[str]) -> tuple[str, ...]:
    known = {"MD5": "MD5", "SHA-256": "SHA-256"}
    out = []
    for value in values:
        name = known.get(value.upper())
        if name is None:
            raise ValueError(f"unknown digest algorithm {value!r} (MD5 or SHA-256)")
        out.append(name)
    if not out:
        raise ValueError("at least one digest algorithm is needed")
    return tuple(dict.fromkeys(out))


def listen_specs(values: list[str]) -> tuple[ListenSpec, ...]:
    if not values:
        raise ValueError("must list at least one address, e.g. ['udp:0.0.0.0:5060']")
    specs: list[ListenSpec] = []
    problems: list[str] = []
    for index, text in enumerate(values):
        try:
            parsed = parse_listen_spec(text)
        except ValueError as exc:
            problems.append(f"[{index}]: {exc}")
            continue
        for spec in parsed:
            if spec in specs:
                problems.append(f"[{index}]: {spec} is listed twice")
            else:
                specs.append(spec)
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(specs)


DEFAULT_LISTEN = (ListenSpec("udp", "0.0.0.0", 5060), ListenSpec("tcp", "0.0.0.0", 5060))


@dataclass(frozen=True, kw_only=True)
class SipConfig:
    listen: tuple[ListenSpec, ...] = setting(DEFAULT_LISTEN, kind=STRING_LIST,
                                             convert=listen_specs)
    #: the digest realm and the host part of local AORs
    domain: str = setting("softswitch.local", kind=STRING, convert=domain_name)
    user_agent: str = setting("softswitch", kind=STRING, convert=one_line)
    min_expires: int = setting(60, kind=INTEGER, convert=at_least(1))
    max_expires: int = setting(3600, kind=INTEGER, convert=at_least(1))
    default_expires: int = setting(3600, kind=INTEGER, convert=at_least(1))
    max_contacts: int = setting(10, kind=INTEGER, convert=at_least(1))
    nonce_lifetime: float = setting(300.0, kind=NUMBER, convert=positive_seconds)
    #: digest algorithms offered, in order. Many phones and tools (SIPp, SIPVicious, older
    #: desk phones) answer only the first challenge, so MD5 leads by default.
    auth_algorithms: tuple[str, ...] = setting(("MD5", "SHA-256"), kind=STRING_LIST,
                                               convert=digest_algorithms)


def expires_in_order(sip: SipConfig) -> Iterable[Problem]:
    if sip.min_expires > sip.max_expires:
        yield Problem(("min_expires",), f"min_expires ({sip.min_expires}) is more than "
                                        f"max_expires ({sip.max_expires})")
    elif not sip.min_expires <= sip.default_expires <= sip.max_expires:
        yield Problem(("default_expires",),
                      f"must be between min_expires ({sip.min_expires}) and "
                      f"max_expires ({sip.max_expires}), got {sip.default_expires}")


@dataclass(frozen=True, kw_only=True)
class SecurityConfig:
    #: failed digest attempts from one source within `auth_window` before it is blocked
    auth_failures: int = setting(5, kind=INTEGER, convert=at_least(1))
    auth_window: float = setting(60.0, kind=NUMBER, convert=positive_seconds)
    block_seconds: float = setting(60.0, kind=NUMBER, convert=seconds)


@dataclass(frozen=True, kw_only=True)
class StorageConfig:
    #: the SQLite file; a relative path is taken from the data directory
    path: str = setting("softswitch.db", kind=STRING, convert=non_empty)

    def path_in(self, data_dir: Path) -> Path:
        return data_dir / Path(self.path).expanduser()


@dataclass(frozen=True, kw_only=True)
class UserConfig:
    extension: str = setting(kind=STRING, convert=extension_digits)
    password: str = setting(kind=STRING, convert=non_empty, secret=True)
    name: str | None = setting(None, kind=STRING, convert=one_line)


@dataclass(frozen=True, kw_only=True)
class Config:
    # section() returns a dataclasses.field with a default_factory: no shared instance
    sip: SipConfig = section(SipConfig, check=expires_in_order)  # noqa: RUF009
    security: SecurityConfig = section(SecurityConfig)  # noqa: RUF009
    storage: StorageConfig = section(StorageConfig)  # noqa: RUF009
    users: tuple[UserConfig, ...] = section(UserConfig, many=True, check=unique("extension"))
    #: the file this came from, for messages
    source: str = ""

    def redacted(self) -> dict[str, Any]:
        """Everything, as plain data safe to print or log: passwords become '***'."""
        data: dict[str, Any] = redact(self)
        data["sip"]["listen"] = [str(spec) for spec in self.sip.listen]
        return data

    def user(self, extension: str) -> UserConfig | None:
        return next((u for u in self.users if u.extension == extension), None)

    def with_listen(self, specs: Sequence[ListenSpec]) -> Config:
        """The same configuration listening elsewhere (a --listen on the command line)."""
        if not specs:
            raise ValueError("at least one listen address is needed")
        unique_specs = tuple(dict.fromkeys(specs))
        return replace(self, sip=replace(self.sip, listen=unique_specs))
