"""Tones baresip sends (WAV files written with the stdlib `wave` module) and what its
recordings contain, judged by frequency: a tone is heard when most of a window's
energy sits at its frequency."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 8000
WINDOW = 0.25  # seconds of audio judged at a time


def write_tone(path: Path, frequency: float, seconds: float = 60.0,
               amplitude: int = 8000) -> Path:
    """An 8 kHz mono 16-bit sine: baresip hangs up when its source ends, so make it long."""
    t = np.arange(int(RATE * seconds)) / RATE
    samples = (amplitude * np.sin(2 * np.pi * frequency * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return path


def read_samples(path: Path) -> np.ndarray:
    """The 16-bit samples of a recording; a header baresip has not finished yet (frame
    count zero) is read past, the data after it taken as it is."""
    with wave.open(str(path), "rb") as recording:
        assert recording.getframerate() == RATE and recording.getnchannels() == 1
        frames = recording.readframes(recording.getnframes())
    if not frames:
        frames = path.read_bytes()[44:]
    return np.frombuffer(frames[: len(frames) // 2 * 2], dtype="<i2").astype(np.float64)


@dataclass(frozen=True)
class Window:
    """One slice of a recording: how loud it is and how much of it is one frequency."""

    start: float
    rms: float
    peak: float
    share: float  # of the energy within 20 Hz of `peak`

    def is_tone(self, frequency: float, purity: float = 0.5) -> bool:
        """Mostly `frequency`; a purity near 1 admits nothing else mixed in."""
        return self.rms > 500 and abs(self.peak - frequency) < 20 and self.share > purity

    def is_sound(self) -> bool:
        return self.rms > 300


def windows(samples: np.ndarray) -> list[Window]:
    size = int(RATE * WINDOW)
    freqs = np.fft.rfftfreq(size, 1 / RATE)
    taper = np.hanning(size)
    out = []
    for start in range(0, len(samples) - size + 1, size):
        chunk = samples[start:start + size]
        power = np.abs(np.fft.rfft(chunk * taper)) ** 2
        power[:5] = 0  # no DC
        k = int(np.argmax(power))
        near = np.abs(freqs - freqs[k]) <= 20
        total = float(power.sum())
        out.append(Window(start / RATE, float(chunk.std()), float(freqs[k]),
                          float(power[near].sum() / total) if total else 0.0))
    return out


def describe(found: list[Window]) -> str:
    return " ".join(f"{w.start:.2f}s:{w.peak:.0f}Hz/{w.share:.2f}/{w.rms:.0f}" for w in found)
