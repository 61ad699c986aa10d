from __future__ import annotations

import pytest

from softswitch.call.dialplan import NOT_FOUND, DialPlan, Refuse, RingExtension, Rule


def test_extensions_ring_and_anything_else_is_not_found() -> None:
    plan = DialPlan.for_extensions(["1001", "1002"])
    assert plan.route("1002") == RingExtension("1002")
    assert plan.route("10021") == NOT_FOUND  # the whole number must match
    assert plan.route("") == NOT_FOUND
    assert plan.route("1.01") == NOT_FOUND  # extensions are matched literally


def test_rules_are_tried_in_order_and_targets_are_data() -> None:
    emergency = Refuse(503, "Use a real phone")
    plan = DialPlan((Rule(r"11[02]", emergency), Rule(r"\d{4}")))
    assert plan.route("112") is emergency
    assert plan.route("4242") == RingExtension("4242")
    assert plan.route("55") == NOT_FOUND


def test_an_empty_plan_finds_nothing() -> None:
    assert DialPlan.for_extensions([]).route("1001") == NOT_FOUND


@pytest.mark.parametrize("number", ["*72", "+4930", "a" * 200])
def test_odd_numbers_get_an_answer(number: str) -> None:
    assert DialPlan.for_extensions(["1001"]).route(number) == NOT_FOUND
