"""Write softswitch/data/prompts/ringback.wav: two periods (10 s) of the switch's ringback,
425 Hz 1 s on / 4 s off, 8 kHz mono 16-bit (the engine loops it).

    python prompts/make_ringback.py      (from the repository root)
"""

from __future__ import annotations

import wave
from pathlib import Path

from softswitch.media.tones import RATE, ringback


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "softswitch" / "data" / "prompts"
    samples = ringback(cycles=2)
    data = samples.astype("<i2").tobytes()
    with wave.open(str(out / "ringback.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(data)
    print(f"wrote {out / 'ringback.wav'} ({len(samples) / RATE:g} s)")


if __name__ == "__main__":
    main()
