"""In-band DTMF: every digit at realistic levels, once per press, never on noise or music."""

from __future__ import annotations

import numpy as np
import pytest

from softswitch.codecs import PCMA, PCMU
from softswitch.media.dtmf import BLOCK, DIGITS, InbandDtmfDetector, dtmf_tone

from .audio import tone


def detect(signal: np.ndarray, detector: InbandDtmfDetector | None = None) -> str:
    detector = detector or InbandDtmfDetector(1)
    signal = np.concatenate([signal, np.zeros((-len(signal)) % BLOCK, np.int16)])
    found = []
    for block in signal.reshape(-1, BLOCK):
        found += [d for _, d in detector.process(np.array([0]), block[None, :])]
    return "".join(found)


def through(codec, signal: np.ndarray) -> np.ndarray:
    return codec.decode(codec.encode(signal))


def noise(samples: int, dbfs: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(samples) * 32767 * 10 ** (dbfs / 20)


def key_presses(keys: str, rng: np.random.Generator, level: float, twist: float) -> np.ndarray:
    parts = [np.zeros(int(rng.integers(0, 400)), np.int16)]  # never block-aligned
    for key in keys:
        on = rng.uniform(0.045, 0.15)
        off = rng.uniform(0.06, 0.12)
        parts += [dtmf_tone(key, on, level, twist, phase=rng.uniform(0, 6)),
                  np.zeros(int(off * 8000), np.int16)]
    return np.concatenate(parts)


@pytest.mark.parametrize(("level", "twist", "codec"), [
    (-8.0, 0.0, PCMU), (-20.0, 2.0, PCMA), (-28.0, -3.0, PCMU), (-15.0, 6.0, PCMA)])
def test_all_sixteen_digits_once_per_press(level: float, twist: float, codec) -> None:
    rng = np.random.default_rng(int(-level))
    keys = DIGITS + DIGITS[::-1]
    signal = key_presses(keys, rng, level, twist)
    signal = signal + noise(len(signal), -50, seed=1)  # a quiet line's hiss
    signal = through(codec, np.clip(signal, -32768, 32767).astype(np.int16))
    assert detect(signal) == keys


def test_a_long_press_is_one_digit_and_a_repeat_is_two() -> None:
    press = dtmf_tone("5", 1.5, -12)
    gap = np.zeros(600, np.int16)
    assert detect(np.concatenate([press, gap])) == "5"
    assert detect(np.concatenate([dtmf_tone("5", 0.08, -12), gap, dtmf_tone("5", 0.08, -12)])) \
        == "55"


def test_too_much_twist_or_too_quiet_is_not_a_digit() -> None:
    assert detect(dtmf_tone("1", 0.2, -12, twist_db=12)) == ""
    assert detect(dtmf_tone("1", 0.2, -12, twist_db=-8)) == ""
    assert detect(dtmf_tone("1", 0.2, -50)) == ""


def test_no_digit_in_noise_speech_like_sound_or_music() -> None:
    rng = np.random.default_rng(9)
    seconds = 20
    n = seconds * 8000
    # speech-like: harmonics of a wandering pitch under a syllable-rate envelope
    pitch = 110 + 40 * np.sin(2 * np.pi * 0.7 * np.arange(n) / 8000)
    phase = 2 * np.pi * np.cumsum(pitch) / 8000
    voiced = sum(np.sin(k * phase) / k for k in range(1, 25))
    envelope = np.abs(np.sin(2 * np.pi * 4 * np.arange(n) / 8000)) ** 2
    speech = voiced * envelope * 8000 + noise(n, -35, 2)
    # music: chords of two to four notes on an equal-tempered scale, changing every 0.25 s
    music = np.zeros(n)
    t = np.arange(2000) / 8000
    for start in range(0, n, 2000):
        notes = 220 * 2 ** (rng.integers(0, 36, rng.integers(2, 5)) / 12)
        music[start:start + 2000] = sum(np.sin(2 * np.pi * f * t) for f in notes) * 5000
    for signal in (noise(n, -12, 3), speech, music):
        clipped = np.clip(signal, -32768, 32767).astype(np.int16)
        assert detect(through(PCMU, clipped)) == ""


def test_two_pure_notes_on_dtmf_frequencies_still_need_the_level() -> None:
    """A sanity bound: the detector is fooled only by the exact tone pair itself."""
    assert detect(tone(697, 1600, 2000) + tone(1209, 1600, 2000)) == "1"


def test_channels_are_independent() -> None:
    detector = InbandDtmfDetector(4)
    a = np.concatenate([dtmf_tone("3", 0.1, -10), np.zeros(800, np.int16)])
    b = np.concatenate([np.zeros(800, np.int16), dtmf_tone("9", 0.1, -10)])
    frames = np.stack([a, b])
    found = []
    for i in range(frames.shape[1] // BLOCK):
        found += detector.process(np.array([2, 0]), frames[:, i * BLOCK:(i + 1) * BLOCK])
    assert found == [(2, "3"), (0, "9")]
