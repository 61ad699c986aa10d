"""The call-center sections: `[[queues]]` and `[[agents]]` with their tiers.

Only the shape and range of each value is checked here; whether a queue, user or agent
named somewhere exists is checked once the whole file is read (`references`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from softswitch.acd.strategies import STRATEGIES
from softswitch.config.schema import (
    ANY,
    BOOLEAN,
    INTEGER,
    NUMBER,
    STRING,
    STRING_LIST,
    TABLE,
    TABLE_LIST,
    Invalid,
    Problem,
    nested,
    nested_list,
    setting,
)
from softswitch.config.values import at_least, extension_digits, non_empty, one_line, seconds

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PREFIX = re.compile(r"^\+?[0-9]{1,16}$")
_PERCENT = re.compile(r"^([0-9]{1,3})\s*%$")
OVERFLOW_KINDS = ("queue", "voicemail", "callback", "hangup")


def plain_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"{value!r} is not a name (letters, digits, '.', '-', '_'; "
                         f"at most 64)")
    return value


def known_strategy(value: str) -> str:
    if value not in STRATEGIES:
        raise ValueError(f"unknown strategy {value!r} (one of: {', '.join(STRATEGIES)})")
    return value


def skill_levels(raw: Mapping[str, Any]) -> dict[str, int]:
    """`{sales = 5}`: every skill a name, every level a whole number from 1 to 10."""
    problems = []
    out: dict[str, int] = {}
    for skill, level in raw.items():
        if not _NAME.match(skill):
            problems.append(Problem((skill,), f"{skill!r} is not a skill name"))
        elif isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
            problems.append(Problem((skill,), f"skill level must be a whole number from 1 "
                                              f"to 10, got {level!r}"))
        else:
            out[skill] = level
    if problems:
        raise Invalid(problems)
    return out


def prefix_skills(raw: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """`{"86" = {mandarin = 5}}`: callers whose number starts with 86 need mandarin."""
    problems: list[Problem] = []
    out: dict[str, dict[str, int]] = {}
    for prefix, skills in raw.items():
        if not _PREFIX.match(prefix):
            problems.append(Problem((prefix,), f"{prefix!r} is not a number prefix"))
        elif not isinstance(skills, dict):
            problems.append(Problem((prefix,), "expected a table of skill = level"))
        else:
            try:
                out[prefix] = skill_levels(skills)
            except Invalid as exc:
                problems += [Problem((prefix, *p.path), p.message) for p in exc.problems]
    if problems:
        raise Invalid(problems)
    return out


def vip_numbers(raw: Any) -> dict[str, int]:
    """A list of numbers (priority 1 each) or a table of number = priority."""
    if isinstance(raw, list) and all(isinstance(n, str) for n in raw):
        raw = dict.fromkeys(raw, 1)
    if not isinstance(raw, dict):
        raise ValueError("expected a list of numbers or a table of number = priority")
    problems = []
    for number, priority in raw.items():
        if not _PREFIX.match(number):
            problems.append(Problem((number,), f"{number!r} is not a phone number"))
        elif isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
            problems.append(Problem((number,), f"priority must be a whole number >= 1, "
                                               f"got {priority!r}"))
    if problems:
        raise Invalid(problems)
    return dict(raw)


def recording_percent(raw: Any) -> int:
    """"all" (100), "none" (0), a whole percentage, or "25%": the share of calls recorded."""
    if raw == "all":
        return 100
    if raw == "none":
        return 0
    if isinstance(raw, str) and (match := _PERCENT.match(raw.strip())):
        raw = int(match.group(1))
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 100:
        return raw
    raise ValueError(f'expected "all", "none" or a percentage 0 to 100, got {raw!r}')


def extensions(values: list[str]) -> tuple[str, ...]:
    return tuple(extension_digits(value) for value in values)


def skill_level(value: int) -> int:
    if not 1 <= value <= 10:
        raise ValueError(f"must be a skill level from 1 to 10, got {value}")
    return value


def positive(value: float) -> float:
    if value <= 0:
        raise ValueError(f"must be more than 0, got {value}")
    return float(value)


@dataclass(frozen=True, kw_only=True)
class OverflowSettings:
    """Where callers go when the queue is too long, waited too long, or has no agents."""

    kind: str = setting("hangup", kind=STRING, convert=lambda v: _one_of(v, OVERFLOW_KINDS))
    #: a queue name (kind "queue") or a mailbox (kind "voicemail")
    target: str = setting("", kind=STRING)

    def __post_init__(self) -> None:
        if self.kind in ("queue", "voicemail") and not self.target:
            raise ValueError(f'overflow to {self.kind} needs a target, e.g. target = "..."')


def _one_of(value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{value!r} is not one of: {', '.join(choices)}")
    return value


def overflow_settings(raw: Mapping[str, Any]) -> OverflowSettings:
    try:
        return nested(OverflowSettings)(raw)
    except Invalid:
        raise
    except ValueError as exc:  # the cross-key rule in __post_init__
        raise Invalid([Problem(("target",), str(exc))]) from None


@dataclass(frozen=True, kw_only=True)
class QueueSettings:
    name: str = setting(kind=STRING, convert=plain_name)
    strategy: str = setting("longest-idle", kind=STRING, convert=known_strategy)
    ring_timeout: float = setting(20.0, kind=NUMBER, convert=positive)
    wrap_up: float = setting(0.0, kind=NUMBER, convert=seconds)
    #: 0 = no limit
    max_wait: float = setting(0.0, kind=NUMBER, convert=seconds)
    max_length: int = setting(0, kind=INTEGER, convert=at_least(0))
    overflow: OverflowSettings = setting(  # noqa: RUF009
        OverflowSettings(), kind=TABLE, convert=overflow_settings)
    join_empty: bool = setting(True, kind=BOOLEAN)
    leave_when_empty: bool = setting(False, kind=BOOLEAN)
    #: seconds between position/wait announcements; 0 = never
    announce_position_every: float = setting(0.0, kind=NUMBER, convert=seconds)
    #: seconds of talk plus wrap-up the wait estimate assumes until 10 calls are measured
    #: (0: callers hear no expected wait before then)
    handle_time: float = setting(0.0, kind=NUMBER, convert=seconds)
    #: the prompt played while waiting
    music: str = setting("moh", kind=STRING, convert=non_empty)
    required_skills: dict[str, int] = setting(  # noqa: RUF009
        factory=dict, kind=TABLE, convert=skill_levels)
    #: numbers = priority (or a list of numbers, priority 1)
    vip: dict[str, int] = setting(factory=dict, kind=ANY, convert=vip_numbers)  # noqa: RUF009
    prefix_skills: dict[str, dict[str, int]] = setting(  # noqa: RUF009
        factory=dict, kind=TABLE, convert=prefix_skills)
    #: seconds of waiting one level of priority is worth
    priority_weight: float = setting(60.0, kind=NUMBER, convert=seconds)
    tier_wait: float = setting(0.0, kind=NUMBER, convert=seconds)
    skill_relax_every: float = setting(0.0, kind=NUMBER, convert=seconds)
    skill_floor: int = setting(1, kind=INTEGER, convert=skill_level)
    sticky_seconds: float = setting(0.0, kind=NUMBER, convert=seconds)
    #: percentage of calls recorded
    recording: int = setting(0, kind=ANY, convert=recording_percent)
    supervisors: tuple[str, ...] = setting((), kind=STRING_LIST, convert=extensions)


@dataclass(frozen=True, kw_only=True)
class TierSettings:
    """An agent's place in one queue: level 1 rings before level 2, then by position."""

    queue: str = setting(kind=STRING, convert=non_empty)
    level: int = setting(1, kind=INTEGER, convert=at_least(1))
    position: int = setting(1, kind=INTEGER, convert=at_least(1))
    #: for the weighted-random strategy
    weight: float = setting(1.0, kind=NUMBER, convert=seconds)


@dataclass(frozen=True, kw_only=True)
class AgentSettings:
    id: str = setting(kind=STRING, convert=plain_name)
    name: str = setting("", kind=STRING, convert=lambda v: one_line(v) if v else v)
    #: the user whose phone rings; an agent may log in at another phone
    extension: str = setting(kind=STRING, convert=extension_digits)
    skills: dict[str, int] = setting(  # noqa: RUF009
        factory=dict, kind=TABLE, convert=skill_levels)
    #: overrides the queue's values when set
    wrap_up: float | None = setting(None, kind=NUMBER, convert=seconds)
    ring_timeout: float | None = setting(None, kind=NUMBER, convert=positive)
    #: unanswered offers in a row before the agent is put on break
    max_no_answer: int = setting(3, kind=INTEGER, convert=at_least(1))
    no_answer_delay: float = setting(0.0, kind=NUMBER, convert=seconds)
    reject_delay: float = setting(10.0, kind=NUMBER, convert=seconds)
    busy_delay: float = setting(30.0, kind=NUMBER, convert=seconds)
    queues: tuple[TierSettings, ...] = setting((), kind=TABLE_LIST,
                                               convert=nested_list(TierSettings))


def tiers_unique(agents: Sequence[AgentSettings | None]) -> Iterable[Problem]:
    """An agent is in a queue once."""
    for index, agent in enumerate(agents):
        if agent is None:
            continue
        seen: set[str] = set()
        for position, tier in enumerate(agent.queues):
            if tier.queue in seen:
                yield Problem((index, "queues", position, "queue"),
                              f"agent {agent.id} is already in queue {tier.queue!r}")
            seen.add(tier.queue)


__all__ = ["OVERFLOW_KINDS", "AgentSettings", "OverflowSettings", "QueueSettings",
           "TierSettings", "tiers_unique"]
