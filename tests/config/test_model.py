from pathlib import Path

import pytest

from softswitch.config import ListenSpec, parse_config
from softswitch.config.model import Config, SipConfig, StorageConfig, expires_in_order


def test_defaults_are_valid() -> None:
    assert list(expires_in_order(SipConfig())) == []
    assert Config().users == ()


def test_expires_order() -> None:
    assert [p.path for p in expires_in_order(SipConfig(min_expires=10, max_expires=5))] == [
        ("min_expires",)]
    bad_default = SipConfig(min_expires=10, max_expires=50, default_expires=60)
    assert [p.path for p in expires_in_order(bad_default)] == [("default_expires",)]


def test_storage_path_relative_to_data_dir(tmp_path: Path) -> None:
    assert StorageConfig().path_in(tmp_path) == tmp_path / "softswitch.db"
    assert StorageConfig(path="/var/lib/x.db").path_in(tmp_path) == Path("/var/lib/x.db")


def test_with_listen_replaces_only_the_addresses() -> None:
    config = parse_config('[sip]\ndomain = "pbx.example"\n', "f.toml")
    loopback = [ListenSpec("udp", "127.0.0.1", 0), ListenSpec("udp", "127.0.0.1", 0)]
    moved = config.with_listen(loopback)
    assert moved.sip.listen == (ListenSpec("udp", "127.0.0.1", 0),)
    assert moved.sip.domain == "pbx.example"
    assert config.sip.listen != moved.sip.listen  # the original is unchanged
    with pytest.raises(ValueError):
        config.with_listen([])
