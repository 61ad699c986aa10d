"""The configuration as frozen dataclasses: one per TOML section, each key declared once
with its kind, default and validator (see `schema`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from softswitch.config.callcenter import (
    AgentSettings,
    QueueSettings,
    tiers_unique,
)
from softswitch.config.calls import CallsConfig
from softswitch.config.conference import ConferenceConfig, pins_for_rooms
from softswitch.config.dids import DidConfig, one_destination
from softswitch.config.features import FeaturesConfig, codes_distinct
from softswitch.config.forwarding import forwards_valid
from softswitch.config.ivr import IvrConfig
from softswitch.config.listen import ListenSpec, parse_listen_spec
from softswitch.config.parking import ParkingConfig
from softswitch.config.schema import (
    BOOLEAN,
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
from softswitch.config.trunks import TrunkConfig, trunks_valid
from softswitch.config.values import (
    at_least,
    domain_name,
    extension_digits,
    group_name,
    non_empty,
    one_line,
    positive_seconds,
    seconds,
)
from softswitch.config.voicemail import pin_digits


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
    #: digest algorithms offered, one challenge each, in order. MD5 alone by default, as
    #: Asterisk and FreeSWITCH do: SIPp and SIPVicious answer only the first challenge and
    #: baresip 1.0 refuses a 401 that names any algorithm but MD5. Offer
    #: ["SHA-256", "MD5"] where every phone takes the strongest it knows (RFC 8760).
    auth_algorithms: tuple[str, ...] = setting(("MD5",), kind=STRING_LIST,
                                               convert=digest_algorithms)
    #: seconds between OPTIONS pings to every registered contact; 0 sends none
    options_ping_interval: float = setting(0.0, kind=NUMBER, convert=seconds)
    #: unanswered pings in a row that drop a contact's registration
    options_ping_misses: int = setting(2, kind=INTEGER, convert=at_least(1))


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
    #: phones in the same group may answer each other's ringing calls (*8)
    pickup_group: str | None = setting(None, kind=STRING, convert=group_name)
    #: calls this user does not answer (busy, no answer, no phone, do-not-disturb) go to
    #: their mailbox; every user has one, reached with the voicemail code (*97)
    voicemail: bool = setting(False, kind=BOOLEAN)
    #: the mailbox PIN; default: the extension's last four digits
    voicemail_pin: str | None = setting(None, kind=STRING, convert=pin_digits, secret=True)
    #: where calls go instead (another user's extension): always, when this phone is
    #: busy, when it does not answer in time; a phone changes forward_always with *72/*73
    forward_always: str | None = setting(None, kind=STRING, convert=extension_digits)
    forward_busy: str | None = setting(None, kind=STRING, convert=extension_digits)
    forward_no_answer: str | None = setting(None, kind=STRING, convert=extension_digits)
    #: do-not-disturb: callers get busy (or the mailbox); a phone changes it with *78/*79
    dnd: bool = setting(False, kind=BOOLEAN)


def users_valid(users: Sequence[UserConfig | None]) -> Iterable[Problem]:
    yield from unique("extension")(users)
    yield from forwards_valid(users)


def agents_valid(agents: Sequence[AgentSettings | None]) -> Iterable[Problem]:
    yield from unique("id")(agents)
    yield from tiers_unique(agents)


@dataclass(frozen=True, kw_only=True)
class Config:
    # section() returns a dataclasses.field with a default_factory: no shared instance
    sip: SipConfig = section(SipConfig, check=expires_in_order)  # noqa: RUF009
    security: SecurityConfig = section(SecurityConfig)  # noqa: RUF009
    storage: StorageConfig = section(StorageConfig)  # noqa: RUF009
    calls: CallsConfig = section(CallsConfig)  # noqa: RUF009
    users: tuple[UserConfig, ...] = section(UserConfig, many=True, check=users_valid)
    queues: tuple[QueueSettings, ...] = section(QueueSettings, many=True, check=unique("name"))
    agents: tuple[AgentSettings, ...] = section(AgentSettings, many=True,
                                                check=agents_valid)
    ivr: IvrConfig = section(IvrConfig)  # noqa: RUF009
    dids: tuple[DidConfig, ...] = section(DidConfig, many=True, check=one_destination)
    features: FeaturesConfig = section(FeaturesConfig, check=codes_distinct)  # noqa: RUF009
    trunks: tuple[TrunkConfig, ...] = section(TrunkConfig, many=True, check=trunks_valid)
    parking: ParkingConfig = section(ParkingConfig)  # noqa: RUF009
    conference: ConferenceConfig = section(ConferenceConfig, check=pins_for_rooms)  # noqa: RUF009
    #: the file this came from, for messages
    source: str = ""

    def redacted(self) -> dict[str, Any]:
        """Everything, as plain data safe to print or log: passwords become '***'."""
        data: dict[str, Any] = redact(self)
        data["sip"]["listen"] = [str(spec) for spec in self.sip.listen]
        return data

    def user(self, extension: str) -> UserConfig | None:
        return next((u for u in self.users if u.extension == extension), None)

    def queue(self, name: str) -> QueueSettings | None:
        return next((q for q in self.queues if q.name == name), None)

    def agent(self, agent_id: str) -> AgentSettings | None:
        return next((a for a in self.agents if a.id == agent_id), None)

    def did(self, number: str) -> DidConfig | None:
        """The entry point for a dialled number, e.g. "5000" -> IVR "main"."""
        return next((d for d in self.dids if d.number == number), None)

    def trunk(self, name: str) -> TrunkConfig | None:
        return next((t for t in self.trunks if t.name == name), None)

    def supervises(self, extension: str, queue: str) -> bool:
        """May the user at `extension` listen, whisper and barge in `queue`?"""
        settings = self.queue(queue)
        return settings is not None and extension in settings.supervisors

    def with_listen(self, specs: Sequence[ListenSpec]) -> Config:
        """The same configuration listening elsewhere (a --listen on the command line)."""
        if not specs:
            raise ValueError("at least one listen address is needed")
        unique_specs = tuple(dict.fromkeys(specs))
        return replace(self, sip=replace(self.sip, listen=unique_specs))
