"""Voicemail legs on a manual clock: a diverted caller leaves a message, the owner dials
*97, enters the PIN and deletes it; SIP through a real transaction layer, no sockets."""

from __future__ import annotations

from dataclasses import dataclass

from softswitch.call.actions import CloseMedia, OpenMedia
from softswitch.call.b2bua import Offered
from softswitch.call.center_calls import PlayPrompts
from softswitch.call.feature_codes import FeatureTable
from softswitch.call.mailboxes import Mailboxes, MessageEntry
from softswitch.call.ports import PortRange
from softswitch.call.voicemail_calls import (
    ChangeMessage,
    FinishRecording,
    LoadMessage,
    RecordMessage,
    VoicemailCalls,
)
from softswitch.clock import ManualClock
from softswitch.sdp.negotiation import offer
from softswitch.sip.dialog import Dialog, new_tag
from softswitch.sip.message import Headers, Request
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import Source
from softswitch.sip.transaction import TransactionLayer
from softswitch.sip.transaction_events import RequestReceived
from softswitch.sip.uri import parse_uri

PHONE = Source("udp", "127.0.0.1", 5070, None)
PROMPTS = {"en/vm_greeting", "beep", "en/vm_saved", "en/vm_enter_pin", "en/vm_wrong_pin",
           "en/vm_message_menu", "en/vm_deleted", "en/vm_no_more_messages", "en/goodbye"}


@dataclass(frozen=True)
class Diverted:
    offered: Offered
    mailbox: str
    reason: str


def invite(number: str, user: str = "1001") -> Request:
    headers = Headers([
        ("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK" + new_tag()),
        ("Max-Forwards", "70"), ("From", f"<sip:{user}@pbx.test>;tag={new_tag()}"),
        ("To", f"<sip:{number}@pbx.test>"), ("Call-ID", new_tag()), ("CSeq", "1 INVITE"),
        ("Contact", "<sip:phone@127.0.0.1:5070>"), ("Content-Type", "application/sdp")])
    return Request("INVITE", parse_uri(f"sip:{number}@pbx.test"), headers,
                   str(offer("127.0.0.1", 40000)).encode())


class Switch:
    def __init__(self, messages: list[MessageEntry] | None = None,
                 diverts: bool = True) -> None:
        self.clock = ManualClock()
        self.layer = TransactionLayer()
        self.ports = PortRange(20000, 20099)
        self.vm = VoicemailCalls(
            layer=self.layer, mailboxes=Mailboxes(messages or []), features=FeatureTable(),
            ports=self.ports, local={"udp": ("127.0.0.1", 5060)},
            has_prompt=PROMPTS.__contains__, has_mailbox=lambda m: m in ("1001", "1002"),
            diverts=lambda m: diverts, pin_of=lambda m: "4321" if m == "1002" else None,
            max_message_seconds=60)

    def receive(self, request: Request) -> Offered:
        self.layer.receive(request, PHONE, self.clock.now())
        event = self.layer.next_event()
        assert isinstance(event, RequestReceived)
        return Offered(event.tid, event.request, PHONE, "1001")

    def sent(self) -> list:
        out = []
        while (message := self.layer.next_send()) is not None:
            out.append(parse_message(message.data))
        return out

    def now(self) -> tuple[float, float]:
        return self.clock.now(), self.clock.wall()


def plays(actions: list) -> list[tuple[str, ...]]:
    return [a.names for a in actions if isinstance(a, PlayPrompts)]


def test_a_diverted_caller_hears_the_greeting_and_the_beep_then_is_recorded() -> None:
    switch = Switch()
    request = invite("1002")
    offered = switch.receive(request)
    actions = switch.vm.divert(Diverted(offered, "1002", "no_answer"), *switch.now())
    assert actions is not None
    (answer,) = switch.sent()
    assert answer.status == 200 and b"m=audio" in answer.body
    leg = next(a.leg for a in actions if isinstance(a, OpenMedia))
    assert plays(actions) == [("en/vm_greeting",)]
    assert plays(switch.vm.prompt_finished(leg, *switch.now())) == [("beep",)]
    assert switch.vm.prompt_finished(leg, *switch.now()) == [RecordMessage(leg, "1002")]
    assert switch.vm.get_timer() == switch.clock.now() + 60
    switch.clock.advance(5)
    actions = switch.vm.digit(leg, "#", *switch.now())
    finish = next(a for a in actions if isinstance(a, FinishRecording))
    assert finish.keep is not None and finish.keep.duration == 5 and finish.keep.caller == "1001"
    assert plays(actions) == [("en/vm_saved",)]
    assert not switch.sent()  # the BYE waits for the confirmation to be heard
    actions = switch.vm.prompt_finished(leg, *switch.now())
    (bye,) = switch.sent()
    assert bye.method == "BYE"


def test_a_user_without_voicemail_is_not_diverted() -> None:
    switch = Switch(diverts=False)
    offered = switch.receive(invite("1002"))
    assert switch.vm.divert(Diverted(offered, "1002", "busy"), *switch.now()) is None
    assert switch.sent() == [] and switch.ports.in_use == 0


def test_a_caller_hanging_up_while_recording_keeps_the_message_and_frees_the_leg() -> None:
    switch = Switch()
    request = invite("1002")
    offered = switch.receive(request)
    actions = switch.vm.divert(Diverted(offered, "1002", "busy"), *switch.now()) or []
    (answer,) = switch.sent()
    leg = next(a.leg for a in actions if isinstance(a, OpenMedia))
    switch.vm.prompt_finished(leg, *switch.now())
    switch.vm.prompt_finished(leg, *switch.now())
    switch.clock.advance(3)
    dialog = Dialog.as_uac(request, answer)
    bye = dialog.create_request("BYE", via="SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKbye1")
    switch.layer.receive(bye, PHONE, switch.clock.now())
    event = switch.layer.next_event()
    assert isinstance(event, RequestReceived)
    actions = switch.vm.in_dialog(event.tid, event.request, *switch.now()) or []
    finish = next(a for a in actions if isinstance(a, FinishRecording))
    assert finish.keep is not None and finish.keep.duration == 3
    assert CloseMedia(leg) in actions
    assert actions.index(finish) < actions.index(CloseMedia(leg))
    assert switch.vm.legs == {} and switch.ports.in_use == 0


def test_star_97_asks_the_pin_plays_the_message_and_deletes_it_on_7() -> None:
    message = MessageEntry(7, "1002", "1001", 1.0, "/data/voicemail/1002/7.wav", "new")
    switch = Switch([message])
    offered = switch.receive(invite("*97", user="1002"))
    offered = Offered(offered.tid, offered.request, PHONE, "1002")
    actions = switch.vm.offer(offered, *switch.now()) or []
    assert switch.sent()[0].status == 200
    leg = next(a.leg for a in actions if isinstance(a, OpenMedia))
    assert plays(actions) == [("en/vm_enter_pin",)]
    for digit in "1234":
        switch.vm.digit(leg, digit, *switch.now())
    assert plays(switch.vm.digit(leg, "#", *switch.now())) == [
        ("en/vm_wrong_pin", "en/vm_enter_pin")]
    for digit in "4321":
        switch.vm.digit(leg, digit, *switch.now())
    actions = switch.vm.digit(leg, "#", *switch.now())
    assert LoadMessage("vm-message/7", 7, message.path) in actions
    assert plays(actions) == [("vm-message/7",)]
    assert plays(switch.vm.prompt_finished(leg, *switch.now())) == [("en/vm_message_menu",)]
    actions = switch.vm.digit(leg, "7", *switch.now())
    assert ChangeMessage("1002", 7, "deleted") in actions
    assert plays(actions) == [("en/vm_deleted", "en/vm_no_more_messages", "en/goodbye")]
    switch.vm.prompt_finished(leg, *switch.now())
    assert [m.method for m in switch.sent()] == ["BYE"]


def test_star_97_for_an_unknown_mailbox_is_404_and_other_numbers_are_not_ours() -> None:
    switch = Switch()
    offered = switch.receive(invite("*979999"))
    assert switch.vm.offer(offered, *switch.now()) == []
    assert switch.sent()[0].status == 404
    assert switch.vm.offer(switch.receive(invite("1003")), *switch.now()) is None
