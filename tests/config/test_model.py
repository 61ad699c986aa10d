from pathlib import Path

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
