from __future__ import annotations

import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from softswitch.clock import ManualClock
from softswitch.codecs import L16_8000
from softswitch.media.engine import FRAME, MediaEngine
from softswitch.media.recorder import WavRecorder


def test_engine_blocks_written_from_a_thread_read_back_exactly(tmp_path: Path) -> None:
    clock = ManualClock()
    engine = MediaEngine()
    a, b = engine.open_channel(L16_8000), engine.open_channel(L16_8000)
    engine.bridge(a, b)
    rec = engine.record(a, stereo=True)
    rng = np.random.default_rng(3)
    said = rng.integers(-9000, 9000, (2, 25 * FRAME)).astype(np.int16)
    blocks = []
    for n in range(25):
        engine.receive(a, L16_8000.encode(said[0, n * FRAME:(n + 1) * FRAME]))
        engine.receive(b, L16_8000.encode(said[1, n * FRAME:(n + 1) * FRAME]))
        blocks += [blk.samples for blk in engine.tick(clock.now()).recordings
                   if blk.recording == rec]
        clock.advance(0.02)
    path = tmp_path / "call.wav"

    def write() -> None:
        with WavRecorder(path, channels=2) as recorder:
            for block in blocks:
                recorder.write(block)

    worker = threading.Thread(target=write)  # as the edge does: off the event loop
    worker.start()
    worker.join()
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        data = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2)
    assert np.array_equal(data.T, said)


def test_wrong_blocks_are_refused(tmp_path: Path) -> None:
    with WavRecorder(tmp_path / "m.wav") as recorder:
        with pytest.raises(ValueError):
            recorder.write(np.zeros((FRAME, 2), np.int16))
        with pytest.raises(ValueError):
            recorder.write(np.zeros(FRAME, np.float32))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        WavRecorder(tmp_path / "x.wav", channels=3)
