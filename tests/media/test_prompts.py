from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from softswitch.clock import ManualClock
from softswitch.codecs import L16_8000
from softswitch.media.engine import FRAME, MediaEngine
from softswitch.media.prompts import PromptError, PromptLibrary, Speaker, prompts_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def library() -> PromptLibrary:
    return PromptLibrary()


def test_every_text_line_has_its_wav(library: PromptLibrary) -> None:
    assert prompts_dir().is_dir()
    for language in ("en", "zh"):
        lines = (REPO / "prompts" / f"{language}.txt").read_text(encoding="utf-8").splitlines()
        names = [line.split("|")[0] for line in lines if "|" in line and not line.startswith("#")]
        assert len(names) > 25
        for name in names:
            audio = library[f"{language}/{name}"]
            assert audio.dtype == np.int16 and 800 < len(audio) < 8000 * 12, name
            assert np.abs(audio).max() > 8000, name  # normalised, not silent
    moh = library["moh"]
    assert 15 * 8000 <= len(moh) <= 25 * 8000
    assert "beep" in library and library.languages == ["en", "zh"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_speaker_names_exist_for_every_number_and_wait(library: PromptLibrary,
                                                        language: str) -> None:
    speaker = Speaker(language)
    for n in range(1000):
        for name in speaker.number(n) + speaker.caller_position(n) + speaker.duration(n):
            assert name in library, name
    for seconds in (0, 59, 61, 3600):
        assert all(name in library for name in speaker.expected_wait(seconds))


def test_english_phrasing() -> None:
    en = Speaker("en")
    assert en.caller_position(3) == ["en/you_are_caller_number", "en/3"]
    assert en.expected_wait(200) == ["en/expected_wait", "en/4", "en/minutes"]
    assert en.expected_wait(10) == ["en/expected_wait", "en/1", "en/minute"]
    assert en.number(342) == ["en/3", "en/hundred", "en/40", "en/2"]
    assert en.number(17) == ["en/17"] and en.number(300) == ["en/3", "en/hundred"]
    assert en.duration(61) == ["en/1", "en/minute", "en/1", "en/second"]
    assert en.duration(0) == ["en/0", "en/seconds"]


def test_mandarin_phrasing() -> None:
    zh = Speaker("zh")
    assert zh.caller_position(3) == ["zh/you_are_caller_number", "zh/3", "zh/caller_number_suffix"]
    assert zh.number(15) == ["zh/ten", "zh/5"]  # 十五
    assert zh.number(42) == ["zh/4", "zh/ten", "zh/2"]  # 四十二
    assert zh.number(105) == ["zh/1", "zh/hundred", "zh/0", "zh/5"]  # 一百零五
    assert zh.number(115) == ["zh/1", "zh/hundred", "zh/1", "zh/ten", "zh/5"]  # 一百一十五
    assert zh.number(200) == ["zh/two", "zh/hundred"]  # 两百
    assert zh.expected_wait(100) == ["zh/expected_wait", "zh/two", "zh/minutes"]  # 两分钟


def test_out_of_range_and_unknown_language() -> None:
    with pytest.raises(PromptError):
        Speaker("en").number(1000)
    with pytest.raises(PromptError):
        Speaker("fr")


def test_library_plays_through_the_engine(library: PromptLibrary) -> None:
    engine = MediaEngine()
    library.install(engine)
    ch = engine.open_channel(L16_8000)
    names = Speaker("en").caller_position(7)
    engine.play(ch, names)
    clock = ManualClock()
    out = []
    while engine.is_playing(ch):
        out += [L16_8000.decode(p.payload) for p in engine.tick(clock.now()).packets]
        clock.advance(0.02)
    expected = [library[name] for name in names]
    heard = np.concatenate(out)
    pos = 0
    for audio in expected:  # each prompt starts on a frame boundary, padded with silence
        assert np.array_equal(heard[pos:pos + len(audio)], audio)
        pos += -(-len(audio) // FRAME) * FRAME
    assert pos == len(heard)


def test_bad_files_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="no prompt folder"):
        PromptLibrary(tmp_path / "missing")
    with wave.open(str(tmp_path / "loud.wav"), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes(bytes(400))
    with pytest.raises(PromptError, match="8000 Hz mono 16-bit, this is 44100 Hz, 2 channel"):
        PromptLibrary(tmp_path)
    (tmp_path / "loud.wav").write_bytes(b"RIFF not really")
    with pytest.raises(PromptError, match="not a PCM WAV"):
        PromptLibrary(tmp_path)
    with pytest.raises(PromptError, match="unknown prompt"):
        PromptLibrary()["en/nope"]
