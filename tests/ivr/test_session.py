"""The IVR interpreter: menus with retries, collection, timeouts, hours and language."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from softswitch.clock import ManualClock
from softswitch.ivr.demo import DEMO_FLOW
from softswitch.ivr.effects import (
    CollectDigits,
    Emit,
    Hangup,
    IvrEffect,
    Play,
    StopPlayback,
    TransferToExtension,
    TransferToQueue,
    Voicemail,
)
from softswitch.ivr.flow import FlowError
from softswitch.ivr.session import IvrSession

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI).timestamp()    # Tuesday 10:00
NIGHT = dt.datetime(2026, 11, 24, 22, 0, tzinfo=SHANGHAI).timestamp()
HOLIDAY = dt.datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI).timestamp()


def plays(effects: list[IvrEffect]) -> list[tuple[str, ...]]:
    return [e.prompts for e in effects if isinstance(e, Play)]


def final(effects: list[IvrEffect]) -> IvrEffect:
    return effects[-1]


def demo(wall: float = OPEN) -> tuple[IvrSession, ManualClock]:
    clock = ManualClock()
    session = IvrSession(DEMO_FLOW, "c1")
    effects = session.start(clock.now(), wall)
    assert plays(effects) == [("choose-language",)]
    assert CollectDigits(1) in effects
    return session, clock


def test_demo_chinese_then_support() -> None:
    session, clock = demo()
    effects = session.digit("2", clock.advance(1))
    assert StopPlayback() in effects                    # barge-in over the prompt
    assert Play(("welcome", "main-menu"), "zh") in effects
    session.prompt_finished(clock.advance(4))
    effects = session.digit("2", clock.advance(1))
    assert final(effects) == TransferToQueue("support", {"support": 1}, 0,
                                             {"department": "support"}, "zh")
    assert session.done
    assert session.digit("1", clock.advance(1)) == []


def test_demo_operator() -> None:
    session, _ = demo()
    session.digit("1", 1.0)
    assert final(session.digit("0", 2.0)) == TransferToExtension("100", {})


def test_language_defaults_after_no_input() -> None:
    session, clock = demo()
    session.prompt_finished(clock.advance(3))
    assert session.next_deadline() == 8.0                # timeout starts after the prompt
    effects = session.handle_timers(8.0)                  # first silence: asked again
    assert plays(effects) == [("choose-language",)]
    clock.set(10.0)
    session.prompt_finished(clock.now())
    effects = session.handle_timers(clock.advance(5))                # second silence: default en
    assert Play(("welcome", "main-menu"), "en") in effects
    assert session.language == "en"


def test_menu_invalid_choice_then_retries_then_on_fail() -> None:
    session, _ = demo()
    session.digit("1", 1.0)
    effects = session.digit("7", 2.0)
    assert [e.kind for e in effects if isinstance(e, Emit)] == ["ivr.invalid"]
    assert plays(effects) == [("invalid-choice", "welcome", "main-menu")]
    session.prompt_finished(3.0)
    effects = session.handle_timers(9.0)
    assert plays(effects) == [("no-input", "welcome", "main-menu")]
    effects = session.digit("9", 10.0)                   # third failure > 2 retries
    assert final(effects) == TransferToExtension("100", {})


def test_closed_hours_and_holidays_go_to_voicemail() -> None:
    for wall in (NIGHT, HOLIDAY):
        session, _ = demo(wall)
        effects = session.digit("1", 1.0)
        assert plays(effects) == [("closed",)]
        effects = session.prompt_finished(5.0)
        assert final(effects) == Voicemail("100", {})


def test_wall_time_follows_the_monotonic_clock() -> None:
    evening = dt.datetime(2026, 11, 24, 17, 59, 50, tzinfo=SHANGHAI).timestamp()
    session, _ = demo(evening)
    session.prompt_finished(2.0)
    effects = session.digit("1", 20.0)                   # now 18:00:10: closed
    assert plays(effects) == [("closed",)]


COLLECT_FLOW = {
    "start": "account",
    "nodes": {
        "account": {"type": "collect", "prompts": ["enter-account"], "var": "account",
                    "max_digits": 4, "min_digits": 3, "terminator": "#", "timeout": 5,
                    "inter_digit_timeout": 3, "retries": 1, "noinput_prompt": "no-input",
                    "invalid_prompt": "too-short", "next": "vip"},
        "vip": {"type": "set", "priority": 5, "skills": {"billing": 3},
                "vars": {"tag": "vip"}, "next": "q"},
        "q": {"type": "queue", "queue": "billing"},
    },
}


def start_collect() -> IvrSession:
    session = IvrSession(COLLECT_FLOW, "c9")
    effects = session.start(0.0, OPEN)
    assert CollectDigits(4, "#") in effects
    session.prompt_finished(1.0)
    return session


def test_collect_until_max_digits() -> None:
    session = start_collect()
    for i, d in enumerate("1234"):
        effects = session.digit(d, 2.0 + i)
    assert final(effects) == TransferToQueue("billing", {"billing": 3}, 5,
                                             {"account": "1234", "tag": "vip"}, "en")


def test_collect_with_terminator() -> None:
    session = start_collect()
    session.digit("4", 2.0)
    session.digit("2", 2.5)
    session.digit("7", 3.0)
    effects = session.digit("#", 3.5)
    assert session.vars["account"] == "427"
    assert isinstance(final(effects), TransferToQueue)


def test_collect_inter_digit_timeout_accepts_enough_digits() -> None:
    session = start_collect()
    for t, d in ((2.0, "5"), (2.5, "5"), (3.0, "5")):
        session.digit(d, t)
    assert session.next_deadline() == 6.0
    effects = session.handle_timers(6.0)
    assert session.vars["account"] == "555" and isinstance(final(effects), TransferToQueue)


def test_collect_too_short_retries_then_hangs_up() -> None:
    session = start_collect()
    session.digit("1", 2.0)
    effects = session.digit("#", 2.5)
    assert plays(effects) == [("too-short", "enter-account")]
    session.prompt_finished(4.0)
    effects = session.handle_timers(9.0)
    assert final(effects) == Hangup("noinput after retries")


def test_bad_digit_and_double_start_are_refused() -> None:
    session = start_collect()
    assert session.digit("x", 2.0)[0].kind == "ivr.refused"  # type: ignore[union-attr]
    assert session.start(3.0, OPEN)[0].kind == "ivr.refused"  # type: ignore[union-attr]


def test_invalid_flow_is_refused_with_every_error() -> None:
    with pytest.raises(FlowError) as error:
        IvrSession({"start": "a", "nodes": {"a": {"type": "goto", "target": "b"}}})
    assert error.value.errors == ["node 'a': key 'target': 'b' is not a node"]


def test_a_loop_of_gotos_hangs_up() -> None:
    flow = {"start": "a", "nodes": {"a": {"type": "goto", "target": "b"},
                                    "b": {"type": "goto", "target": "a"}}}
    effects = IvrSession(flow).start(0.0, OPEN)
    assert final(effects) == Hangup("flow loops")


def test_play_without_next_hangs_up_after_prompt() -> None:
    flow = {"start": "p", "nodes": {"p": {"type": "play", "prompts": ["bye"]}}}
    session = IvrSession(flow)
    session.start(0.0, OPEN)
    assert session.digit("1", 0.5) == []
    assert final(session.prompt_finished(2.0)) == Hangup("end of flow")
