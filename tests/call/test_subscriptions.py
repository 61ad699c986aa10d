"""SUBSCRIBE/NOTIFY through the UA core on a ManualClock: a switch transaction layer and
a subscriber's raw messages, no sockets."""

from __future__ import annotations

import itertools

import pytest

from softswitch.call.actions import Respond
from softswitch.call.event_packages import DialogInfo, MessageSummary
from softswitch.call.line_states import LineStates
from softswitch.call.registrar import Registrar
from softswitch.call.subscriptions import SubscriptionPolicy, SubscriptionService
from softswitch.call.ua_core import ALLOWED, UserAgentCore
from softswitch.clock import ManualClock
from softswitch.sip.auth import DigestAuthenticator, answer_challenge
from softswitch.sip.dialog import new_tag
from softswitch.sip.message import Request, Response, make_response
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import Source
from softswitch.sip.throttle import AuthFailureThrottle, ThrottlePolicy
from softswitch.sip.transaction import TransactionLayer

PASSWORDS = {"1001": "pw1", "1002": "pw2"}
PHONE = Source("udp", "127.0.0.1", 5071, None)


class Switch:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.layer = TransactionLayer()
        self.counts = {"1001": (0, 0), "1002": (0, 0)}
        self.lines = LineStates()
        self.core = UserAgentCore(
            registrar=Registrar(),
            authenticator=DigestAuthenticator(realm="pbx.test", key=b"k" * 32,
                                              password_for=PASSWORDS.get),
            throttle=AuthFailureThrottle(ThrottlePolicy()), user_agent="test",
            tag_factory=new_tag)
        self.service = SubscriptionService(
            layer=self.layer, local={"udp": ("127.0.0.1", 5060)},
            watchable=PASSWORDS.__contains__,
            packages={"message-summary": MessageSummary(self.counts.__getitem__, "pbx.test"),
                      "dialog": DialogInfo(self.lines, "pbx.test")},
            policy=SubscriptionPolicy(min_expires=60, default_expires=600), lines=self.lines)
        self.core.subscriptions = self.service
        self.actions: list = []
        self.branches = itertools.count(1)
        self.cseq = itertools.count(1)

    def pump(self) -> list[Request | Response]:
        """Run the core on every event; what the switch sent, parsed."""
        sent = []
        while True:
            busy = False
            while (event := self.layer.next_event()) is not None:
                busy = True
                for action in self.core.handle(event, self.clock.now(), self.clock.wall()):
                    if isinstance(action, Respond):
                        self.layer.respond(action.tid, action.response, self.clock.now())
                    else:
                        self.actions.append(action)
            while (out := self.layer.next_send()) is not None:
                busy = True
                sent.append(parse_message(out.data))
            if not busy:
                return sent

    def subscribe(self, user: str, resource: str, event: str = "message-summary", *,
                  expires: int | None = 600, to_tag: str | None = None,
                  call_id: str = "sub-1", extra: tuple[tuple[str, str], ...] = (),
                  password: str | None = None) -> list[Request | Response]:
        """A SUBSCRIBE answered its challenge; what the switch sent after it."""
        def build(auth: str | None) -> Request:
            lines = [f"SUBSCRIBE sip:{resource}@pbx.test SIP/2.0",
                     f"Via: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK{next(self.branches)}",
                     "Max-Forwards: 70",
                     f"From: <sip:{user}@pbx.test>;tag=subtag",
                     f"To: <sip:{resource}@pbx.test>" + (f";tag={to_tag}" if to_tag else ""),
                     f"Call-ID: {call_id}", f"CSeq: {next(self.cseq)} SUBSCRIBE",
                     f"Contact: <sip:{user}@127.0.0.1:5071>", f"Event: {event}"]
            if expires is not None:
                lines.append(f"Expires: {expires}")
            lines += [f"{k}: {v}" for k, v in extra]
            if auth:
                lines.append(f"Authorization: {auth}")
            message = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode())
            assert isinstance(message, Request)
            return message

        first = build(None)
        self.layer.receive(first, PHONE, self.clock.now())
        sent = self.pump()
        assert isinstance(sent[0], Response) and sent[0].status == 401
        challenge = sent[0].headers.get("www-authenticate") or ""
        auth = answer_challenge(challenge, "SUBSCRIBE", str(first.uri), user,
                                password or PASSWORDS[user], "c0ffee", 1)
        self.layer.receive(build(auth), PHONE, self.clock.now())
        return self.pump()

    def answer(self, notify: Request, status: int = 200) -> None:
        self.layer.receive(make_response(notify, status), PHONE, self.clock.now())
        self.pump()


def notifies(sent: list) -> list[Request]:
    return [m for m in sent if isinstance(m, Request) and m.method == "NOTIFY"]


def final(sent: list) -> Response:
    return next(m for m in sent if isinstance(m, Response) and m.status >= 200)


@pytest.fixture
def switch() -> Switch:
    return Switch()


def test_subscribe_is_allowed_and_answered_200_then_notify(switch: Switch) -> None:
    assert "SUBSCRIBE" in ALLOWED
    switch.counts["1001"] = (2, 5)
    sent = switch.subscribe("1001", "1001")
    response = final(sent)
    assert response.status == 200
    assert response.headers.get("expires") == "600"
    assert response.to.tag and response.headers.get("contact")
    assert sent.index(response) < sent.index(notifies(sent)[0])  # 200 goes first
    notify = notifies(sent)[0]
    assert notify.headers.get("event") == "message-summary"
    assert notify.headers.get("subscription-state") == "active;expires=600"
    assert notify.headers.get("content-type") == "application/simple-message-summary"
    assert notify.from_.tag == response.to.tag and notify.to.tag == "subtag"
    body = notify.body.decode()
    assert "Messages-Waiting: yes" in body and "Voice-Message: 2/5 (0/0)" in body
    assert len(switch.service) == 1


def test_wrong_password_is_refused_and_nothing_subscribed(switch: Switch) -> None:
    sent = switch.subscribe("1001", "1001", password="bad")
    assert final(sent).status == 401 and not notifies(sent)
    assert len(switch.service) == 0


def test_message_summary_of_another_mailbox_is_forbidden(switch: Switch) -> None:
    assert final(switch.subscribe("1001", "1002")).status == 403


@pytest.mark.parametrize("event, status", [("presence", 489), ("", 489)])
def test_unknown_or_missing_event_package_gets_489(switch: Switch, event: str,
                                                   status: int) -> None:
    response = final(switch.subscribe("1001", "1001", event=event))
    assert response.status == status
    assert "message-summary" in (response.headers.get("allow-events") or "")


def test_unknown_resource_gets_404(switch: Switch) -> None:
    assert final(switch.subscribe("1001", "4444", event="dialog")).status == 404


def test_too_brief_expires_gets_423_with_min_expires(switch: Switch) -> None:
    response = final(switch.subscribe("1001", "1001", expires=5))
    assert response.status == 423 and response.headers.get("min-expires") == "60"


def test_accept_without_the_package_type_gets_406(switch: Switch) -> None:
    response = final(switch.subscribe("1001", "1001", extra=(("Accept", "text/plain"),)))
    assert response.status == 406


def test_expires_above_the_maximum_is_capped(switch: Switch) -> None:
    assert final(switch.subscribe("1001", "1001", expires=99999)).headers.get(
        "expires") == "3600"


def test_change_notifies_the_watchers_only(switch: Switch) -> None:
    first = switch.subscribe("1001", "1001")
    switch.answer(notifies(first)[0])
    switch.counts["1001"] = (1, 0)
    assert switch.service.changed("message-summary", "1001", switch.clock.now()) == 1
    assert switch.service.changed("message-summary", "1002", switch.clock.now()) == 0
    notify = notifies(switch.pump())[0]
    assert "Voice-Message: 1/0" in notify.body.decode()
    assert notify.cseq.seq == 2


def test_refresh_extends_and_unsubscribe_ends_with_a_final_notify(switch: Switch) -> None:
    sent = switch.subscribe("1001", "1001")
    tag = final(sent).to.tag
    switch.answer(notifies(sent)[0])
    switch.clock.advance(500)
    sent = switch.subscribe("1001", "1001", to_tag=tag, expires=600)
    assert final(sent).status == 200
    assert notifies(sent)[0].headers.get("subscription-state") == "active;expires=600"
    switch.clock.advance(200)  # past the first expiry, inside the refreshed one
    switch.actions += switch.service.handle_timer(switch.clock.now())
    assert len(switch.service) == 1
    sent = switch.subscribe("1001", "1001", to_tag=tag, expires=0)
    assert final(sent).status == 200
    assert notifies(sent)[0].headers.get("subscription-state") == "terminated;reason=timeout"
    assert len(switch.service) == 0 and switch.service.get_timer() is None


def test_refresh_of_an_unknown_subscription_gets_481(switch: Switch) -> None:
    assert final(switch.subscribe("1001", "1001", to_tag="nope")).status == 481


def test_expiry_sends_terminated_and_forgets(switch: Switch) -> None:
    sent = switch.subscribe("1001", "1001", expires=60)
    switch.answer(notifies(sent)[0])
    assert switch.service.get_timer() == pytest.approx(60)
    switch.clock.advance(60)
    actions = switch.service.handle_timer(switch.clock.now())
    assert [a.fields["reason"] for a in actions] == ["expired"]
    notify = notifies(switch.pump())[0]
    assert notify.headers.get("subscription-state") == "terminated;reason=timeout"
    assert len(switch.service) == 0


def test_notify_answered_481_ends_the_subscription(switch: Switch) -> None:
    sent = switch.subscribe("1001", "1001")
    switch.answer(notifies(sent)[0], 481)
    assert len(switch.service) == 0
    assert any(getattr(a, "kind", "") == "subscription.ended" for a in switch.actions)


def test_unanswered_notify_ends_the_subscription(switch: Switch) -> None:
    switch.subscribe("1001", "1001")
    for _ in range(40):  # timer F: 64 * T1 = 32 s
        switch.clock.advance(1.0)
        switch.layer.handle_timer(switch.clock.now())
        switch.pump()
    assert len(switch.service) == 0


def test_unsubscribe_in_the_first_subscribe_gets_one_final_notify(switch: Switch) -> None:
    sent = switch.subscribe("1001", "1001", expires=0)
    assert final(sent).status == 200
    assert notifies(sent)[0].headers.get("subscription-state").startswith("terminated")
    assert len(switch.service) == 0


def test_dialog_package_follows_a_call(switch: Switch) -> None:
    sent = switch.subscribe("1001", "1002", event="dialog")
    first = notifies(sent)[0]
    assert first.headers.get("content-type") == "application/dialog-info+xml"
    assert "<dialog " not in first.body.decode() and 'version="0"' in first.body.decode()
    switch.answer(first)
    states = []
    for kind, fields in [("call.offered", {"caller": "1003", "callee": "1002"}),
                         ("call.ringing", {}), ("call.answered", {}), ("call.ended", {})]:
        assert switch.service.on_call_event(kind, "c1", fields, switch.clock.now()) == 1
        notify = notifies(switch.pump())[0]
        switch.answer(notify)
        body = notify.body.decode()
        assert 'direction="recipient"' in body and "sip:1003@pbx.test" in body
        states.append(body.split("<state>")[1].split("<")[0])
    assert states == ["trying", "early", "confirmed", "terminated"]
    assert len(switch.lines) == 0


def test_subscribe_without_service_gets_489() -> None:
    switch = Switch()
    switch.core.subscriptions = None
    line = ("SUBSCRIBE sip:1001@pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5071;"
            "branch=z9hG4bKx\r\nFrom: <sip:1001@pbx.test>;tag=a\r\nTo: <sip:1001@pbx.test>"
            "\r\nCall-ID: x\r\nCSeq: 1 SUBSCRIBE\r\nEvent: dialog\r\n\r\n")
    switch.layer.receive(parse_message(line.encode()), PHONE, 0.0)
    assert final(switch.pump()).status == 489
