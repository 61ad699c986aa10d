import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.call.feature_codes import (
    DEFAULT_CODES,
    FEATURES,
    Argument,
    Feature,
    FeatureMatch,
    FeatureTable,
    match_feature,
)

F = Feature


@pytest.mark.parametrize(("dialled", "expected"), [
    ("*45", FeatureMatch(F.AGENT_LOGIN)),
    ("*45*1001", FeatureMatch(F.AGENT_LOGIN, "1001")),
    ("*46", FeatureMatch(F.AGENT_LOGOUT)),
    ("*47", FeatureMatch(F.AGENT_PAUSE)),
    ("*47*2", FeatureMatch(F.AGENT_PAUSE, "2")),
    ("*472", FeatureMatch(F.AGENT_PAUSE, "2")),
    ("*48", FeatureMatch(F.AGENT_RESUME)),
    ("*221001", FeatureMatch(F.LISTEN, "1001")),
    ("*22*1001", FeatureMatch(F.LISTEN, "1001")),
    ("*231001", FeatureMatch(F.WHISPER, "1001")),
    ("*241001", FeatureMatch(F.BARGE, "1001")),
    ("*72", FeatureMatch(F.FORWARD_ALWAYS)),
    ("*7213800000000", FeatureMatch(F.FORWARD_ALWAYS, "13800000000")),
    ("*73", FeatureMatch(F.FORWARD_CANCEL)),
    ("*78", FeatureMatch(F.DND_ON)),
    ("*79", FeatureMatch(F.DND_OFF)),
    ("*97", FeatureMatch(F.VOICEMAIL)),
    ("*971000", FeatureMatch(F.VOICEMAIL, "1000")),
    ("*8", FeatureMatch(F.PICKUP)),
    ("*81002", FeatureMatch(F.PICKUP, "1002")),
    ("*70", FeatureMatch(F.PARK)),
    ("*701", FeatureMatch(F.PARK, "1")),
])
def test_default_codes(dialled: str, expected: FeatureMatch) -> None:
    assert match_feature(dialled) == expected


@pytest.mark.parametrize("dialled", [
    "1000", "", "*", "*4", "*22",          # listen needs the agent's extension
    "*461", "*481", "*731", "*78*1",       # these take no digits
    "*47*", "*47**2", "*47*a", "*9", "#45", "5000",
])
def test_not_feature_codes(dialled: str) -> None:
    assert match_feature(dialled) is None


def test_a_table_of_other_codes() -> None:
    table = FeatureTable({F.AGENT_LOGIN: "#1", F.PICKUP: "**"})
    assert table.match("#1") == FeatureMatch(F.AGENT_LOGIN)
    assert table.match("**1001") == FeatureMatch(F.PICKUP, "1001")
    assert table.match("*45") is None
    assert table.code_of(F.AGENT_LOGOUT) == "*46"


def test_longest_code_wins() -> None:
    table = FeatureTable({F.DND_ON: "*7", F.DND_OFF: "*77", F.PARK: "*60",
                          F.FORWARD_ALWAYS: "*62", F.FORWARD_CANCEL: "*63"})
    assert table.match("*77") == FeatureMatch(F.DND_OFF)
    assert table.match("*7") == FeatureMatch(F.DND_ON)


@pytest.mark.parametrize(("codes", "words"), [
    ({F.AGENT_LOGOUT: "*45"}, "already the code of agent_login"),
    ({F.DND_ON: "*221"}, "starts with '*22' (listen)"),
    ({F.PICKUP: "*4"}, "could never be dialled"),
    ({F.DND_ON: "x"}, "not a feature code"),
])
def test_tables_that_cannot_work_are_refused(codes: dict[Feature, str], words: str) -> None:
    with pytest.raises(ValueError) as info:
        FeatureTable(codes)
    assert words in str(info.value)


def test_every_feature_has_a_default() -> None:
    assert set(FEATURES) == set(Feature)
    assert set(DEFAULT_CODES.values()) == {spec.default for spec in FEATURES.values()}
    assert len(set(DEFAULT_CODES.values())) == len(Feature)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789*#a", max_size=12))
def test_any_dialled_text_gets_an_answer(dialled: str) -> None:
    """Nothing raises; a match starts with its code and has digits only after it."""
    found = match_feature(dialled)
    if found is not None:
        code = DEFAULT_CODES[found.feature]
        assert dialled.startswith(code)
        assert found.argument == "" or found.argument.isdigit()
        if FEATURES[found.feature].argument is Argument.NONE:
            assert dialled == code
