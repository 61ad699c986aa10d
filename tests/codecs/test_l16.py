from __future__ import annotations

import numpy as np
import pytest

from softswitch.codecs import L16, CodecError


def test_network_byte_order() -> None:
    codec = L16()
    assert codec.encode(np.array([1, -2, 0x1234], dtype=np.int16)) == b"\x00\x01\xff\xfe\x12\x34"
    assert codec.decode(b"\x00\x01\xff\xfe\x12\x34").tolist() == [1, -2, 0x1234]
    assert codec.samples_per_frame == 160 and codec.bytes_per_frame == 320


def test_batched_round_trip_and_equality() -> None:
    codec = L16()
    frames = np.random.default_rng(1).integers(-32768, 32767, (5, 160)).astype(np.int16)
    payloads = codec.encode_frames(frames)
    assert payloads.shape == (5, 320) and payloads.dtype == np.uint8
    assert payloads[3].tobytes() == codec.encode(frames[3].copy())
    assert np.array_equal(codec.decode_frames(payloads), frames)


def test_odd_length_payload_is_refused() -> None:
    with pytest.raises(CodecError):
        L16().decode(b"\x00\x01\x02")
    with pytest.raises(CodecError):
        L16().decode_frames(np.zeros((2, 3), dtype=np.uint8))
