"""Audio codecs: G.711 (numpy tables and audioop), L16, and a registry by payload type and name.

G.722 is not included: no well-kept pure-Python or numpy implementation was available.
"""

from softswitch.codecs.base import Codec, CodecError
from softswitch.codecs.g711 import G711, G711Audioop
from softswitch.codecs.l16 import L16
from softswitch.codecs.registry import (
    CODECS_BY_NAME,
    CODECS_BY_PAYLOAD_TYPE,
    DEFAULT_REGISTRY,
    L16_8000,
    PCMA,
    PCMU,
    CodecRegistry,
)

__all__ = [
    "CODECS_BY_NAME",
    "CODECS_BY_PAYLOAD_TYPE",
    "DEFAULT_REGISTRY",
    "G711",
    "L16",
    "L16_8000",
    "PCMA",
    "PCMU",
    "Codec",
    "CodecError",
    "CodecRegistry",
    "G711Audioop",
]
