"""Call-progress tones made from numbers rather than recordings, so they are exact and
free of rights: the switch's own ringback (ITU-T E.180 / ETSI TR 101 041 cadence)."""

from __future__ import annotations

import numpy as np

from softswitch.codecs.base import Int16Array

RATE = 8000
#: the CEPT ringing tone most of Europe uses (China rings 450 Hz on the same cadence)
RINGBACK_HZ = 425.0
RINGBACK_ON = 1.0
RINGBACK_OFF = 4.0
#: about -10 dBFS: as loud as a tone from a carrier, well below clipping when mixed
RINGBACK_LEVEL = 0.3
#: edges of each burst ramp over 5 ms: a hard start clicks
_RAMP = 0.005


def cadenced_tone(frequency: float, on: float, off: float, cycles: int, *,
                  level: float = RINGBACK_LEVEL, rate: int = RATE) -> Int16Array:
    """`cycles` periods of `on` seconds of a sine and `off` seconds of silence, burst
    first; a whole number of periods, so the engine can loop it without a seam."""
    if frequency <= 0 or frequency >= rate / 2:
        raise ValueError(f"frequency must lie between 0 and {rate / 2:g} Hz, got {frequency}")
    if on <= 0 or off < 0 or cycles < 1:
        raise ValueError("on must be positive, off not negative, cycles at least 1")
    if not 0 < level <= 1:
        raise ValueError(f"level must lie in (0, 1], got {level}")
    burst_n, gap_n = round(on * rate), round(off * rate)
    burst = np.sin(2 * np.pi * frequency * np.arange(burst_n) / rate)
    ramp_n = min(round(_RAMP * rate), burst_n // 2)
    if ramp_n:
        ramp = np.linspace(0.0, 1.0, ramp_n, endpoint=False)
        burst[:ramp_n] *= ramp
        burst[burst_n - ramp_n:] *= ramp[::-1]
    period = np.concatenate([burst * level * 32767, np.zeros(gap_n)])
    return np.tile(np.round(period), cycles).astype(np.int16)


def ringback(cycles: int = 2) -> Int16Array:
    """What a caller hears while the callee rings: 425 Hz, 1 s on, 4 s off."""
    return cadenced_tone(RINGBACK_HZ, RINGBACK_ON, RINGBACK_OFF, cycles)
