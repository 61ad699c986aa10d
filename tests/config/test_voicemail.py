"""[[users]] voicemail settings: diverting unanswered calls, and the PIN."""

from __future__ import annotations

import pytest

from softswitch.config.loader import parse_config
from softswitch.errors import ConfigError

BASE = '[[users]]\nextension = "1002"\npassword = "pw"\n'


def test_voicemail_is_off_and_the_pin_unset_by_default() -> None:
    user = parse_config(BASE, "t.toml").user("1002")
    assert user is not None and user.voicemail is False and user.voicemail_pin is None


def test_voicemail_and_pin_are_read() -> None:
    user = parse_config(BASE + 'voicemail = true\nvoicemail_pin = "0815"\n', "t.toml").user("1002")
    assert user is not None and user.voicemail is True and user.voicemail_pin == "0815"


def test_the_pin_is_secret() -> None:
    config = parse_config(BASE + 'voicemail_pin = "0815"\n', "t.toml")
    assert "0815" not in repr(config.users[0])


@pytest.mark.parametrize(("line", "key"), [('voicemail_pin = "12a4"', "voicemail_pin"),
                                           ('voicemail_pin = ""', "voicemail_pin"),
                                           ('voicemail = "yes"', "voicemail")])
def test_bad_settings_are_located(line: str, key: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(BASE + line + "\n", "t.toml")
    assert error.value.key is not None and key in str(error.value.key)
    assert error.value.line == 4
