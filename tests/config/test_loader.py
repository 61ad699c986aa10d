import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.config import (
    Config,
    ConfigErrors,
    ListenSpec,
    load_config,
    parse_config,
)
from softswitch.errors import ConfigError

EXAMPLE = '''\
[sip]
listen = ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"]
domain = "pbx.example"
[[users]]
extension = "1001"
password = "change-me-1001"
name = "Alice"
'''


def errors_of(text: str, file_name: str = "pbx.toml") -> list[tuple[str, int | None, str]]:
    with pytest.raises(ConfigErrors) as info:
        parse_config(text, file_name)
    for error in info.value.errors:
        assert error.file == file_name
    return [(e.key, e.line, e.message) for e in info.value.errors]


def test_example_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "softswitch.toml"
    path.write_text(EXAMPLE)
    config = load_config(path)
    assert config.sip.listen == (ListenSpec("udp", "0.0.0.0", 5060),
                                 ListenSpec("tcp", "0.0.0.0", 5060))
    assert config.sip.domain == "pbx.example"
    assert len(config.users) == 1
    alice = config.users[0]
    assert (alice.extension, alice.password, alice.name) == ("1001", "change-me-1001", "Alice")
    assert config.user("1001") is alice
    assert config.user("1002") is None
    assert config.source == str(path)
    # keys not written take their defaults
    assert config.sip.min_expires == 60
    assert config.sip.max_expires == 3600
    assert config.sip.default_expires == 3600
    assert config.sip.max_contacts == 10
    assert config.sip.nonce_lifetime == 300.0
    assert config.security.auth_failures == 5
    assert config.storage.path == "softswitch.db"


def test_empty_file_is_all_defaults() -> None:
    config = parse_config("", "empty.toml")
    assert config == Config(source="empty.toml")
    assert config.sip.domain == "softswitch.local"
    assert [str(s) for s in config.sip.listen] == ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"]
    assert config.users == ()


def test_passwords_never_shown() -> None:
    config = parse_config(EXAMPLE, "pbx.toml")
    assert "change-me-1001" not in repr(config)
    assert "change-me-1001" not in str(config.redacted())
    redacted = config.redacted()
    assert redacted["users"] == [{"extension": "1001", "password": "***", "name": "Alice",
                                  "pickup_group": None, "voicemail": False,
                                  "voicemail_pin": "***", "forward_always": None,
                                  "forward_busy": None, "forward_no_answer": None,
                                  "dnd": False}]
    assert redacted["sip"]["listen"] == ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"]


def test_unknown_key_suggests_the_close_one() -> None:
    text = '[sip]\ndomian = "x"\n'
    ((key, line, message),) = errors_of(text)
    assert (key, line) == ("sip.domian", 2)
    assert "did you mean 'domain'?" in message


def test_unknown_section() -> None:
    ((key, line, message),) = errors_of('[sipp]\ndomain = "x"\n')
    assert (key, line) == ("sipp", 1)
    assert "did you mean 'sip'?" in message


def test_wrong_types() -> None:
    text = '[sip]\nmin_expires = "60"\nmax_contacts = true\nlisten = "udp:1.2.3.4:5"\n'
    assert errors_of(text) == [
        ("sip.min_expires", 2, "expected an integer, got '60' (a string)"),
        ("sip.max_contacts", 3, "expected an integer, got true (a boolean)"),
        ("sip.listen", 4, "expected a list of strings, got 'udp:1.2.3.4:5' (a string)"),
    ]


def test_float_where_integer_wanted_and_int_where_number_wanted() -> None:
    with pytest.raises(ConfigErrors) as info:
        parse_config("[sip]\nmax_contacts = 2.5\n", "f.toml")
    assert info.value.key == "sip.max_contacts"
    config = parse_config("[sip]\nnonce_lifetime = 30\n", "f.toml")
    assert config.sip.nonce_lifetime == 30.0
    assert isinstance(config.sip.nonce_lifetime, float)


def test_section_of_the_wrong_shape() -> None:
    assert errors_of('sip = 5\nusers = {extension = "1"}\n') == [
        ("sip", 1, "expected a table [sip], got 5 (an integer)"),
        ("users", 2, "expected an array of tables [[users]], got a table"),
    ]


def test_port_out_of_range_names_the_listen_line() -> None:
    text = '[sip]\ndomain = "a"\nlisten = [\n  "udp:0.0.0.0:5060",\n  "tcp:0.0.0.0:99999",\n]\n'
    ((key, line, message),) = errors_of(text)
    assert (key, line) == ("sip.listen", 3)
    assert "[1]: port 99999" in message and "out of range" in message


def test_duplicate_listen_address() -> None:
    ((key, _line, message),) = errors_of('[sip]\nlisten = ["0.0.0.0:5060", "udp:0.0.0.0:5060"]\n')
    assert key == "sip.listen"
    assert "udp:0.0.0.0:5060 is listed twice" in message


def test_user_errors_name_the_element_and_line() -> None:
    text = '''\
[[users]]
extension = "1000"
password = "a"

[[users]]
extension = "1001"
password = ""

[[users]]
name = "Nobody"

[[users]]
extension = "10x"
password = "b"

[[users]]
extension = "1000"
password = "c"
'''
    assert errors_of(text) == [
        ("users[1].password", 7, "must not be empty"),
        ("users[2]", 9, "missing required key 'extension'"),
        ("users[2]", 9, "missing required key 'password'"),
        ("users[3].extension", 13, "'10x' is not an extension (1 to 32 digits)"),
        ("users[4].extension", 17, "duplicate extension '1000' (already used by element 0)"),
    ]


def test_cross_key_check() -> None:
    ((key, line, message),) = errors_of(
        "[sip]\nmin_expires = 60\nmax_expires = 600\ndefault_expires = 30\n")
    assert (key, line) == ("sip.default_expires", 4)
    assert "between min_expires (60) and max_expires (600)" in message
    ((key, line, _),) = errors_of("[sip]\nmin_expires = 700\nmax_expires = 600\n")
    assert (key, line) == ("sip.min_expires", 2)


def test_bad_values() -> None:
    text = ('[sip]\ndomain = "pbx example"\nuser_agent = "a\\nb"\nnonce_lifetime = 0\n'
            "[security]\nauth_failures = 0\nblock_seconds = -1\n[storage]\npath = ''\n")
    assert [(k, line) for k, line, _ in errors_of(text)] == [
        ("sip.domain", 2), ("sip.user_agent", 3), ("sip.nonce_lifetime", 4),
        ("security.auth_failures", 6), ("security.block_seconds", 7), ("storage.path", 9),
    ]


def test_all_errors_in_one_exception_one_line_each() -> None:
    text = '[sip]\ndomian = "x"\nmax_contacts = 0\n[[users]]\nextension = "1"\npassword = ""\n'
    with pytest.raises(ConfigError) as info:  # ConfigErrors is a ConfigError
        parse_config(text, "/etc/pbx.toml")
    lines = str(info.value).splitlines()
    assert lines == [
        "/etc/pbx.toml:2: sip.domian: " + lines[0].split(": ", 2)[2],
        "/etc/pbx.toml:3: sip.max_contacts: must be at least 1, got 0",
        "/etc/pbx.toml:6: users[0].password: must not be empty",
    ]
    assert info.value.line == 2 and info.value.key == "sip.domian"


def test_toml_syntax_error_has_its_line() -> None:
    ((key, line, message),) = errors_of('[sip]\ndomain = "a"\nlisten = [\n"x",,\n]\n')
    assert (key, line) == ("(syntax)", 4)
    assert message.startswith("invalid TOML")
    ((key, line, message),) = errors_of('[sip]\ndomain = "a"\ndomain = "b"\n')
    assert (key, line) == ("(syntax)", 3)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors) as info:
        load_config(tmp_path / "nope.toml")
    assert info.value.key == "(file)"
    assert "cannot read" in info.value.message


def test_not_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(b'[sip]\ndomain = "\xff"\n')
    with pytest.raises(ConfigErrors) as info:
        load_config(path)
    assert info.value.file == str(path)


ALPHABET = string.ascii_letters + string.digits + ' =[]"\'.,-_#:\n{}'


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=120))
def test_any_text_gives_config_or_config_errors(text: str) -> None:
    try:
        parse_config(text, "fuzz.toml")
    except ConfigErrors as exc:
        assert exc.errors and all(e.file == "fuzz.toml" for e in exc.errors)


KEYS = st.sampled_from(["listen", "domain", "min_expires", "max_contacts", "users",
                        "extension", "password", "name", "sip", "x"])
WORDS = st.text(alphabet=string.ascii_letters + string.digits + " :.[]-_", max_size=12)
VALUES = st.one_of(st.integers(-5, 70000), st.booleans(), WORDS,
                   st.lists(WORDS, max_size=3), st.floats(allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["sip", "security", "storage", "users", "misc"]),
                       st.one_of(st.dictionaries(KEYS, VALUES, max_size=4),
                                 st.lists(st.dictionaries(KEYS, VALUES, max_size=4),
                                          max_size=3), VALUES), max_size=4))
def test_any_toml_data_gives_config_or_config_errors(data: dict) -> None:
    import tomllib

    text = _to_toml(data)
    tomllib.loads(text)
    try:
        parse_config(text, "fuzz.toml")
    except ConfigErrors as exc:
        assert all(e.line is not None for e in exc.errors)


def _value(value: object) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else "0.0"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _to_toml(data: dict) -> str:
    return "".join(f"{key} = {_value(value)}\n" for key, value in data.items())
