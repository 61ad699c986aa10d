"""Signals and measurements shared by the media tests."""

from __future__ import annotations

import numpy as np

RATE = 8000


def tone(freq: float, samples: int, amplitude: float = 8000.0, phase: float = 0.0) -> np.ndarray:
    t = np.arange(samples) / RATE
    return np.round(amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.int16)


def level_at(signal: np.ndarray, freq: float) -> float:
    """Amplitude of the component at `freq` (bin-centred frequencies only)."""
    spectrum = np.abs(np.fft.rfft(signal.astype(np.float64))) * 2 / len(signal)
    return float(spectrum[round(freq * len(signal) / RATE)])


def best_lag(a: np.ndarray, b: np.ndarray) -> tuple[int, float]:
    """Lag of b against a with the highest normalised cross-correlation, and that value."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    corr = np.correlate(a, b, mode="full")
    lag = int(np.argmax(corr)) - (len(b) - 1)
    norm = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return lag, float(corr.max() / norm)
