"""The switch's own calls over the in-memory network: what a waiting caller hears of the
ACD's announcements, and that the event log says so. ManualClock, no sockets."""

from __future__ import annotations

from typing import Any

from softswitch.acd.effects import PlayAnnouncement
from softswitch.call.actions import LogEvent
from softswitch.call.center_calls import CenterCalls, PlayPrompts
from softswitch.call.center_route import Answered
from softswitch.media.prompts import PromptLibrary
from tests.call.b2bua_network import SWITCH, Network

FLOW: dict[str, Any] = {
    "start": "language",
    "nodes": {
        "language": {"type": "language", "prompts": ["language_menu"],
                     "choices": {"1": "en", "2": "zh"}, "default": "en", "timeout": 6,
                     "next": "support"},
        "support": {"type": "queue", "queue": "support"},
    },
}


class QueueDesk:
    """The ACD's side of the port, as far as these calls reach it: who was queued."""

    def __init__(self) -> None:
        self.queued: list[tuple[str, str]] = []
        self.left: list[tuple[str, str, str]] = []
        self.hung_up: list[str] = []

    def enqueue(self, call_id: str, queue: str, number: str = "", priority: int = 0,
                skills: dict[str, int] | None = None) -> list[Any]:
        self.queued.append((call_id, queue))
        return []

    def hangup(self, call_id: str) -> list[Any]:
        self.hung_up.append(call_id)
        return []

    def leave(self, call_id: str, target_kind: str, target: str) -> list[Any]:
        self.left.append((call_id, target_kind, target))
        return []


class Mailbox:
    """The voicemail side: which legs were handed over, for which mailbox."""

    def __init__(self) -> None:
        self.taken: list[tuple[int, str]] = []

    def leave_message(self, leg: Any, mailbox: str, now: float,
                      wall: float) -> list[Any] | None:
        self.taken.append((leg.id, mailbox))
        return []


def _queued_caller(digit: str, desk: QueueDesk | None = None
                   ) -> tuple[Network, CenterCalls, str]:
    net = Network()
    center = CenterCalls(layer=net.layer, route=lambda number, user: Answered("ivr", "main")
                         if number == "5000" else None,
                         lookup=lambda ext: list(net.bindings.get(ext, [])), ports=net.ports,
                         local={"udp": SWITCH}, domain="pbx.test",
                         settings=net.b2bua.settings, prompts=set(PromptLibrary()),
                         flows={"main": FLOW})
    desk = desk or QueueDesk()
    center.center = desk  # type: ignore[assignment]
    net.core.center = center
    net.phone("1003", 6003).call("5000")
    net.pump()
    [call] = center.calls.values()
    net.actions.extend(center.digit(call.caller.id, digit, net.clock.now(), 0.0))
    net.actions.extend(center.take())
    assert desk.queued == [(call.call_id, "support")]
    return net, center, call.call_id


def _announce(center: CenterCalls, call_id: str) -> tuple[LogEvent, PlayPrompts]:
    center.play(PlayAnnouncement(call_id, ("queue-position", "2", "queue-wait-minutes", "3")))
    out = center.take()
    [event] = [a for a in out if isinstance(a, LogEvent) and a.kind == "queue.announced"]
    played = [a for a in out if isinstance(a, PlayPrompts)]
    return event, played[-1]


def test_an_announcement_is_logged_with_the_prompts_the_caller_hears() -> None:
    _, center, call_id = _queued_caller("1")
    event, played = _announce(center, call_id)
    assert event.call_id == call_id
    assert event.fields["queue"] == "support" and event.fields["language"] == "en"
    assert event.fields["tokens"] == ["queue-position", "2", "queue-wait-minutes", "3"]
    prompts = event.fields["prompts"]
    assert prompts[0] == "en/you_are_caller_number" and "en/expected_wait" in prompts
    # the log names what is played, then the queue's music
    assert list(played.names[:len(prompts)]) == prompts and played.loop


def test_a_caller_who_chose_mandarin_hears_the_announcement_in_mandarin() -> None:
    _, center, call_id = _queued_caller("2")
    event, _ = _announce(center, call_id)
    prompts = event.fields["prompts"]
    assert event.fields["language"] == "zh"
    assert prompts and all(name.startswith("zh/") for name in prompts), prompts
    assert prompts[0] == "zh/you_are_caller_number" and "zh/caller_number_suffix" in prompts


def test_no_announcement_once_the_caller_has_left_the_queue() -> None:
    _, center, call_id = _queued_caller("1")
    center.calls[call_id].phase = "bridged"
    center.play(PlayAnnouncement(call_id, ("queue-position", "1")))
    assert not [a for a in center.take() if isinstance(a, LogEvent)]


def test_pressing_0_in_the_queue_leaves_the_line_for_the_queues_mailbox() -> None:
    desk = QueueDesk()
    net, center, call_id = _queued_caller("1", desk)
    mailbox = Mailbox()
    center.voicemail = mailbox
    call = center.calls[call_id]
    out = center.digit(call.caller.id, "0", net.clock.now(), 0.0)
    assert mailbox.taken == [(call.caller.id, "support")]
    # the ACD hears a choice to leave for voicemail, not a hang-up (no abandon)
    assert desk.left == [(call_id, "voicemail", "support")] and desk.hung_up == []
    assert "queue.voicemail" in [a.kind for a in out if isinstance(a, LogEvent)]
