"""The codec contract every payload format meets, so the media engine can treat them alike.

A codec turns 20 ms frames of 16-bit linear audio into RTP payload bytes and back, one
frame at a time (`encode`/`decode`) or for every channel at once (`encode_frames` /
`decode_frames` on 2-D arrays, one row per channel), which is what the 20 ms tick uses.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]
UInt8Array = npt.NDArray[np.uint8]

FRAME_MS = 20


class CodecError(ValueError):
    """Audio or payload a codec cannot take: wrong length, dtype, shape, or unknown name."""


@runtime_checkable
class Codec(Protocol):
    name: str
    payload_type: int
    clock_rate: int
    #: samples in one 20 ms frame (160 at 8 kHz)
    samples_per_frame: int
    #: payload bytes in one 20 ms frame
    bytes_per_frame: int

    @property
    def rtpmap(self) -> str:
        """"PCMU/8000": the name as SDP's a=rtpmap and the registry spell it."""
        ...

    def encode(self, samples: Int16Array) -> bytes: ...

    def decode(self, payload: bytes) -> Int16Array: ...

    def encode_frames(self, frames: Int16Array) -> UInt8Array: ...

    def decode_frames(self, payloads: UInt8Array) -> Int16Array: ...


def check_samples(samples: object, ndim: int) -> Int16Array:
    """Accept only int16 arrays of the expected rank: silently casting would hide bugs."""
    if not isinstance(samples, np.ndarray) or samples.dtype != np.int16:
        raise CodecError("audio must be an int16 numpy array")
    if samples.ndim != ndim:
        raise CodecError(f"audio must have {ndim} dimension(s), got {samples.ndim}")
    return samples


def check_payloads(payloads: object) -> UInt8Array:
    if not isinstance(payloads, np.ndarray) or payloads.dtype != np.uint8:
        raise CodecError("payloads must be a uint8 numpy array")
    if payloads.ndim != 2:
        raise CodecError(f"payloads must be 2-D [channels, bytes], got {payloads.ndim}-D")
    return payloads
