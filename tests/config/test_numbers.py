from __future__ import annotations

import pytest

from softswitch.config.numbers import MAX_NUMBERS, number_range


def test_a_range_lists_every_number_with_the_same_digits() -> None:
    assert number_range("701-703") == ("701", "702", "703")
    assert number_range(" 0800 - 0801 ") == ("0800", "0801")
    assert number_range("800") == ("800",)


@pytest.mark.parametrize("text", ["", "a-b", "720-701", "70-701", "1-", f"0-{MAX_NUMBERS}"])
def test_bad_ranges_are_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(ValueError):
        number_range(text)
