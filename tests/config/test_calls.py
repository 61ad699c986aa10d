from __future__ import annotations

import pytest

from softswitch.call.ringback import RingbackMode
from softswitch.config import parse_config
from softswitch.errors import ConfigError


def test_calls_section_defaults_and_values() -> None:
    assert parse_config("", "x.toml").calls.rtp_ports == (20000, 29999)
    calls = parse_config('[calls]\nring_timeout = 20\nrtp_ports = "30000-30100"\n'
                         'media_address = "192.0.2.5"\n', "x.toml").calls
    assert (calls.ring_timeout, calls.rtp_ports, calls.media_address) == (
        20.0, (30000, 30100), "192.0.2.5")


@pytest.mark.parametrize(("text", "line", "key"), [
    ('[calls]\nrtp_ports = "5-3"\n', 2, "calls.rtp_ports"),
    ('[calls]\n\nrtp_ports = "20000"\n', 3, "calls.rtp_ports"),
    ("[calls]\nring_timeout = -1\n", 2, "calls.ring_timeout"),
    ("[calls]\nringtimeout = 5\n", 2, "calls.ringtimeout"),
])
def test_calls_errors_name_line_and_key(text: str, line: int, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "x.toml")
    assert f"x.toml:{line}: {key}:" in str(info.value)


def test_ringback_is_the_phone_s_unless_the_switch_is_named() -> None:
    assert parse_config("", "x.toml").calls.ringback is RingbackMode.PHONE
    calls = parse_config('[calls]\nringback = "switch"\n', "x.toml").calls
    assert calls.ringback is RingbackMode.SWITCH
    with pytest.raises(ConfigError) as info:
        parse_config('[calls]\n\nringback = "tone"\n', "x.toml")
    assert 'x.toml:3: calls.ringback:' in str(info.value)
    assert '"phone", "switch"' in str(info.value)
