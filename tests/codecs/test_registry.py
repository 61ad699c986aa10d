from __future__ import annotations

import pytest

from softswitch.codecs import (
    CODECS_BY_NAME,
    CODECS_BY_PAYLOAD_TYPE,
    DEFAULT_REGISTRY,
    PCMA,
    PCMU,
    Codec,
    CodecError,
)


def test_static_payload_types() -> None:
    assert CODECS_BY_PAYLOAD_TYPE[0] is PCMU
    assert CODECS_BY_PAYLOAD_TYPE[8] is PCMA
    assert DEFAULT_REGISTRY.for_payload_type(8) is PCMA
    assert 96 not in CODECS_BY_PAYLOAD_TYPE  # dynamic types are negotiated, not registered


@pytest.mark.parametrize("name", ["PCMU/8000", "pcmu", "Pcmu/8000/1", " PCMU/8000 "])
def test_names_are_case_insensitive(name: str) -> None:
    assert DEFAULT_REGISTRY.lookup(name) is PCMU


def test_registry_contents_follow_the_protocol() -> None:
    for name, codec in CODECS_BY_NAME.items():
        assert isinstance(codec, Codec)
        assert codec.rtpmap.upper() == name
        assert codec.samples_per_frame == 160


def test_unknown_and_immutable() -> None:
    with pytest.raises(CodecError, match="G729"):
        DEFAULT_REGISTRY.lookup("G729/8000")
    with pytest.raises(CodecError):
        DEFAULT_REGISTRY.for_payload_type(18)
    with pytest.raises(TypeError):
        CODECS_BY_NAME["X/8000"] = PCMU  # type: ignore[index]
