import pytest

from softswitch.config import ConfigErrors, parse_config

HEAD = '''\
[[users]]
extension = "1000"
password = "x"
[[queues]]
name = "sales"
[ivr.flows.main]
start = "q"
[ivr.flows.main.nodes.q]
type = "queue"
queue = "sales"
'''  # 10 lines


def errors_of(text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ConfigErrors) as info:
        parse_config(HEAD + text, "pbx.toml")
    return [(e.key, e.line, e.message) for e in info.value.errors]


def test_numbers_lead_to_their_destinations() -> None:
    config = parse_config(HEAD + '''\
[[dids]]
number = "5000"
ivr = "main"
[[dids]]
number = "+861088880000"
queue = "sales"
[[dids]]
number = "5001"
extension = "1000"
[[dids]]
number = "5002"
voicemail = "1000"
''', "pbx.toml")
    assert [d.destination for d in config.dids] == [
        ("ivr", "main"), ("queue", "sales"), ("extension", "1000"), ("voicemail", "1000")]
    did = config.did("5000")
    assert did is not None and did.destination == ("ivr", "main")
    assert config.did("9999") is None


def test_each_number_leads_to_one_existing_place() -> None:
    errors = errors_of('''\
[[dids]]
number = "5000"
[[dids]]
number = "5001"
ivr = "main"
queue = "sales"
[[dids]]
number = "5002"
ivr = "mian"
[[dids]]
number = "5003"
queue = "billing"
[[dids]]
number = "5004"
extension = "2000"
[[dids]]
number = "1000"
voicemail = "1000"
[[dids]]
number = "5x"
ivr = "main"
[[dids]]
number = "5004"
ivr = "main"
''')
    assert errors == [
        ("dids[0]", 11, "number 5000 needs one of: ivr, queue, extension, voicemail"),
        ("dids[1].queue", 16, "number 5001 leads to one place, not ivr and queue"),
        ("dids[6].number", 30, "'5x' is not a number (digits, optionally after '+')"),
        ("dids[7].number", 33, "duplicate number '5004' (already used by element 4)"),
    ]
    # the references are checked once every entry is well formed
    fixed = errors_of('''\
[[dids]]
number = "5002"
ivr = "mian"
[[dids]]
number = "5003"
queue = "billing"
[[dids]]
number = "5004"
extension = "2000"
[[dids]]
number = "1000"
voicemail = "1000"
''')
    assert fixed == [
        ("dids[0].ivr", 13, 'unknown IVR flow "mian" (configured: main)'),
        ("dids[1].queue", 16, 'unknown queue "billing" (configured: sales)'),
        ("dids[2].extension", 19, '"2000" is not a configured user'),
        ("dids[3].number", 21, 'number "1000" is also an extension'),
    ]
