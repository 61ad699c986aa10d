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


def test_first_start_has_the_demo_call_center(tmp_path: Path) -> None:
    from softswitch.call.feature_codes import DEFAULT_CODES
    from softswitch.ivr import IvrSession

    path, _ = ensure_config(tmp_path, random.Random(5))
    config = load_config(path)
    assert [q.name for q in config.queues] == ["sales", "support"]
    assert all(q.strategy == "longest-idle" and q.wrap_up == 10.0 for q in config.queues)
    assert all(q.supervisors == ("1009",) for q in config.queues)
    assert [(a.id, a.extension) for a in config.agents] == [
        (f"a{n}", str(n)) for n in range(1000, 1004)]
    for agent in config.agents:
        assert {t.queue for t in agent.queues} == {"sales", "support"}
        assert agent.skills
    did = config.did("5000")
    assert did is not None and did.destination == ("ivr", "main")
    flow = config.ivr.flows["main"]
    nodes = flow["nodes"]
    menu = nodes[nodes[flow["start"]]["next"]]
    assert nodes[flow["start"]]["type"] == "language"
    targets = {digit: nodes[name] for digit, name in menu["choices"].items()}
    assert nodes[targets["1"]["next"]] == {"type": "queue", "queue": "sales"}
    assert nodes[targets["2"]["next"]] == {"type": "queue", "queue": "support"}
    assert targets["0"] == {"type": "extension", "number": "1000"}
    IvrSession(flow, call_id="demo")
    assert config.features.codes() == DEFAULT_CODES


def test_config_check_accepts_the_first_start_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from softswitch.cli.main import main

    path, _ = ensure_config(tmp_path, random.Random(6))
    result = CliRunner().invoke(main, ["config", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output
    broken = tmp_path / "broken.toml"
    broken.write_text(path.read_text().replace('queue = "support"\n', 'queue = "suport"\n'))
    result = CliRunner().invoke(main, ["config", "check", str(broken)])
    assert result.exit_code == 2
    assert 'unknown queue "suport"' in result.output
