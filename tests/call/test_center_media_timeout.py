"""The switch's own calls end when a leg's phone goes silent: an agent whose phone died
is hung up with its caller and the ACD is told, so the agent is not left on a call."""

from __future__ import annotations

from typing import Any

from softswitch.acd.effects import Bridge, RingAgent
from softswitch.call.actions import LogEvent
from softswitch.call.center_calls import CenterCalls
from tests.call.b2bua_network import Network, Phone, sdp_offer
from tests.call.test_center_calls import QueueDesk, _queued_caller


class AgentDesk(QueueDesk):
    def __init__(self) -> None:
        super().__init__()
        self.answered: list[tuple[str, str]] = []

    def agent_answered(self, call_id: str, agent_id: str) -> list[Any]:
        self.answered.append((call_id, agent_id))
        return []


def _kinds(actions: list[Any]) -> list[str]:
    return [a.kind for a in actions if isinstance(a, LogEvent)]


def _bridged_to_agent() -> tuple[Network, CenterCalls, AgentDesk, str, Phone, Phone]:
    desk = AgentDesk()
    net, center, call_id = _queued_caller("1", desk)
    agent = net.phone("1001", 6001)
    center.ring_agent(RingAgent(call_id, "alice", "1001", 15, "support"))
    net.actions.extend(center.take())
    net.pump()
    agent.answer(200, body=sdp_offer(36001))
    net.pump()
    assert desk.answered == [(call_id, "alice")]
    center.bridge(Bridge(call_id, "alice"))
    net.actions.extend(center.take())
    caller = net.phones[("127.0.0.1", 6003)]
    return net, center, desk, call_id, caller, agent


def _byes(phone: Phone) -> int:
    return sum(e.request.method == "BYE" for e in phone.requests)


def test_a_silent_agent_leg_ends_the_call_and_the_acd_hears_the_hangup() -> None:
    net, center, desk, call_id, caller, agent = _bridged_to_agent()
    call = center.calls[call_id]
    assert call.bridged is not None
    net.clock.advance(60)
    out = center.media_timeout(call.bridged.id, net.clock.now(), net.clock.wall())
    assert out is not None
    assert _kinds(out)[:2] == ["call.media_timeout", "call.ended"]
    event = next(a for a in out if isinstance(a, LogEvent) and a.kind == "call.media_timeout")
    assert event.fields["role"] == "agent" and event.fields["agent"] == "alice"
    assert event.call_id == call_id
    net.run(1)
    assert desk.hung_up == [call_id]
    assert _byes(caller) == 1 and _byes(agent) == 1
    assert call_id not in center.calls


def test_silence_on_hold_or_before_the_answer_is_allowed() -> None:
    net, center, desk, call_id, caller, _agent = _bridged_to_agent()
    call = center.calls[call_id]
    assert call.bridged is not None
    caller.reinvite(sdp_offer(36003).replace(b"a=sendrecv", b"a=sendonly"))
    net.pump()
    now = net.clock.now()
    assert center.media_timeout(call.bridged.id, now, 0.0) == []
    assert center.media_timeout(call.caller.id, now, 0.0) == []
    caller.reinvite(sdp_offer(36003))  # resumed: silence ends the call again
    net.pump()
    assert center.media_timeout(call.bridged.id, now, 0.0)
    assert desk.hung_up == [call_id]


def test_a_ringing_agent_leg_may_be_silent_and_unknown_legs_are_not_ours() -> None:
    desk = AgentDesk()
    net, center, call_id = _queued_caller("1", desk)
    net.phone("1001", 6001)
    center.ring_agent(RingAgent(call_id, "alice", "1001", 15, "support"))
    net.pump()
    [ringing] = center.calls[call_id].agent_legs
    assert center.media_timeout(ringing.id, net.clock.now(), 0.0) == []
    assert center.media_timeout(99999, net.clock.now(), 0.0) is None
    assert desk.hung_up == []


def test_a_queued_caller_whose_phone_died_leaves_the_queue() -> None:
    desk = AgentDesk()
    net, center, call_id = _queued_caller("1", desk)
    caller = net.phones[("127.0.0.1", 6003)]
    leg = center.calls[call_id].caller.id
    out = center.media_timeout(leg, net.clock.now(), 0.0)
    assert out and "call.media_timeout" in _kinds(out)
    net.run(1)
    assert desk.hung_up == [call_id] and _byes(caller) == 1


def test_a_dead_agent_phone_is_not_waited_for() -> None:
    net, center, desk, call_id, caller, agent = _bridged_to_agent()
    del net.phones[agent.address]  # nothing it is sent arrives, its BYE is never answered
    bridged = center.calls[call_id].bridged
    assert bridged is not None
    assert center.media_timeout(bridged.id, net.clock.now(), 0.0)
    assert bridged.state == "ended"
    net.run(1)
    assert _byes(caller) == 1 and desk.hung_up == [call_id]
    assert call_id not in center.calls and net.ports.in_use == 0
