"""The system's recorded voice: loading prompts once, and saying numbers and durations.

Prompts are 8 kHz mono 16-bit WAVs shipped inside the package (softswitch/data/prompts/),
made from the text sources in the repository's top-level prompts/ folder. Shared sounds
(music on hold, the beep) sit at the top; spoken phrases sit in one folder per language
and are named "<language>/<name>", e.g. "en/goodbye" or "zh/3".
"""

from __future__ import annotations

import math
import sys
import wave
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path

import numpy as np

from softswitch.codecs.base import Int16Array


class PromptError(ValueError):
    """A prompt file that is missing or not 8 kHz mono 16-bit PCM, or an unknown prompt."""


def prompts_dir() -> Path:
    """Where the shipped prompts are, in a source tree or an installed package alike."""
    return Path(str(resources.files("softswitch"))) / "data" / "prompts"


def read_prompt(path: Path) -> Int16Array:
    try:
        with wave.open(str(path), "rb") as wav:
            shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
            if shape != (8000, 1, 2):
                raise PromptError(
                    f"{path}: prompts must be 8000 Hz mono 16-bit, this is {shape[0]} Hz, "
                    f"{shape[1]} channel(s), {8 * shape[2]}-bit")
            data = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise PromptError(f"{path}: not a PCM WAV file ({exc})") from exc
    except OSError as exc:
        raise PromptError(f"{path}: cannot read ({exc.strerror})") from exc
    samples = np.frombuffer(data, dtype="<i2").astype(np.int16)
    if len(samples) == 0:
        raise PromptError(f"{path}: has no audio")
    return samples if sys.byteorder == "little" else samples.copy()


class PromptLibrary(Mapping[str, Int16Array]):
    """Every prompt under a folder, decoded once, by name."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else prompts_dir()
        if not self.directory.is_dir():
            raise PromptError(f"{self.directory}: no prompt folder")
        self._prompts: dict[str, Int16Array] = {}
        for path in sorted(self.directory.glob("*.wav")):
            self._prompts[path.stem] = read_prompt(path)
        for path in sorted(self.directory.glob("*/*.wav")):
            self._prompts[f"{path.parent.name}/{path.stem}"] = read_prompt(path)
        if not self._prompts:
            raise PromptError(f"{self.directory}: no prompts found")

    def __getitem__(self, name: str) -> Int16Array:
        try:
            return self._prompts[name]
        except KeyError:
            raise PromptError(f"unknown prompt {name!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._prompts)

    def __len__(self) -> int:
        return len(self._prompts)

    @property
    def languages(self) -> list[str]:
        return sorted({name.split("/")[0] for name in self._prompts if "/" in name})

    def install(self, engine: object) -> None:
        """Register every prompt with a MediaEngine (anything with add_prompt/has_prompt)."""
        for name, samples in self._prompts.items():
            if not engine.has_prompt(name):  # type: ignore[attr-defined]
                engine.add_prompt(name, samples)  # type: ignore[attr-defined]


class Speaker:
    """Turns numbers and durations into lists of prompt names, per language."""

    def __init__(self, language: str = "en") -> None:
        if language not in ("en", "zh"):
            raise PromptError(f"no number rules for language {language!r}")
        self.language = language

    def _names(self, parts: list[str]) -> list[str]:
        return [f"{self.language}/{p}" for p in parts]

    def number(self, n: int) -> list[str]:
        if not 0 <= n <= 999:
            raise PromptError(f"can say 0 to 999, not {n}")
        parts = _english(n) if self.language == "en" else _mandarin(n)
        return self._names(parts)

    def _count(self, n: int) -> list[str]:
        """A number before a measure word: Mandarin says 两, not 二, for two."""
        if self.language == "zh" and n == 2:
            return self._names(["two"])
        return self.number(n)

    def caller_position(self, position: int) -> list[str]:
        """"You are caller number 3" / 您是第三位来电者."""
        said = self._names(["you_are_caller_number"]) + self.number(position)
        if self.language == "zh":
            said += self._names(["caller_number_suffix"])
        return said

    def expected_wait(self, seconds: float) -> list[str]:
        """"Your expected wait is about 4 minutes", rounded up, at least one minute."""
        minutes = max(1, math.ceil(seconds / 60))
        minutes = min(minutes, 999)
        return self._names(["expected_wait"]) + self._count(minutes) + self._names(
            ["minute" if minutes == 1 else "minutes"])

    def duration(self, seconds: float) -> list[str]:
        """"2 minutes 5 seconds"; whole seconds, minutes left out when zero."""
        total = max(0, round(seconds))
        minutes, secs = divmod(total, 60)
        said: list[str] = []
        if minutes:
            said += self._count(minutes) + self._names(["minute" if minutes == 1 else "minutes"])
        if secs or not minutes:
            said += self._count(secs) + self._names(["second" if secs == 1 else "seconds"])
        return said


def _english(n: int) -> list[str]:
    parts: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        parts += [str(hundreds), "hundred"]
        if not rest:
            return parts
    if rest < 20:
        return [*parts, str(rest)]
    tens, ones = divmod(rest, 10)
    parts.append(str(tens * 10))
    if ones:
        parts.append(str(ones))
    return parts


def _mandarin(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    parts: list[str] = []
    if hundreds:
        parts += ["two" if hundreds == 2 else str(hundreds), "hundred"]
        if not rest:
            return parts
        if rest < 10:
            return [*parts, "0", str(rest)]  # 三百零五
    elif n < 10:
        return [str(n)]
    tens, ones = divmod(rest, 10)
    if tens > 1 or hundreds:
        parts.append(str(tens))  # 一百一十五 keeps the 一; 十五 drops it
    parts.append("ten")
    if ones:
        parts.append(str(ones))
    return parts
