"""What the ACD asks the call layer to do, as frozen data.

The ACD never touches a call: it returns these, in order, and the call layer carries them
out. `Emit` is a fact for the event log; every step of the ACD produces one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RingAgent:
    """Offer `call_id` to the agent's phone for at most `timeout` seconds."""

    call_id: str
    agent_id: str
    extension: str
    timeout: float
    queue: str


@dataclass(frozen=True)
class StopRinging:
    """Cancel the offer to the agent (another agent answered, caller left, timeout)."""

    call_id: str
    agent_id: str


@dataclass(frozen=True)
class Bridge:
    """Connect the caller to the agent who answered."""

    call_id: str
    agent_id: str


@dataclass(frozen=True)
class PlayAnnouncement:
    """Play prompts to a waiting caller (position, expected wait), then resume music."""

    call_id: str
    prompts: tuple[str, ...]


@dataclass(frozen=True)
class StartMusic:
    """The caller is waiting: play the queue's music on hold."""

    call_id: str
    queue: str


@dataclass(frozen=True)
class Overflow:
    """The caller left the queue because of `reason`; `kind`/`target` say where to go.

    kind is "queue" (already moved by the ACD, informational), "voicemail", "callback"
    (already turned into a callback by the ACD: say goodbye) or "none" (no target: the call
    layer answers busy or plays a closing message).
    """

    call_id: str
    queue: str
    kind: str
    target: str
    reason: str


@dataclass(frozen=True)
class DialCallback:
    """A callback reached the front: call the agent, then dial the customer's number."""

    call_id: str
    number: str
    agent_id: str
    queue: str


@dataclass(frozen=True)
class PauseAgent:
    """The agent was put on break by the ACD (e.g. too many unanswered offers)."""

    agent_id: str
    reason: str


@dataclass(frozen=True)
class Emit:
    """A fact for the event log: `kind` like "call.answered", with the fields reports need."""

    kind: str
    fields: Mapping[str, Any] = field(default_factory=dict)


Effect = RingAgent | StopRinging | Bridge | PlayAnnouncement | StartMusic | Overflow | \
    DialCallback | PauseAgent | Emit
