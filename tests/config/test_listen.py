import pytest

from softswitch.config.listen import ListenSpec, parse_listen_spec


@pytest.mark.parametrize(("text", "expected"), [
    ("udp:0.0.0.0:5060", [ListenSpec("udp", "0.0.0.0", 5060)]),
    ("TCP:10.0.0.1:5080", [ListenSpec("tcp", "10.0.0.1", 5080)]),
    ("127.0.0.1:5060", [ListenSpec("udp", "127.0.0.1", 5060),
                        ListenSpec("tcp", "127.0.0.1", 5060)]),
    ("udp:[::1]:5060", [ListenSpec("udp", "::1", 5060)]),
    ("[::]:5062", [ListenSpec("udp", "::", 5062), ListenSpec("tcp", "::", 5062)]),
    ("tcp:pbx.example.com:0", [ListenSpec("tcp", "pbx.example.com", 0)]),
    ("localhost:5060", [ListenSpec("udp", "localhost", 5060),
                        ListenSpec("tcp", "localhost", 5060)]),
])
def test_valid_specs(text: str, expected: list[ListenSpec]) -> None:
    assert parse_listen_spec(text) == expected


@pytest.mark.parametrize(("text", "words"), [
    ("", "empty"),
    ("udp:1.2.3.4:70000", "out of range"),
    ("udp:1.2.3.4:abc", "not a number"),
    ("udp:1.2.3.4", "missing ':PORT'"),
    ("sctp:1.2.3.4:5060", "unsupported transport 'sctp'"),
    ("udp:::1:5060", "brackets"),
    ("udp:[::1:5060", "missing ']'"),
    ("udp:[nothost]:5060", "not an IPv6 address"),
    ("udp:[::1]5060", "missing ':PORT'"),
    ("udp:999.1.1.1:5060", "not an IPv4 address"),
    ("udp:bad_host!:5060", "not a host name"),
    ("udp::5060", "missing host"),
])
def test_invalid_specs_say_why(text: str, words: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_listen_spec(text)
    assert words in str(info.value)


def test_str_round_trips() -> None:
    for text in ("udp:[::1]:5060", "tcp:0.0.0.0:5061"):
        (spec,) = parse_listen_spec(text)
        assert str(spec) == text
