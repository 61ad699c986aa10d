"""Write recording blocks to a WAV file, away from the event loop.

The engine only emits blocks; writing is file I/O, so the asyncio edge runs `write` in a
thread (one writer per recording, fed in order). The file is a plain 8 kHz 16-bit WAV:
mono, or two channels for [received, sent].
"""

from __future__ import annotations

import sys
import wave
from pathlib import Path

import numpy as np

from softswitch.codecs.base import Int16Array


class WavRecorder:
    def __init__(self, path: str | Path, channels: int = 1, rate: int = 8000) -> None:
        if channels not in (1, 2):
            raise ValueError("a recording is mono or two-channel")
        self.path = Path(path)
        self.channels = channels
        self.frames_written = 0
        self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 - closed by close()
        self._wav.setnchannels(channels)
        self._wav.setsampwidth(2)
        self._wav.setframerate(rate)

    def write(self, samples: Int16Array) -> None:
        expected_ndim = 1 if self.channels == 1 else 2
        if samples.dtype != np.int16 or samples.ndim != expected_ndim:
            raise ValueError(f"expected int16 blocks of {expected_ndim} dimension(s)")
        data = samples.astype("<i2") if sys.byteorder == "big" else samples
        self._wav.writeframes(np.ascontiguousarray(data).tobytes())
        self.frames_written += samples.shape[0]

    def close(self) -> None:
        self._wav.close()

    def __enter__(self) -> WavRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
