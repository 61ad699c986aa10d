"""OPTIONS pings to registered contacts on a ManualClock: answered pings keep a
binding, `misses` unanswered rounds in a row drop it (and say so for storage)."""

from __future__ import annotations

import pytest

from softswitch.call.actions import LogEvent, PersistBindings
from softswitch.call.keepalive import ContactPinger, PingPolicy
from softswitch.call.location import Binding, Location
from softswitch.call.registrar import ChangeKind
from softswitch.clock import ManualClock
from softswitch.sip.message import make_response
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import Source
from softswitch.sip.transaction import TransactionLayer
from softswitch.sip.transaction_events import ResponseReceived, TransactionTimeout

SWITCH = {"udp": ("127.0.0.1", 5060)}


def binding(aor: str, port: int) -> Binding:
    return Binding(aor, f"sip:{aor}@127.0.0.1:{port}", 1e12, "reg", 1, 0.0, 0.0, "UDP",
                   "127.0.0.1", port)


class Rig:
    def __init__(self, *, interval: float = 10.0, misses: int = 2) -> None:
        self.clock = ManualClock()
        self.layer = TransactionLayer()
        self.location = Location()
        self.pinger = ContactPinger(layer=self.layer, location=self.location, local=SWITCH,
                                    domain="pbx.test", policy=PingPolicy(interval, misses),
                                    now=self.clock.now())
        self.actions: list = []
        self.sent: list = []

    def step(self, seconds: float, answer: set[int] = frozenset()) -> None:
        """Advance the clock, fire what is due, and answer pings sent to `answer` ports."""
        self.clock.advance(seconds)
        now = self.clock.now()
        self.layer.handle_timer(now)
        self.actions += self.pinger.handle_timer(now, self.clock.wall())
        while (out := self.layer.next_send()) is not None:
            self.sent.append(out)
            if out.destination.port in answer:
                request = parse_message(out.data)
                self.layer.receive(make_response(request, 200), Source(
                    "udp", out.destination.host, out.destination.port), now)
        while (event := self.layer.next_event()) is not None:
            if isinstance(event, ResponseReceived):
                assert self.pinger.owns(event.tid)
                self.pinger.on_response(event.tid, event.response, now)
            elif isinstance(event, TransactionTimeout):
                self.pinger.on_timeout(event.tid, now)

    def alive(self) -> list[str]:
        return sorted(b.aor for aor in self.location.aors()
                      for b in self.location.lookup(aor, self.clock.wall()))


def test_pings_go_out_every_interval_to_every_contact() -> None:
    rig = Rig()
    rig.location.put(binding("1001", 6001))
    rig.location.put(binding("1002", 6002))
    assert rig.pinger.get_timer() == 10.0
    rig.step(9.9)
    assert rig.sent == []
    rig.step(0.1, answer={6001, 6002})
    pings = [parse_message(out.data) for out in rig.sent]
    assert [p.method for p in pings] == ["OPTIONS", "OPTIONS"]
    assert {out.destination.port for out in rig.sent} == {6001, 6002}
    assert str(pings[0].uri) == "sip:1001@127.0.0.1:6001"
    assert rig.pinger.get_timer() == 20.0


def test_a_dead_contact_is_dropped_after_its_misses_and_a_live_one_stays() -> None:
    rig = Rig(misses=2)
    rig.location.put(binding("1001", 6001))
    rig.location.put(binding("1002", 6002))
    rig.step(10, answer={6001})  # round 1: both pinged
    rig.step(10, answer={6001})  # round 2: 1002's first miss
    assert rig.alive() == ["1001", "1002"]
    rig.step(10, answer={6001})  # round 3: its second miss: dropped
    assert rig.alive() == ["1001"]
    persisted = [a for a in rig.actions if isinstance(a, PersistBindings)]
    assert len(persisted) == 1
    change = persisted[0].changes[0]
    assert change.kind is ChangeKind.REMOVED and change.binding.aor == "1002"
    assert [a.kind for a in rig.actions if isinstance(a, LogEvent)] == ["registration.dropped"]
    assert rig.pinger.dropped == 1
    rig.step(100, answer={6001})
    assert rig.alive() == ["1001"]
    assert len(rig.layer) <= 1  # nothing piles up in the transaction layer


def test_one_answer_clears_the_misses() -> None:
    rig = Rig(misses=2)
    rig.location.put(binding("1002", 6002))
    rig.step(10)  # round 1 pinged, never answered
    rig.step(10, answer={6002})  # a miss; round 2's ping answered: the miss forgotten
    rig.step(10)  # no miss; round 3's ping never answered
    rig.step(10)  # one miss, not two in a row
    assert rig.alive() == ["1002"]
    rig.step(10)  # the second in a row
    assert rig.alive() == []


def test_an_unregistered_contact_is_forgotten() -> None:
    rig = Rig(misses=3)
    b = binding("1002", 6002)
    rig.location.put(b)
    rig.step(10)
    rig.step(10)
    rig.location.remove(b)
    rig.step(10)
    assert rig.pinger._misses == {} and rig.pinger._waiting == {}
    assert not [a for a in rig.actions if isinstance(a, PersistBindings)]


def test_policy_needs_a_positive_interval_and_a_miss() -> None:
    for interval, misses in ((0, 2), (-1, 2), (10, 0)):
        with pytest.raises(ValueError):
            PingPolicy(interval, misses)
