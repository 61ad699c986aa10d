"""Conference rooms over calls, on the in-memory network: answered by the switch, the
PIN asked at a closed room's door, legs joined and left, the room closed when empty."""

from __future__ import annotations

from softswitch.call.actions import CloseMedia, OpenMedia
from softswitch.call.center_calls import PlayPrompts
from softswitch.call.conference import (
    Beep,
    CloseRoom,
    ConferenceRooms,
    JoinRoom,
    LeaveRoom,
    OpenRoom,
)
from softswitch.call.conference_calls import ConferenceCalls
from tests.call.b2bua_network import NO_LEAKS, SWITCH, Network


def _rooms(net: Network, pins: dict[str, str] | None = None) -> ConferenceCalls:
    calls = ConferenceCalls(layer=net.layer, rooms=ConferenceRooms(("800", "801"), pins),
                            ports=net.ports, local={"udp": SWITCH},
                            has_prompt=lambda name: True)
    net.core.rooms = calls
    return calls


def test_callers_dialling_a_room_are_answered_joined_and_the_room_closes_when_empty() -> None:
    net = Network()
    rooms = _rooms(net)
    alice, bob = net.phone("1001", 5061), net.phone("1002", 5062)
    alice.call("800")
    bob.call("800")
    net.run(0.5)
    assert [r.status for r in alice.responses][-1] == 200
    assert [r.status for r in bob.responses][-1] == 200
    assert len(net.kinds(OpenRoom)) == 1 and len(net.kinds(JoinRoom)) == 2
    assert len(net.kinds(OpenMedia)) == 2
    assert net.kinds(Beep)[-1].legs == tuple(j.leg for j in net.kinds(JoinRoom))
    assert net.events().count("conference.joined") == 2
    alice.bye()
    net.run(0.5)
    assert len(net.kinds(LeaveRoom)) == 1 and not net.kinds(CloseRoom)
    bob.bye()
    net.run(0.5)
    assert net.kinds(CloseRoom) == [CloseRoom("800")]
    assert len(net.kinds(CloseMedia)) == 2 and not rooms.legs
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_a_closed_room_takes_the_right_pin_and_sends_away_after_three_wrong() -> None:
    net = Network()
    rooms = _rooms(net, {"801": "42"})
    alice, bob = net.phone("1001", 5061), net.phone("1002", 5062)
    alice.call("801")
    bob.call("801")
    net.run(0.5)
    prompts = net.kinds(PlayPrompts)
    assert [p.names for p in prompts] == [("en/vm_enter_pin",)] * 2
    alice_leg, bob_leg = prompts[0].leg, prompts[1].leg
    now = net.clock.now()
    for key in "42#":
        net.actions.extend(rooms.digit(alice_leg, key, now))
    assert net.kinds(JoinRoom) == [JoinRoom(alice_leg, "801")]
    for _ in range(3):
        for key in "9#":
            net.actions.extend(rooms.digit(bob_leg, key, now))
    assert net.events().count("conference.pin_refused") == 3
    net.actions.extend(rooms.prompt_finished(bob_leg, now))
    net.run(0.5)
    assert any(e.request.method == "BYE" for e in bob.requests)
    assert not any(e.request.method == "BYE" for e in alice.requests)
    alice.bye()
    net.settle()
    assert net.leaks() == NO_LEAKS


def test_a_number_that_is_no_room_goes_on_to_the_b2bua() -> None:
    net = Network()
    _rooms(net)
    alice = net.phone("1001", 5061)
    alice.call("999")
    net.run(0.5)
    assert [r.status for r in alice.responses][-1] == 404
