"""Forwarding and do-not-disturb in [[users]]: validated with clear errors, turned into
the rules the call layer starts from."""

from __future__ import annotations

from pathlib import Path

import pytest

from softswitch.call.forwarding import ForwardRules
from softswitch.config.forwarding import forwarding_rules
from softswitch.config.loader import load_config
from softswitch.errors import ConfigError

USERS = """
[[users]]
extension = "1001"
password = "a"
forward_always = "1002"

[[users]]
extension = "1002"
password = "b"
forward_busy = "1003"
forward_no_answer = "1001"
dnd = true

[[users]]
extension = "1003"
password = "c"
"""


def load(tmp_path: Path, text: str):
    path = tmp_path / "softswitch.toml"
    path.write_text(text)
    return load_config(path)


def test_rules_come_from_the_users(tmp_path: Path) -> None:
    config = load(tmp_path, USERS)
    assert forwarding_rules(config.users) == {
        "1001": ForwardRules(always="1002"),
        "1002": ForwardRules(busy="1003", no_answer="1001", dnd=True)}


@pytest.mark.parametrize(("change", "words"), [
    ('forward_always = "1002"', "not the extension of a configured user"),
    ('forward_busy = "1009"', "not the extension of a configured user"),
    ('forward_no_answer = "1003"', "cannot forward to itself"),
    ('forward_always = "12ab"', "not an extension"),
    ('dnd = "yes"', "true or false"),
])
def test_bad_forwards_are_refused_with_the_key_named(tmp_path: Path, change: str,
                                                      words: str) -> None:
    text = f'[[users]]\nextension = "1003"\npassword = "c"\n{change}\n'
    with pytest.raises(ConfigError) as error:
        load(tmp_path, text)
    assert words in str(error.value)
    assert change.split(" ")[0] in str(error.value)
