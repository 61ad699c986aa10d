"""The trunk REGISTER client against a carrier made of the switch's own digest checker,
through a real transaction layer, on a manual clock."""

from __future__ import annotations

import os

from softswitch.call.actions import LogEvent
from softswitch.call.trunk_registration import (
    REFRESH_AT,
    RegState,
    TrunkRegistration,
    TrunkRegistrations,
)
from softswitch.clock import ManualClock
from softswitch.config.trunks import TrunkConfig
from softswitch.sip.auth import DigestAuthenticator
from softswitch.sip.message import Request, Response, make_response
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import Source
from softswitch.sip.transaction import TransactionLayer
from softswitch.sip.transaction_events import ResponseReceived, TransactionTimeout

CARRIER = Source("udp", "192.0.2.10", 5060)
PASSWORD = "s3cret-trunk"


def trunk(**changes: object) -> TrunkConfig:
    base: dict[str, object] = dict(name="carrier", host="192.0.2.10", username="acme",
                                   password=PASSWORD, register=True, expires=600)
    base.update(changes)
    return TrunkConfig(**base)  # type: ignore[arg-type]


class Carrier:
    """A registrar that challenges with 401 and grants what it is asked, or less."""

    def __init__(self, password: str = PASSWORD, grant: int | None = None) -> None:
        self.auth = DigestAuthenticator(realm="carrier.example", key=os.urandom(32),
                                        password_for={"acme": password}.get)
        self.grant = grant
        self.seen: list[Request] = []

    def answer(self, request: Request, now: float) -> Response:
        self.seen.append(request)
        result = self.auth.check_request(request, now)
        if not result.ok:
            return self.auth.challenge_response(request, result, to_tag="c1")
        response = make_response(request, 200, to_tag="c1")
        expires = self.grant if self.grant is not None else int(request.headers.get("expires"))
        response.headers.add("Contact", f"{request.headers.get('contact')};expires={expires}")
        return response


class Harness:
    def __init__(self, carrier: Carrier | None, **changes: object) -> None:
        self.clock = ManualClock()
        self.layer = TransactionLayer()
        self.client = TrunkRegistration(trunk(**changes), "sip:acme@198.51.100.1:5060",
                                        local_via="SIP/2.0/UDP 198.51.100.1:5060;rport",
                                        cnonce=lambda: "0a4f113b")
        self.regs = TrunkRegistrations(self.layer, [self.client])
        self.carrier = carrier
        self.logs: list[LogEvent] = []

    def run_until(self, t: float) -> None:
        """Advance to `t`, waking at every timer, with the carrier answering at once."""
        while True:
            deadlines = [d for d in (self.layer.get_timer(), self.regs.get_timer())
                         if d is not None]
            nxt = min(deadlines, default=None)
            if nxt is None or nxt > t:
                break
            self.clock.advance(max(0.0, nxt - self.clock.now()))
            now = self.clock.now()
            self.layer.handle_timer(now)
            self.logs += [a for a in self.regs.handle_timer(now) if isinstance(a, LogEvent)]
            self.pump()
        self.clock.advance(max(0.0, t - self.clock.now()))

    def pump(self) -> None:
        now = self.clock.now()
        while True:
            progressed = False
            while (out := self.layer.next_send()) is not None:
                progressed = True
                message = parse_message(out.data)
                if isinstance(message, Request) and self.carrier is not None:
                    answer = self.carrier.answer(message, now)
                    self.layer.receive(parse_message(bytes(answer)), CARRIER, now)
            while (event := self.layer.next_event()) is not None:
                progressed = True
                if isinstance(event, ResponseReceived):
                    actions = self.regs.on_response(event.tid, event.response, now)
                elif isinstance(event, TransactionTimeout):
                    actions = self.regs.on_timeout(event.tid, now)
                else:
                    actions = []
                self.logs += [a for a in actions if isinstance(a, LogEvent)]
            if not progressed:
                return


def test_a_401_is_answered_with_the_trunk_credentials_and_the_trunk_registers() -> None:
    h = Harness(Carrier())
    h.run_until(0.0)
    assert h.client.state is RegState.REGISTERED
    first, second = h.carrier.seen  # type: ignore[union-attr]
    assert "authorization" not in first.headers
    assert second.headers.get("authorization").startswith("Digest ")
    assert second.cseq.seq == first.cseq.seq + 1 and second.call_id == first.call_id
    assert second.headers.get("expires") == "600"
    assert PASSWORD not in bytes(second).decode()
    assert h.client.registered_until == 600.0
    assert [e.kind for e in h.logs] == ["trunk.registered"]
    assert PASSWORD not in repr(h.client.status()) + repr(h.logs)


def test_it_re_registers_at_eighty_percent_of_the_granted_time() -> None:
    h = Harness(Carrier(grant=100))
    h.run_until(0.0)
    assert h.client.registered_until == 100.0
    assert h.regs.get_timer() == 100 * REFRESH_AT
    count = len(h.carrier.seen)  # type: ignore[union-attr]
    h.run_until(79.9)
    assert len(h.carrier.seen) == count  # type: ignore[union-attr]
    h.run_until(80.0)
    assert h.client.state is RegState.REGISTERED
    refresh = h.carrier.seen[count]  # type: ignore[union-attr]
    # the refresh reuses the challenge it already has: no second round trip
    assert "authorization" in refresh.headers
    assert len(h.carrier.seen) == count + 1  # type: ignore[union-attr]
    assert h.client.registered_until == 180.0


def test_wrong_credentials_fail_and_retry_with_growing_backoff() -> None:
    h = Harness(Carrier(password="other"))
    h.run_until(0.0)
    assert h.client.state is RegState.FAILED and h.client.last_status == 401
    assert h.regs.get_timer() == 5.0
    assert len(h.carrier.seen) == 2  # type: ignore[union-attr]  (one answer, no loop)
    h.run_until(5.0)
    assert h.client.failures == 2 and h.regs.get_timer() == 15.0
    h.run_until(15.0)
    assert h.client.failures == 3 and h.regs.get_timer() == 35.0
    assert [e.kind for e in h.logs] == ["trunk.registration_failed"] * 3


def test_a_silent_carrier_times_out_then_recovers() -> None:
    h = Harness(None)
    h.run_until(33.0)  # timer F is 32 s
    assert h.client.state is RegState.FAILED and h.client.failures == 1
    h.carrier = Carrier()
    h.run_until(h.regs.get_timer() or 0.0)
    assert h.client.state is RegState.REGISTERED and h.client.failures == 0


def test_a_forbidden_answer_backs_off_and_the_backoff_is_capped() -> None:
    client = TrunkRegistration(trunk(), "sip:acme@h", local_via="SIP/2.0/UDP h:5060")
    for n in range(12):
        request = client.next_request(client.due or 0.0)
        assert request is not None
        client.on_response(make_response(request, 403), float(n))
    assert client.state is RegState.FAILED
    assert client.backoff() == 300.0


def test_a_stale_nonce_is_answered_again_not_counted_as_wrong() -> None:
    carrier = Carrier()
    client = TrunkRegistration(trunk(), "sip:acme@h", local_via="SIP/2.0/UDP h:5060")
    request = client.next_request(0.0)
    assert request is not None
    follow = client.on_response(carrier.answer(request, 0.0), 0.0)
    assert follow is not None and client.state is RegState.AUTHENTICATING
    result = carrier.auth.check_request(follow, 0.0)
    stale = carrier.auth.challenge_response(follow, result) if not result.ok else None
    assert stale is None  # the answer was right
    stale_challenge = make_response(follow, 401)
    for value in carrier.auth.challenges(1.0, stale=True):
        stale_challenge.headers.add("WWW-Authenticate", value)
    again = client.on_response(stale_challenge, 1.0)
    assert again is not None and client.state is RegState.AUTHENTICATING
    assert carrier.auth.check_request(again, 1.0).ok
