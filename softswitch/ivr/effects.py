"""What an IVR session asks the call layer to do, as frozen data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Play:
    """Play these prompts (names, looked up per language); report `prompt_finished`."""

    prompts: tuple[str, ...]
    language: str


@dataclass(frozen=True)
class StopPlayback:
    """The caller pressed a key during a prompt (barge-in)."""


@dataclass(frozen=True)
class CollectDigits:
    """Start listening for DTMF; the session keeps its own timeouts."""

    max_digits: int
    terminator: str = ""


@dataclass(frozen=True)
class TransferToQueue:
    queue: str
    skills: Mapping[str, int]
    priority: int
    vars: Mapping[str, str]
    language: str


@dataclass(frozen=True)
class TransferToExtension:
    number: str
    vars: Mapping[str, str]


@dataclass(frozen=True)
class Voicemail:
    box: str
    vars: Mapping[str, str]


@dataclass(frozen=True)
class Hangup:
    reason: str


@dataclass(frozen=True)
class Emit:
    """A fact for the event log, e.g. "ivr.choice" with the node and digit."""

    kind: str
    fields: Mapping[str, Any] = field(default_factory=dict)


IvrEffect = Play | StopPlayback | CollectDigits | TransferToQueue | TransferToExtension | \
    Voicemail | Hangup | Emit
