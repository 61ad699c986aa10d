"""[sip] options_ping_interval and options_ping_misses: off by default, checked."""

from __future__ import annotations

import pytest

from softswitch.config.loader import parse_config
from softswitch.errors import ConfigError


def test_pings_are_off_unless_an_interval_is_given() -> None:
    sip = parse_config("", "pbx.toml").sip
    assert sip.options_ping_interval == 0 and sip.options_ping_misses == 2
    sip = parse_config("[sip]\noptions_ping_interval = 30\noptions_ping_misses = 3\n",
                       "pbx.toml").sip
    assert sip.options_ping_interval == 30.0 and sip.options_ping_misses == 3


@pytest.mark.parametrize("line", ["options_ping_interval = -1", "options_ping_misses = 0",
                                  'options_ping_interval = "often"'])
def test_bad_values_are_refused_with_the_key_named(line: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(f"[sip]\n{line}\n", "pbx.toml")
    assert line.split(" ")[0] in str(error.value)
