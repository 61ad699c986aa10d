"""The ACD's place-in-line announcements turned into prompts a caller can hear."""

from __future__ import annotations

from softswitch.acd import Acd, Agent, QueueConfig, Tier
from softswitch.acd.effects import PlayAnnouncement
from softswitch.call.center_announcements import announcement_prompts
from softswitch.media.prompts import PromptLibrary

LIBRARY = set(PromptLibrary())


def _second_caller_announced(default_aht: float | None) -> PlayAnnouncement:
    """One agent busy with a first caller; the second caller's first announcement."""
    queue = QueueConfig(name="q", tiers=(Tier("a"),), announce_every=30.0)
    acd = Acd(queues=[queue], agents=[Agent(id="a", extension="1001")],
              default_aht=default_aht)
    acd.login("a", 0.0)
    acd.enqueue("c1", "q", 0.0)
    acd.agent_answered("c1", "a", 1.0)
    acd.enqueue("c2", "q", 2.0)
    [announcement] = [e for e in acd.handle_timers(32.0) if isinstance(e, PlayAnnouncement)]
    assert announcement.call_id == "c2"
    return announcement


def test_no_wait_is_announced_when_the_acd_has_no_estimate() -> None:
    announcement = _second_caller_announced(default_aht=None)
    said = announcement_prompts(announcement.prompts, "en")
    assert said == ("en/you_are_caller_number", "en/1")
    assert not any("wait" in name or "minute" in name for name in said)


def test_position_and_expected_wait_are_said_with_prompts_that_exist() -> None:
    announcement = _second_caller_announced(default_aht=240.0)
    for language in ("en", "zh"):
        said = announcement_prompts(announcement.prompts, language)
        assert said[0] == f"{language}/you_are_caller_number"
        assert f"{language}/expected_wait" in said
        assert said[-1] == f"{language}/minutes"
        assert set(said) <= LIBRARY, set(said) - LIBRARY


def test_numbers_are_said_in_the_callers_language() -> None:
    tokens = ("queue-position", "2", "queue-wait-minutes", "2")
    assert announcement_prompts(tokens, "zh") == (
        "zh/you_are_caller_number", "zh/2", "zh/caller_number_suffix",
        "zh/expected_wait", "zh/two", "zh/minutes")
    assert announcement_prompts(("queue-wait-minutes", "1"), "en") == (
        "en/expected_wait", "en/1", "en/minute")
    # a language with no number rules is spoken in the first one
    assert announcement_prompts(("queue-position", "3"), "fr") == (
        "en/you_are_caller_number", "en/3")


def test_tokens_that_cannot_be_said_are_left_out() -> None:
    assert announcement_prompts(("queue-position",), "en") == ()
    assert announcement_prompts(("queue-position", "x", "please_hold"), "en") == (
        "please_hold",)
    assert announcement_prompts(("queue-position", "5000"), "en") == ()
    assert announcement_prompts(("queue-position", "-1"), "en") == ()
