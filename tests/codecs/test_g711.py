"""G.711 against the ITU-derived vectors in codecs/, for both implementations."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from softswitch.codecs import G711, CodecError, G711Audioop

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

VECTORS = Path(__file__).resolve().parents[2] / "codecs"
LAWS = ["ulaw", "alaw"]


def table_vector(law: str) -> list[int]:
    with open(VECTORS / f"g711_{law}.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["code"]) for r in rows] == list(range(256))
    return [int(r["linear"]) for r in rows]


def tones(law: str) -> list[dict]:
    with open(VECTORS / "g711_tones.json") as f:
        return [t for t in json.load(f) if t["law"] == law]


def impls(law: str) -> list:
    return [G711(law), G711Audioop(law)]  # type: ignore[arg-type]


@pytest.mark.parametrize("law", LAWS)
def test_every_code_decodes_to_the_standard_value(law: str) -> None:
    expected = np.array(table_vector(law), dtype=np.int16)
    for codec in impls(law):
        assert np.array_equal(codec.decode(bytes(range(256))), expected), codec
        assert np.array_equal(
            codec.decode_frames(np.arange(256, dtype=np.uint8).reshape(2, 128)),
            expected.reshape(2, 128)), codec


@pytest.mark.parametrize("law", LAWS)
def test_tone_vectors_encode_and_round_trip(law: str) -> None:
    assert len(tones(law)) >= 2
    for tone in tones(law):
        samples = np.array(tone["samples"], dtype=np.int16)
        encoded = bytes.fromhex(tone["encoded_hex"])
        for codec in impls(law):
            assert codec.encode(samples) == encoded, (codec, tone["frequency_hz"])
            assert codec.decode(encoded).tolist() == tone["decoded"]


@pytest.mark.parametrize("law", LAWS)
def test_table_and_audioop_agree_on_all_65536_samples(law: str) -> None:
    every = np.arange(-32768, 32768, dtype=np.int16)
    table, reference = impls(law)
    assert table.encode(every) == reference.encode(every)
    to_law = audioop.lin2ulaw if law == "ulaw" else audioop.lin2alaw
    assert table.encode(every) == to_law(every.astype("<i2").tobytes(), 2)


@pytest.mark.parametrize("law", LAWS)
def test_decoded_values_are_fixed_points(law: str) -> None:
    """Re-encoding a decoded value gives the same code, except the never-produced -0."""
    codec = G711(law)  # type: ignore[arg-type]
    codes = np.arange(256, dtype=np.uint8)
    again = np.frombuffer(codec.encode(codec.decode(codes.tobytes())), dtype=np.uint8)
    differing = codes[again != codes].tolist()
    assert differing == ([0x7F] if law == "ulaw" else [])


@settings(max_examples=200, deadline=None)
@given(law=st.sampled_from(LAWS),
       frames=arrays(np.int16, st.tuples(st.integers(1, 6), st.just(160))))
def test_batched_equals_per_frame(law: str, frames: np.ndarray) -> None:
    for codec in impls(law):
        batched = codec.encode_frames(frames)
        assert batched.dtype == np.uint8 and batched.shape == frames.shape
        for row in range(frames.shape[0]):
            assert batched[row].tobytes() == codec.encode(frames[row].copy())
        decoded = codec.decode_frames(batched)
        for row in range(frames.shape[0]):
            assert np.array_equal(decoded[row], codec.decode(batched[row].tobytes()))


def test_quantisation_error_is_bounded_by_the_segment_step() -> None:
    every = np.arange(-32768, 32768, dtype=np.int16)
    for law in LAWS:
        codec = G711(law)  # type: ignore[arg-type]
        back = codec.decode(codec.encode(every)).astype(np.int32)
        err = np.abs(back - every)
        small = np.abs(every.astype(np.int32)) < 1000
        assert err[small].max() <= 40  # fine steps near zero: half a 64-step, plus truncation
        assert err.max() <= 1024 + 8  # largest segment step, plus clipping at the top


@pytest.mark.parametrize("codec", [G711("ulaw"), G711Audioop("alaw")])
def test_bad_input_raises_codec_error(codec) -> None:
    with pytest.raises(CodecError):
        codec.encode(np.zeros(160, dtype=np.float32))
    with pytest.raises(CodecError):
        codec.encode([0] * 160)
    with pytest.raises(CodecError):
        codec.encode_frames(np.zeros(160, dtype=np.int16))
    with pytest.raises(CodecError):
        codec.decode_frames(np.zeros((2, 160), dtype=np.int16))
    with pytest.raises(CodecError):
        G711("mulaw")  # type: ignore[arg-type]
