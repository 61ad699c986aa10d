from __future__ import annotations

import pytest

from softswitch.config import parse_config
from softswitch.errors import ConfigError


def test_conference_defaults_and_pins() -> None:
    default = parse_config("", "x.toml").conference
    assert default.rooms == tuple(str(n) for n in range(800, 810)) and default.pins == {}
    conference = parse_config('[conference]\nrooms = "850-851"\n[conference.pins]\n'
                              '851 = "4321"\n', "x.toml").conference
    assert conference.rooms == ("850", "851") and conference.pins == {"851": "4321"}


@pytest.mark.parametrize(("text", "needle"), [
    ('[conference]\nrooms = "8x"\n', "conference.rooms"),
    ('[conference]\nrooms = "800-801"\n[conference.pins]\n805 = "1"\n', "not one of the rooms"),
    ('[conference.pins]\n800 = "12ab"\n', "1 to 16 digits"),
    ('[conference.pins]\n800 = 1234\n', "1 to 16 digits"),
])
def test_conference_errors_are_clear(text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "x.toml")
    assert needle in str(info.value)


def test_pickup_group_is_a_checked_user_setting() -> None:
    users = '[[users]]\nextension = "1002"\npassword = "p"\npickup_group = "sales"\n'
    assert parse_config(users, "x.toml").users[0].pickup_group == "sales"
    with pytest.raises(ConfigError) as info:
        parse_config(users.replace('"sales"', '"sales floor"'), "x.toml")
    assert "users[0].pickup_group" in str(info.value) or "pickup_group" in str(info.value)
