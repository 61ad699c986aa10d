"""`[features]`: the codes phones dial for PBX and agent features (see
`softswitch.call.feature_codes`, which holds the defaults and does the matching)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from softswitch.call.feature_codes import (
    DEFAULT_CODES,
    Feature,
    FeatureTable,
    code_problem,
    conflicts,
)
from softswitch.config.schema import STRING, TABLE, Invalid, Problem, setting

_REASON_DIGITS = re.compile(r"^[0-9]{1,4}$")


def feature_code(value: str) -> str:
    problem = code_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def pause_reasons(raw: Mapping[str, Any]) -> dict[str, str]:
    """`{"1" = "lunch"}`: dialling *47*1 pauses with reason "lunch"."""
    problems = []
    for digits, reason in raw.items():
        if not _REASON_DIGITS.match(digits):
            problems.append(Problem((digits,), f"{digits!r} is not 1 to 4 digits"))
        elif not isinstance(reason, str) or not reason.strip() or not reason.isprintable():
            problems.append(Problem((digits,), "the reason must be printable text"))
    if problems:
        raise Invalid(problems)
    return dict(raw)


def _code(feature: Feature) -> Any:
    return setting(DEFAULT_CODES[feature], kind=STRING, convert=feature_code)


@dataclass(frozen=True, kw_only=True)
class FeaturesConfig:
    agent_login: str = _code(Feature.AGENT_LOGIN)
    agent_logout: str = _code(Feature.AGENT_LOGOUT)
    agent_pause: str = _code(Feature.AGENT_PAUSE)
    agent_resume: str = _code(Feature.AGENT_RESUME)
    listen: str = _code(Feature.LISTEN)
    whisper: str = _code(Feature.WHISPER)
    barge: str = _code(Feature.BARGE)
    forward_always: str = _code(Feature.FORWARD_ALWAYS)
    forward_cancel: str = _code(Feature.FORWARD_CANCEL)
    dnd_on: str = _code(Feature.DND_ON)
    dnd_off: str = _code(Feature.DND_OFF)
    voicemail: str = _code(Feature.VOICEMAIL)
    pickup: str = _code(Feature.PICKUP)
    park: str = _code(Feature.PARK)
    pause_reasons: dict[str, str] = setting(  # noqa: RUF009
        factory=dict, kind=TABLE, convert=pause_reasons)

    def codes(self) -> dict[Feature, str]:
        return {feature: getattr(self, feature.value) for feature in Feature}

    def table(self) -> FeatureTable:
        """The lookup table the call layer matches dialled numbers against."""
        return FeatureTable(self.codes(), self.pause_reasons)


def codes_distinct(features: FeaturesConfig) -> Iterable[Problem]:
    for feature, message in conflicts(features.codes()):
        yield Problem((feature.value,), message)


__all__ = ["FeaturesConfig", "codes_distinct"]
