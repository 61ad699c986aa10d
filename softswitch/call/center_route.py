"""Which dialled numbers the switch answers itself: DIDs (IVR, queue, extension) and the
call-center feature codes. Pure: the configuration in, a decision per number out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from softswitch.call.feature_codes import Feature, FeatureTable

#: the features this module answers; the others are left to their own parts
AGENT_FEATURES = (Feature.AGENT_LOGIN, Feature.AGENT_LOGOUT, Feature.AGENT_PAUSE,
                  Feature.AGENT_RESUME)
SUPERVISOR_FEATURES = (Feature.LISTEN, Feature.WHISPER, Feature.BARGE)
#: what an unknown number gets, and so what a refused supervisor code gets too
NOT_FOUND = 404


@dataclass(frozen=True)
class Answered:
    """A DID: the switch answers and runs `kind` ("ivr", "queue", "extension",
    "voicemail") named `name`."""

    kind: str
    name: str


@dataclass(frozen=True)
class FeatureCall:
    """A feature code from a phone: `agent` is the agent at that phone ("" if none);
    `refused` says why it cannot be done (the caller hears a refusal prompt)."""

    name: str
    agent: str
    argument: str = ""
    refused: str = ""


@dataclass(frozen=True)
class Refused:
    """Answer with `status`, and log the attempt as `event` (with `fields`)."""

    status: int
    event: str
    fields: Mapping[str, str]


Decision = Answered | FeatureCall | Refused | None
CenterRoute = Callable[[str, str], Decision]


def route_number(dids: Mapping[str, tuple[str, str]], features: FeatureTable,
                 agent_at: Callable[[str], str | None],
                 queues_of: Callable[[str], Iterable[str]],
                 supervises: Callable[[str, str], bool]) -> CenterRoute:
    """The decision function for the switch's own numbers; None means "not ours"."""

    def decide(number: str, user: str) -> Decision:
        if number in dids:
            kind, name = dids[number]
            return Answered(kind, name)
        match = features.match(number)
        if match is None:
            return None
        if match.feature in AGENT_FEATURES:
            agent = agent_at(user)
            if match.feature is Feature.AGENT_LOGIN and match.argument:
                agent = match.argument  # an agent id dialled after the code
            if agent is None:
                return FeatureCall(match.feature.value, "", match.argument,
                                   refused="no agent at this extension")
            argument = (features.pause_reason(match.argument)
                        if match.feature is Feature.AGENT_PAUSE else match.argument)
            return FeatureCall(match.feature.value, agent, argument)
        if match.feature in SUPERVISOR_FEATURES:
            agent = agent_at(match.argument)
            allowed = agent is not None and any(
                supervises(user, queue) for queue in queues_of(agent))
            if not allowed:
                return Refused(NOT_FOUND, "supervisor.refused", {
                    "feature": match.feature.value, "supervisor": user,
                    "target": match.argument})
            return FeatureCall(match.feature.value, agent or "", match.argument)
        return None

    return decide


__all__ = ["AGENT_FEATURES", "NOT_FOUND", "SUPERVISOR_FEATURES", "Answered", "CenterRoute",
           "Decision", "FeatureCall", "Refused", "route_number"]
