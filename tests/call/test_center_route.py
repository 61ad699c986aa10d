"""Which numbers the switch answers itself: DIDs, agent codes, supervisor codes."""

from __future__ import annotations

from softswitch.call.center_route import Answered, FeatureCall, Refused, route_number
from softswitch.call.feature_codes import FeatureTable

AGENTS = {"1002": "bob", "1003": "eve"}
QUEUES = {"bob": ["support"], "eve": ["sales"]}
SUPERVISORS = {("1001", "support")}


def _route() -> object:
    return route_number({"5000": ("ivr", "main")}, FeatureTable({}, {"2": "lunch"}),
                        AGENTS.get, lambda a: QUEUES.get(a, []),
                        lambda ext, q: (ext, q) in SUPERVISORS)


def test_did_is_answered_by_its_destination() -> None:
    assert _route()("5000", "1001") == Answered("ivr", "main")  # type: ignore[operator]


def test_ordinary_number_is_not_ours() -> None:
    assert _route()("1002", "1001") is None  # type: ignore[operator]


def test_agent_codes_name_the_agent_at_the_phone() -> None:
    route = _route()
    assert route("*45", "1002") == FeatureCall("agent_login", "bob")  # type: ignore[operator]
    assert route("*47*2", "1002") == FeatureCall(  # type: ignore[operator]
        "agent_pause", "bob", "lunch")
    refused = route("*46", "1001")  # type: ignore[operator]
    assert isinstance(refused, FeatureCall) and refused.refused


def test_supervisor_codes_only_for_the_agents_supervisors() -> None:
    route = _route()
    assert route("*22*1002", "1001") == FeatureCall(  # type: ignore[operator]
        "listen", "bob", "1002")
    other = route("*22*1003", "1001")  # type: ignore[operator]
    assert isinstance(other, Refused) and other.status == 404
    assert other.event == "supervisor.refused"
    assert route("*24*1002", "1003") == other.__class__(  # type: ignore[operator]
        404, "supervisor.refused", {"feature": "barge", "supervisor": "1003",
                                    "target": "1002"})
