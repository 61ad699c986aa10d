"""Generate the G.711 conformance vectors from the standard's own description.

ITU-T G.711 defines each law as 8 segments of 16 quantisation intervals per sign; every
code stands for one interval of the uniform scale (14-bit for mu-law, 13-bit for A-law)
and decodes to the interval's midpoint. This script builds those interval tables from
the segment rules alone (it does not import softswitch), encodes by searching the
decision values, writes the vectors, and cross-checks everything against audioop.

Run from the repository root:  python codecs/make_vectors.py
"""

from __future__ import annotations

import bisect
import json
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent


def ulaw_intervals() -> dict[int, tuple[int, int, int]]:
    """mu-law code -> (low, high, decoded) in 16-bit units; low <= x < high encodes to code.

    On the 14-bit magnitude scale, segment s, step q covers [((32+2q) << s) - 33,
    ((34+2q) << s) - 33) and decodes to ((33+2q) << s) - 33. The character is P S S S Q Q Q Q
    with P = 0 for positive; all bits are inverted on the line (so 0xFF is +0).
    """
    table: dict[int, tuple[int, int, int]] = {}
    for sign in (0, 1):  # 1 = positive
        for seg in range(8):
            for step in range(16):
                low = ((32 + 2 * step) << seg) - 33
                high = ((34 + 2 * step) << seg) - 33
                mid = ((33 + 2 * step) << seg) - 33
                code = ~(((1 - sign) << 7) | (seg << 4) | step) & 0xFF
                # a negative 14-bit value x has magnitude -x >= 1: x = 0 is always +0,
                # so the negative zero code decodes (to 0) but is never produced
                if sign:
                    table[code] = (max(low, 0), high, mid)
                else:
                    table[code] = (-high + 1, -max(low, 1) + 1, -mid)
    return {code: (lo * 4, hi * 4, mid * 4) for code, (lo, hi, mid) in table.items()}


def alaw_intervals() -> dict[int, tuple[int, int, int]]:
    """A-law code -> (low, high, decoded) in 16-bit units, as for mu-law.

    On the 13-bit magnitude scale, segment 0 step q covers [2q, 2q+2), segment s >= 1 covers
    [(16+q) << s, (17+q) << s); each decodes to its midpoint. Even bits are inverted on the
    line (xor 0x55), and the sign bit is 1 for positive values. A negative 13-bit value x
    has magnitude -x - 1 (one's complement).
    """
    table: dict[int, tuple[int, int, int]] = {}
    for sign in (0, 1):
        for seg in range(8):
            for step in range(16):
                if seg == 0:
                    low, high = 2 * step, 2 * step + 2
                else:
                    low, high = (16 + step) << seg, (17 + step) << seg
                mid = (low + high) // 2
                code = ((sign << 7) | (seg << 4) | step) ^ 0x55
                if sign:
                    table[code] = (low * 8, high * 8, mid * 8)
                else:  # magnitude m is the value -m - 1
                    table[code] = ((-high) * 8, (-low) * 8, -mid * 8)
    return table


def encoder(intervals: dict[int, tuple[int, int, int]], shift: int):
    """Encode by finding the interval holding the truncated sample (16-bit >> shift)."""
    rows = sorted((lo, hi, code) for code, (lo, hi, _mid) in intervals.items() if hi > lo)
    lows = [lo >> shift for lo, _hi, _code in rows]

    def encode(sample: int) -> int:
        x = sample >> shift  # the standard's 14-/13-bit input, truncated toward -inf
        i = bisect.bisect_right(lows, x) - 1
        i = max(i, 0)  # below the lowest decision value: the most negative code
        return rows[i][2]

    return encode


# Level of a full-scale sine: mu-law overloads at +3.17 dBm0 (14-bit peak 8159),
# A-law at +3.14 dBm0 (13-bit peak 4096).
PEAK_0DBM0 = {
    "ulaw": 8159 * 4 / 10 ** (3.17 / 20),
    "alaw": 4096 * 8 / 10 ** (3.14 / 20),
}
TONES = [(1000.0, -10.0), (1004.0, 0.0), (400.0, -20.0), (3000.0, -3.0)]


def tone(law: str, freq: float, dbm0: float, count: int = 160) -> list[int]:
    peak = PEAK_0DBM0[law] * 10 ** (dbm0 / 20)
    return [round(peak * math.sin(2 * math.pi * freq * n / 8000 + 0.25)) for n in range(count)]


def main() -> None:
    laws = {"ulaw": (ulaw_intervals(), 2), "alaw": (alaw_intervals(), 3)}
    tones = []
    for law, (intervals, shift) in laws.items():
        assert len(intervals) == 256
        with open(HERE / f"g711_{law}.csv", "w") as out:
            out.write("code,linear\n")
            for code in range(256):
                out.write(f"{code},{intervals[code][2]}\n")
        encode = encoder(intervals, shift)
        for freq, dbm0 in TONES:
            samples = tone(law, freq, dbm0)
            codes = [encode(s) for s in samples]
            tones.append({
                "law": law, "frequency_hz": freq, "level_dbm0": dbm0,
                "samples": samples, "encoded_hex": bytes(codes).hex(),
                "decoded": [intervals[c][2] for c in codes],
            })
    with open(HERE / "g711_tones.json", "w") as out:
        json.dump(tones, out, indent=1)
        out.write("\n")
    cross_check(laws)


def cross_check(laws: dict) -> None:
    """The vectors must agree with audioop (Sun's g711.c lineage) on every code and sample."""
    import sys
    import warnings
    from array import array

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    everything = array("h", range(-32768, 32768))
    if sys.byteorder == "big":
        everything.byteswap()
    raw = everything.tobytes()
    for law, (intervals, shift) in laws.items():
        to_lin = audioop.ulaw2lin if law == "ulaw" else audioop.alaw2lin
        to_law = audioop.lin2ulaw if law == "ulaw" else audioop.lin2alaw
        decoded = array("h", to_lin(bytes(range(256)), 2))
        assert list(decoded) == [intervals[c][2] for c in range(256)], law
        encode = encoder(intervals, shift)
        ours = bytes(encode(s) for s in range(-32768, 32768))
        assert ours == to_law(raw, 2), law
    print("vectors written; audioop agrees on all 256 codes and all 65536 samples, both laws")


if __name__ == "__main__":
    main()
