import pytest

from softswitch.call.feature_codes import DEFAULT_CODES, Feature, FeatureMatch
from softswitch.config import ConfigErrors, parse_config


def test_defaults_when_the_section_is_absent() -> None:
    config = parse_config("", "pbx.toml")
    assert config.features.codes() == DEFAULT_CODES
    table = config.features.table()
    assert table.match("*45") == FeatureMatch(Feature.AGENT_LOGIN)
    assert table.match("*47*1") == FeatureMatch(Feature.AGENT_PAUSE, "1")


def test_codes_and_pause_reasons_can_be_changed() -> None:
    config = parse_config('[features]\nagent_login = "*145"\n'
                          'pause_reasons = { "1" = "lunch" }\n', "pbx.toml")
    table = config.features.table()
    assert table.match("*145") == FeatureMatch(Feature.AGENT_LOGIN)
    assert table.match("*45") is None
    assert table.pause_reason("1") == "lunch"
    assert table.pause_reason("7") == "7"
    assert table.pause_reason("") == "break"


@pytest.mark.parametrize(("text", "key", "line", "words"), [
    ('[features]\nagent_login = "45a"\n', "features.agent_login", 2, "not a feature code"),
    ('[features]\nagent_login = "*123456789"\n', "features.agent_login", 2,
     "not a feature code"),
    ('[features]\nagent_login = "*46"\n', "features.agent_logout", 1,
     "already the code of agent_login"),
    ('[features]\n\ndnd_on = "*471"\n', "features.dnd_on", 3,
     "starts with '*47' (agent_pause), which takes digits"),
    ('[features]\nlogin = "*45"\n', "features.login", 2, "did you mean"),
    ('[features]\npause_reasons = { "x" = "lunch" }\n', "features.pause_reasons.x", 2,
     "1 to 4 digits"),
    ('[features]\npause_reasons = { "1" = "" }\n', "features.pause_reasons.1", 2,
     "printable"),
])
def test_errors(text: str, key: str, line: int, words: str) -> None:
    with pytest.raises(ConfigErrors) as info:
        parse_config(text, "pbx.toml")
    [error] = info.value.errors
    assert error.key == key
    assert error.line == line
    assert words in error.message
