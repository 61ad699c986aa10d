from __future__ import annotations

import pytest

from softswitch.config import parse_config
from softswitch.errors import ConfigError


def test_parking_defaults_and_values() -> None:
    default = parse_config("", "x.toml").parking
    assert default.slots[0] == "701" and default.slots[-1] == "720" and default.timeout == 120
    parking = parse_config('[parking]\nslots = "71-73"\ntimeout = 30\n', "x.toml").parking
    assert (parking.slots, parking.timeout) == (("71", "72", "73"), 30.0)


@pytest.mark.parametrize(("text", "key"), [
    ('[parking]\nslots = "73-71"\n', "parking.slots"),
    ("[parking]\ntimeout = 0\n", "parking.timeout"),
])
def test_parking_errors_name_the_key(text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "x.toml")
    assert f"x.toml:2: {key}:" in str(info.value)
