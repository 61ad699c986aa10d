"""Supervisor sessions: the mix of each mode, mode keys, and sessions ending."""

from __future__ import annotations

from softswitch.call.actions import LogEvent
from softswitch.call.supervisor import MIX, Mode, MonitorMedia, Supervision


def test_each_mode_mixes_as_documented() -> None:
    assert (MIX[Mode.LISTEN].talk, MIX[Mode.LISTEN].whisper) == (False, False)
    assert (MIX[Mode.WHISPER].talk, MIX[Mode.WHISPER].whisper) == (False, True)
    assert (MIX[Mode.BARGE].talk, MIX[Mode.BARGE].whisper) == (True, False)


def test_start_joins_the_agents_leg_and_logs_who_watches_whom() -> None:
    supervision = Supervision()
    actions = supervision.start("sup-call", 7, "1009", "customer-call", "alice", 3,
                                "whisper", now=10.0)
    assert actions[0] == MonitorMedia(7, 3, talk=False, whisper=True)
    event = actions[1]
    assert isinstance(event, LogEvent) and event.kind == "supervisor.started"
    assert event.fields == {"supervisor": "1009", "agent": "alice", "mode": "whisper",
                            "target_call": "customer-call"}
    assert supervision.watching("customer-call") == ["sup-call"]


def test_keys_change_mode_and_other_keys_do_nothing() -> None:
    supervision = Supervision()
    supervision.start("s", 7, "1009", "c", "alice", 3, Mode.LISTEN, now=0.0)
    assert supervision.key("s", "1") == []  # already listening
    assert supervision.key("s", "9") == []
    barge = supervision.key("s", "3")
    assert barge[0] == MonitorMedia(7, 3, talk=True, whisper=False)
    assert isinstance(barge[1], LogEvent) and barge[1].fields["mode"] == "barge"
    assert supervision.key("unknown", "2") == []


def test_ending_reports_the_time_spent_once() -> None:
    supervision = Supervision()
    supervision.start("s", 7, "1009", "c", "alice", 3, Mode.LISTEN, now=5.0)
    (event,) = supervision.ended("s", now=17.5)
    assert event.kind == "supervisor.ended" and event.fields["seconds"] == 12.5
    assert supervision.ended("s", now=18.0) == []
    assert supervision.watching("c") == []
