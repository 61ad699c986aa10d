"""In-band DTMF detection for every channel at once (ITU-T Q.23/Q.24 tones).

Each 20 ms block of every detecting channel goes through the eight Goertzel filters in one
matrix product: the Goertzel recurrence computes the DFT at one chosen frequency, which is
the projection of the block on a cosine and a sine at that frequency, so the powers of all
channels and all eight frequencies are `(X @ C)**2 + (X @ S)**2` for the [channels, 160]
block X. The checks per block (all vectorised) are: a minimum level, the strongest row and
column tone each clearly above the others of their group, twist limits, and the two tones
holding most of the block's energy (speech and music spread theirs). A digit is reported
once when it has held for two blocks (40 ms), and only after a block without a digit, so
one key press yields one event however long it is held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ROWS = (697.0, 770.0, 852.0, 941.0)
COLUMNS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYS = ("123A", "456B", "789C", "*0#D")
DIGITS = "".join(KEYS)  # index = row * 4 + column

RATE = 8000
BLOCK = 160


@dataclass(frozen=True, slots=True)
class DtmfThresholds:
    #: per-tone power floor (mean-square units of int16); a -30 dBm0 tone has about 2.6e5
    min_tone_power: float = 1.0e5
    #: the strongest tone of a group over the next one of that group (6 dB)
    group_margin: float = 4.0
    #: column stronger than row ("normal" twist) at most 8 dB, row stronger at most 4 dB
    max_normal_twist: float = 10 ** (8 / 10)
    max_reverse_twist: float = 10 ** (4 / 10)
    #: share of the block's energy that the two tones must carry
    min_energy_share: float = 0.75
    #: blocks a digit must hold before it is reported (2 x 20 ms = 40 ms)
    min_blocks: int = 2


def _basis(block: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    n = np.arange(block)[:, None]
    freqs = np.array(ROWS + COLUMNS)[None, :]
    phase = 2 * np.pi * freqs * n / RATE
    return np.cos(phase), np.sin(phase)


class InbandDtmfDetector:
    """Per-channel detector state in arrays indexed by channel number."""

    def __init__(self, capacity: int = 64, thresholds: DtmfThresholds | None = None) -> None:
        self.thresholds = thresholds or DtmfThresholds()
        self._cos, self._sin = _basis(BLOCK)
        self._candidate = np.full(capacity, -1, dtype=np.int8)
        self._run = np.zeros(capacity, dtype=np.int32)
        self._armed = np.ones(capacity, dtype=bool)

    def ensure_capacity(self, capacity: int) -> None:
        extra = capacity - len(self._candidate)
        if extra > 0:
            self._candidate = np.concatenate([self._candidate, np.full(extra, -1, np.int8)])
            self._run = np.concatenate([self._run, np.zeros(extra, np.int32)])
            self._armed = np.concatenate([self._armed, np.ones(extra, bool)])

    def reset(self, channel: int) -> None:
        self._candidate[channel] = -1
        self._run[channel] = 0
        self._armed[channel] = True

    def classify(self, frames: npt.NDArray[np.int16]) -> npt.NDArray[np.int8]:
        """The digit index heard in each [channels, 160] row, or -1."""
        t = self.thresholds
        x = frames.astype(np.float64)
        n = x.shape[1]
        power = ((x @ self._cos) ** 2 + (x @ self._sin) ** 2) * (2.0 / (n * n))
        energy = np.einsum("ij,ij->i", x, x) / n
        rows, cols = power[:, :4], power[:, 4:]
        row = rows.argmax(axis=1)
        col = cols.argmax(axis=1)
        ar = np.arange(len(x))
        row_p = rows[ar, row]
        col_p = cols[ar, col]
        rows_sorted = np.sort(rows, axis=1)
        cols_sorted = np.sort(cols, axis=1)
        ok = (row_p >= t.min_tone_power) & (col_p >= t.min_tone_power)
        ok &= row_p >= t.group_margin * rows_sorted[:, -2]
        ok &= col_p >= t.group_margin * cols_sorted[:, -2]
        ok &= col_p <= t.max_normal_twist * row_p
        ok &= row_p <= t.max_reverse_twist * col_p
        ok &= (row_p + col_p) >= t.min_energy_share * energy
        return np.where(ok, row * 4 + col, -1).astype(np.int8)

    def process(self, channels: npt.NDArray[np.intp],
                frames: npt.NDArray[np.int16]) -> list[tuple[int, str]]:
        """Feed one block per channel; returns (channel, digit) for presses just confirmed."""
        if len(channels) == 0:
            return []
        found = self.classify(frames)
        same = found == self._candidate[channels]
        run = np.where(same, self._run[channels] + 1, 1)
        armed = self._armed[channels] | (found < 0)
        fire = (found >= 0) & (run >= self.thresholds.min_blocks) & armed
        armed &= ~fire
        self._candidate[channels] = found
        self._run[channels] = run
        self._armed[channels] = armed
        hits = np.flatnonzero(fire)
        return [(int(channels[i]), DIGITS[found[i]]) for i in hits]


def dtmf_tone(digit: str, duration: float, level_dbfs: float = -10.0, twist_db: float = 0.0,
              rate: int = RATE, phase: float = 0.0) -> npt.NDArray[np.int16]:
    """A DTMF tone pair, each tone at `level_dbfs` (columns `twist_db` louder): for prompts
    that play digits and for tests."""
    index = DIGITS.index(digit.upper())
    f_row, f_col = ROWS[index // 4], COLUMNS[index % 4]
    t = np.arange(round(duration * rate)) / rate
    amp = 32767 * 10 ** (level_dbfs / 20)
    wave = amp * np.sin(2 * np.pi * f_row * t + phase)
    wave += amp * 10 ** (twist_db / 20) * np.sin(2 * np.pi * f_col * t + 2 * phase)
    return np.clip(np.round(wave), -32768, 32767).astype(np.int16)
