"""Editing [[users]] as text keeps the rest of the file, and the file is replaced whole."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from softswitch.config import parse_config
from softswitch.control.users_file import (
    UserEditError,
    add_user,
    change_user,
    remove_user,
    write_atomically,
)

TEXT = """# office phones
[sip]
domain = "pbx.test"

[[users]]
extension = "1001"   # reception
password = "a"

[[users]]
extension = "1002"
password = "b"
name = "Bo"

[security]
auth_failures = 3
"""


def test_add_change_remove_round_trip_through_the_real_parser() -> None:
    text = add_user(TEXT, "1003", 'p"w\\x', "Ann \u00e9")
    config = parse_config(text, "t.toml")
    assert config.user("1003").password == 'p"w\\x'  # type: ignore[union-attr]
    assert config.user("1003").name == "Ann \u00e9"  # type: ignore[union-attr]
    assert config.security.auth_failures == 3
    text = change_user(text, "1002", None, "Bob")
    config = parse_config(text, "t.toml")
    assert (config.user("1002").password, config.user("1002").name) == ("b", "Bob")  # type: ignore[union-attr]
    text = remove_user(text, "1001")
    config = parse_config(text, "t.toml")
    assert [u.extension for u in config.users] == ["1002", "1003"]
    assert text.startswith("# office phones\n[sip]")
    assert config.security.auth_failures == 3  # the table after the users survived


def test_duplicates_and_missing_users_are_refused() -> None:
    with pytest.raises(UserEditError, match="already exists"):
        add_user(TEXT, "1001", "x", None)
    with pytest.raises(UserEditError, match="no user"):
        remove_user(TEXT, "9999")
    with pytest.raises(UserEditError, match="no user"):
        change_user(TEXT, "9999", "x", None)


def test_write_atomically_sets_the_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "softswitch.toml"
    path.write_text("old")
    os.chmod(path, 0o644)
    write_atomically(path, "new", 0o600)
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["softswitch.toml"]
