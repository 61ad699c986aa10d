import json

import pytest

from softswitch.config import ConfigErrors, parse_config

HEAD = '''\
[[users]]
extension = "1001"
password = "x"
[[users]]
extension = "1002"
password = "y"
'''  # 6 lines


def errors_of(text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ConfigErrors) as info:
        parse_config(HEAD + text, "pbx.toml")
    return [(e.key, e.line, e.message) for e in info.value.errors]


def test_a_full_trunk_is_read_with_its_defaults() -> None:
    config = parse_config(HEAD + '''\
[[trunks]]
name = "carrier"
host = "192.0.2.10"
username = "acme"
password = "s3cret"
register = true
expires = 600
patterns = ["9|NXXXXXX.", "^\\\\+?\\\\d{8,15}$"]
allowed_users = ["1001"]
caller_id = "+861088880000"
''', "pbx.toml")
    trunk = config.trunks[0]
    assert config.trunk("carrier") is trunk
    assert (trunk.port, trunk.transport, trunk.register, trunk.expires) == (5060, "udp", True, 600)
    assert trunk.sources == ("192.0.2.10",)
    assert trunk.user == "acme" and trunk.domain == "192.0.2.10"
    first, second = trunk.patterns
    assert first.match("9234567890") and first.strip == 1
    assert not first.match("9134567890") and not first.match("923456")
    assert second.match("+8613800000000") and second.strip == 0
    assert not second.match("1234")
    assert trunk.allows("1001") and not trunk.allows("1002")


def test_everyone_may_be_allowed_and_nobody_is_by_default() -> None:
    config = parse_config(HEAD + '''\
[[trunks]]
name = "a"
host = "carrier.example"
allowed_users = "*"
[[trunks]]
name = "b"
host = "carrier.example"
''', "pbx.toml")
    assert config.trunks[0].allows("1002")
    assert not config.trunks[1].allows("1001")


def test_the_password_is_never_shown() -> None:
    config = parse_config(HEAD + '''\
[[trunks]]
name = "carrier"
host = "192.0.2.10"
username = "acme"
password = "s3cret-value"
''', "pbx.toml")
    assert "s3cret-value" not in repr(config.trunks[0])
    assert "s3cret-value" not in json.dumps(config.redacted(), default=str)


def test_problems_name_their_line_and_key() -> None:
    problems = errors_of('''\
[[trunks]]
name = "carrier"
host = "not a host"
port = 70000
transport = "sctp"
patterns = ["9|ABC"]
caller_id = "someone"
allowed_users = ["1001", "4711"]
register = true
''')
    by_key = {key: (line, message) for key, line, message in problems}
    assert by_key["trunks[0].host"][0] == 9
    assert by_key["trunks[0].port"][0] == 10
    assert "udp or tcp" in by_key["trunks[0].transport"][1]
    assert "dial pattern" in by_key["trunks[0].patterns"][1]
    assert "neither a rule" in by_key["trunks[0].caller_id"][1]


def test_register_needs_credentials_and_names_are_unique() -> None:
    problems = errors_of('''\
[[trunks]]
name = "carrier"
host = "192.0.2.10"
register = true
[[trunks]]
name = "carrier"
host = "192.0.2.11"
password = "p"
''')
    messages = {key: message for key, _, message in problems}
    assert "without username and password" in messages["trunks[0].register"]
    assert "duplicate trunk name" in messages["trunks[1].name"]
    assert "no username" in messages["trunks[1].password"]


def test_allowed_users_must_exist() -> None:
    problems = errors_of('''\
[[trunks]]
name = "carrier"
host = "192.0.2.10"
allowed_users = ["1001", "4711"]
''')
    assert [(key, line) for key, line, _ in problems] == [("trunks[0].allowed_users[1]", 10)]


def test_a_broken_regular_expression_is_refused() -> None:
    problems = errors_of('''\
[[trunks]]
name = "carrier"
host = "192.0.2.10"
patterns = ["^(9"]
''')
    assert problems[0][0] == "trunks[0].patterns"
    assert "regular expression" in problems[0][2]


def test_a_source_may_name_a_port_so_a_carrier_can_share_its_address() -> None:
    config = parse_config(HEAD + '''\
[[trunks]]
name = "carrier"
host = "127.0.0.1"
allowed_sources = ["127.0.0.1:5070", "[::1]:5080", "::1", "carrier.example"]
''', "pbx.toml")
    assert config.trunks[0].sources == ("127.0.0.1:5070", "[::1]:5080", "::1",
                                        "carrier.example")


@pytest.mark.parametrize("source", ["127.0.0.1:0", "127.0.0.1:x", "[::1", "[::1]x",
                                    "127.0.0.1:70000", "bad host:5060"])
def test_a_source_that_is_no_address_is_refused(source: str) -> None:
    [(key, line, message)] = errors_of(f'''\
[[trunks]]
name = "carrier"
host = "127.0.0.1"
allowed_sources = ["{source}"]
''')
    assert (key, line) == ("trunks[0].allowed_sources", 10)
    assert message.startswith("[0]: ") and ("port" in message or "address" in message
                                           or "domain name" in message)
