"""Which codec a payload type or an SDP name means.

The registry is immutable (read-only mappings built once), so there is no global mutable
state; a part that wants other codecs or payload types builds its own `CodecRegistry`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from softswitch.codecs.base import Codec, CodecError
from softswitch.codecs.g711 import G711
from softswitch.codecs.l16 import L16


def _key(name: str) -> str:
    """"pcmu", "PCMU/8000" and "PCMU/8000/1" all name PCMU at 8 kHz mono."""
    parts = name.strip().upper().split("/")
    if len(parts) == 1 or not parts[1]:
        parts = [parts[0], "8000"]
    if len(parts) == 3 and parts[2] == "1":
        parts = parts[:2]
    return "/".join(parts)


class CodecRegistry:
    """Codecs by static payload type and by name, case-insensitive."""

    def __init__(self, codecs: Iterable[Codec], static_payload_types: Iterable[int]) -> None:
        static = set(static_payload_types)
        codecs = list(codecs)
        self.by_name: Mapping[str, Codec] = MappingProxyType(
            {_key(c.rtpmap): c for c in codecs})
        self.by_payload_type: Mapping[int, Codec] = MappingProxyType(
            {c.payload_type: c for c in codecs if c.payload_type in static})

    def lookup(self, name: str) -> Codec:
        codec = self.by_name.get(_key(name))
        if codec is None:
            raise CodecError(f"unknown codec {name!r}")
        return codec

    def for_payload_type(self, payload_type: int) -> Codec:
        codec = self.by_payload_type.get(payload_type)
        if codec is None:
            raise CodecError(f"no codec for static payload type {payload_type}")
        return codec


PCMU = G711("ulaw")
PCMA = G711("alaw")
L16_8000 = L16()

DEFAULT_REGISTRY = CodecRegistry([PCMU, PCMA, L16_8000], static_payload_types=(0, 8))
CODECS_BY_PAYLOAD_TYPE = DEFAULT_REGISTRY.by_payload_type
CODECS_BY_NAME = DEFAULT_REGISTRY.by_name
