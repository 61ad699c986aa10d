"""L16: uncompressed 16-bit linear audio in network byte order (RFC 3551 section 4.5.11).

Used between parts of the switch and for tests; it has no static payload type at 8 kHz,
so it carries a dynamic one (96 unless negotiated otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from softswitch.codecs.base import (
    FRAME_MS,
    CodecError,
    Int16Array,
    UInt8Array,
    check_payloads,
    check_samples,
)

_BIG = np.dtype(">i2")


@dataclass(frozen=True)
class L16:
    payload_type: int = 96
    clock_rate: int = 8000
    name: str = "L16"

    @property
    def samples_per_frame(self) -> int:
        return self.clock_rate * FRAME_MS // 1000

    @property
    def bytes_per_frame(self) -> int:
        return 2 * self.samples_per_frame

    @property
    def rtpmap(self) -> str:
        return f"{self.name}/{self.clock_rate}"

    def encode(self, samples: Int16Array) -> bytes:
        return check_samples(samples, 1).astype(_BIG).tobytes()

    def decode(self, payload: bytes) -> Int16Array:
        if len(payload) % 2:
            raise CodecError(f"L16 payload of {len(payload)} bytes is not whole samples")
        return np.frombuffer(payload, dtype=_BIG).astype(np.int16)

    def encode_frames(self, frames: Int16Array) -> UInt8Array:
        check_samples(frames, 2)
        big = np.ascontiguousarray(frames.astype(_BIG))
        return big.view(np.uint8).reshape(frames.shape[0], frames.shape[1] * 2)

    def decode_frames(self, payloads: UInt8Array) -> Int16Array:
        check_payloads(payloads)
        if payloads.shape[1] % 2:
            raise CodecError(f"L16 payloads of {payloads.shape[1]} bytes are not whole samples")
        big = np.ascontiguousarray(payloads).view(_BIG)
        return big.astype(np.int16)
