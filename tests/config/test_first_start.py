import random
import stat
from pathlib import Path

from softswitch.config import ensure_config, load_config


def test_first_start_writes_a_private_working_config(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    path, created = ensure_config(data_dir, random.Random(7))
    assert created
    assert path == data_dir / "softswitch.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = load_config(path)
    assert [str(s) for s in config.sip.listen] == ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"]
    assert config.sip.domain == "softswitch.local"
    assert [u.extension for u in config.users] == [str(n) for n in range(1000, 1010)]
    assert [u.name for u in config.users] == [f"Extension {n}" for n in range(1000, 1010)]
    passwords = [u.password for u in config.users]
    assert len(set(passwords)) == 10
    assert all(len(p) >= 12 for p in passwords)
    assert "#" in path.read_text()  # commented for the person who opens it


def test_passwords_come_from_the_given_random_source(tmp_path: Path) -> None:
    first, _ = ensure_config(tmp_path / "a", random.Random(1))
    second, _ = ensure_config(tmp_path / "b", random.Random(1))
    other, _ = ensure_config(tmp_path / "c", random.Random(2))
    assert first.read_text() == second.read_text()
    assert first.read_text() != other.read_text()


def test_existing_config_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "softswitch.toml"
    path.write_text('[sip]\ndomain = "mine"\n')
    again, created = ensure_config(tmp_path, random.Random(1))
    assert (again, created) == (path, False)
    assert path.read_text() == '[sip]\ndomain = "mine"\n'
