"""`[calls] media_timeout`: off unless set (phones without audio in tests), 60 s in the
file a first start writes, never negative."""

from __future__ import annotations

import random

import pytest

from softswitch.config import parse_config
from softswitch.config.first_start import default_config_text
from softswitch.errors import ConfigError


def test_media_timeout_is_off_by_default_and_read_when_set() -> None:
    assert parse_config("", "x.toml").calls.media_timeout == 0.0
    assert parse_config("[calls]\nmedia_timeout = 2.5\n", "x.toml").calls.media_timeout == 2.5
    assert parse_config("[calls]\nmedia_timeout = 0\n", "x.toml").calls.media_timeout == 0.0


def test_a_negative_media_timeout_names_line_and_key() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("[calls]\n\nmedia_timeout = -5\n", "x.toml")
    assert "x.toml:3: calls.media_timeout:" in str(info.value)


def test_the_first_start_file_ends_silent_calls_after_a_minute() -> None:
    text = default_config_text(random.Random(1))
    assert parse_config(text, "softswitch.toml").calls.media_timeout == 60.0
