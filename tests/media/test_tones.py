"""The switch's ringback: the right frequency on the right cadence, loopable, and the
shipped WAV is exactly what the generator makes."""

from __future__ import annotations

import numpy as np
import pytest

from softswitch.media.prompts import prompts_dir, read_prompt
from softswitch.media.tones import RATE, cadenced_tone, ringback
from tests.media.audio import level_at


def test_ringback_is_425_hz_one_second_on_four_off() -> None:
    tone = ringback(cycles=2)
    assert len(tone) == 10 * RATE
    for start in (0, 5 * RATE):
        burst = tone[start:start + RATE]
        assert level_at(burst[400:400 + 3200], 425.0) > 0.25 * 32767 * 0.9
        assert level_at(burst[400:400 + 3200], 1000.0) < 50
        assert not tone[start + RATE:start + 5 * RATE].any()  # the gap is silence
    assert abs(int(tone[0])) < 100 and abs(int(tone[RATE - 1])) < 100  # ramped, no click
    assert int(np.abs(tone).max()) <= round(0.3 * 32767)


def test_cadence_refuses_nonsense() -> None:
    for args in ((0, 1, 4, 1), (5000, 1, 4, 1), (425, 0, 4, 1), (425, 1, -1, 1),
                 (425, 1, 4, 0)):
        with pytest.raises(ValueError):
            cadenced_tone(*args)
    with pytest.raises(ValueError):
        cadenced_tone(425, 1, 4, 1, level=1.5)


def test_shipped_ringback_wav_is_the_generated_tone() -> None:
    assert np.array_equal(read_prompt(prompts_dir() / "ringback.wav"), ringback(cycles=2))
