"""Feature codes: what a phone dials to log an agent in, pause, forward, pick up, ...

One table of data: each feature has a default code and says whether digits may or must
follow it (`*47*2` pauses with reason 2, `*221001` listens to extension 1001; a `*`
between the code and its digits is optional). The call layer asks one question,
`FeatureTable.match(dialled)` (or `match_feature` with the defaults), and dispatches on
the `Feature` it gets back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Feature(StrEnum):
    AGENT_LOGIN = "agent_login"
    AGENT_LOGOUT = "agent_logout"
    AGENT_PAUSE = "agent_pause"
    AGENT_RESUME = "agent_resume"
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"
    FORWARD_ALWAYS = "forward_always"
    FORWARD_CANCEL = "forward_cancel"
    DND_ON = "dnd_on"
    DND_OFF = "dnd_off"
    VOICEMAIL = "voicemail"
    PICKUP = "pickup"
    PARK = "park"


class Argument(StrEnum):
    """What may follow the code."""

    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True)
class FeatureSpec:
    default: str
    argument: Argument
    #: what the digits after the code mean, for the documentation and errors
    meaning: str = ""


F, A = Feature, Argument

#: feature -> its default code and argument
FEATURES: dict[Feature, FeatureSpec] = {
    F.AGENT_LOGIN: FeatureSpec("*45", A.OPTIONAL, "agent id (default: the phone's agent)"),
    F.AGENT_LOGOUT: FeatureSpec("*46", A.NONE),
    F.AGENT_PAUSE: FeatureSpec("*47", A.OPTIONAL, "pause reason number"),
    F.AGENT_RESUME: FeatureSpec("*48", A.NONE),
    F.LISTEN: FeatureSpec("*22", A.REQUIRED, "the agent's extension"),
    F.WHISPER: FeatureSpec("*23", A.REQUIRED, "the agent's extension"),
    F.BARGE: FeatureSpec("*24", A.REQUIRED, "the agent's extension"),
    F.FORWARD_ALWAYS: FeatureSpec("*72", A.OPTIONAL, "the number to forward to"),
    F.FORWARD_CANCEL: FeatureSpec("*73", A.NONE),
    F.DND_ON: FeatureSpec("*78", A.NONE),
    F.DND_OFF: FeatureSpec("*79", A.NONE),
    F.VOICEMAIL: FeatureSpec("*97", A.OPTIONAL, "mailbox (default: one's own)"),
    F.PICKUP: FeatureSpec("*8", A.OPTIONAL, "the ringing extension (default: any)"),
    F.PARK: FeatureSpec("*70", A.OPTIONAL, "parking slot"),
}

DEFAULT_CODES: dict[Feature, str] = {feature: spec.default for feature, spec in FEATURES.items()}

_CODE = re.compile(r"^[*#][0-9*#]{1,7}$|^[0-9]{1,8}$")
_ARGUMENT = re.compile(r"^\*?([0-9]{1,32})$")


@dataclass(frozen=True)
class FeatureMatch:
    feature: Feature
    #: the digits after the code ("" when none were dialled)
    argument: str = ""


def code_problem(code: str) -> str | None:
    """Why `code` cannot be a feature code, or None."""
    if not _CODE.match(code):
        return (f"{code!r} is not a feature code (1 to 8 keys: '*' or '#' then digits, "
                f"e.g. '*45')")
    return None


def conflicts(codes: Mapping[Feature, str]) -> Iterable[tuple[Feature, str]]:
    """Codes that cannot be told apart: the same code twice, or a code that starts with
    the code of a feature taking digits (dialling `*4` then `5` must mean one thing)."""
    ordered = list(codes.items())
    for index, (feature, code) in enumerate(ordered):
        for other, other_code in ordered[:index]:
            if code == other_code:
                yield feature, f"code {code!r} is already the code of {other.value}"
            elif code.startswith(other_code) and FEATURES[other].argument is not A.NONE:
                yield feature, (f"code {code!r} starts with {other_code!r} ({other.value}), "
                                f"which takes digits after it")
            elif other_code.startswith(code) and FEATURES[feature].argument is not A.NONE:
                yield feature, (f"code {code!r} takes digits after it, so {other_code!r} "
                                f"({other.value}) could never be dialled")


class FeatureTable:
    """The codes in force; build it from the configuration's `[features]`."""

    def __init__(self, codes: Mapping[Feature, str] | None = None,
                 pause_reasons: Mapping[str, str] | None = None) -> None:
        merged = dict(DEFAULT_CODES)
        merged.update(codes or {})
        for feature, code in merged.items():
            problem = code_problem(code)
            if problem is not None:
                raise ValueError(f"{feature.value}: {problem}")
        problems = [f"{feature.value}: {message}" for feature, message in conflicts(merged)]
        if problems:
            raise ValueError("; ".join(problems))
        self.codes: dict[Feature, str] = merged
        self.pause_reasons: dict[str, str] = dict(pause_reasons or {})
        # longest code first, so "*720" would win over "*72" if both existed
        self._by_length = sorted(merged.items(), key=lambda item: -len(item[1]))

    def code_of(self, feature: Feature) -> str:
        return self.codes[feature]

    def match(self, dialled: str) -> FeatureMatch | None:
        """The feature `dialled` asks for, or None when it is not a feature code."""
        for feature, code in self._by_length:
            if not dialled.startswith(code):
                continue
            rest = dialled[len(code):]
            argument = FEATURES[feature].argument
            if not rest:
                if argument is A.REQUIRED:
                    return None
                return FeatureMatch(feature)
            if argument is A.NONE:
                continue
            digits = _ARGUMENT.match(rest)
            if digits is None:
                return None
            return FeatureMatch(feature, digits.group(1))
        return None

    def pause_reason(self, argument: str) -> str:
        """The reason text for `*47*N`: the configured name, else the digits, else "break"."""
        if not argument:
            return "break"
        return self.pause_reasons.get(argument, argument)


DEFAULT_TABLE = FeatureTable()


def match_feature(dialled: str, table: FeatureTable = DEFAULT_TABLE) -> FeatureMatch | None:
    """`table.match(dialled)`, with the default codes unless a table is given."""
    return table.match(dialled)


__all__ = ["DEFAULT_CODES", "DEFAULT_TABLE", "FEATURES", "Argument", "Feature",
           "FeatureMatch", "FeatureSpec", "FeatureTable", "code_problem", "conflicts",
           "match_feature"]
