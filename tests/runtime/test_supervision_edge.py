"""The supervisor's mix in the real engine: listen hears both, whisper reaches the agent
alone, barge reaches both; and recording files written off the loop."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from softswitch.call.supervisor import MIX, Mode
from softswitch.codecs.registry import PCMU
from softswitch.media.engine import MediaEngine
from softswitch.runtime.supervision_edge import WavFiles

FRAME = 160


def tone(freq: float) -> np.ndarray:
    t = np.arange(FRAME) / 8000
    return (8000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def energy_heard(mode: Mode) -> dict[str, float]:
    """Each party sends its own tone for a few ticks; the energy each one hears of the
    supervisor's tone (and the supervisor of the others)."""
    engine = MediaEngine()
    caller, agent, supervisor = (engine.open_channel(PCMU) for _ in range(3))
    group = engine.bridge(caller, agent)
    assert engine.group_of(agent) == group
    engine.listen(supervisor, group)
    rule = MIX[mode]
    engine.set_talk(supervisor, rule.talk)
    engine.whisper(supervisor, agent if rule.whisper else None)
    sent = {caller: tone(300), agent: tone(700), supervisor: tone(1900)}
    heard: dict[int, list[np.ndarray]] = {c: [] for c in sent}
    for index in range(6):
        for channel, frame in sent.items():
            engine.receive(channel, PCMU.encode(frame))
        result = engine.tick(index * 0.02)
        for out in result.packets:
            heard[out.channel].append(PCMU.decode(out.payload).astype(np.float64))

    def at(channel: int, freq: float) -> float:
        audio = np.concatenate(heard[channel][1:])
        spectrum = np.abs(np.fft.rfft(audio))
        return float(spectrum[round(freq * len(audio) / 8000)])

    return {"caller_hears_sup": at(caller, 1900), "agent_hears_sup": at(agent, 1900),
            "sup_hears_caller": at(supervisor, 300), "sup_hears_agent": at(supervisor, 700),
            "caller_hears_agent": at(caller, 700)}


def test_listen_hears_both_and_is_heard_by_none() -> None:
    e = energy_heard(Mode.LISTEN)
    assert e["sup_hears_caller"] > 1e5 and e["sup_hears_agent"] > 1e5
    assert e["caller_hears_sup"] < 1e4 and e["agent_hears_sup"] < 1e4
    assert e["caller_hears_agent"] > 1e5


def test_whisper_reaches_the_agent_alone() -> None:
    e = energy_heard(Mode.WHISPER)
    assert e["agent_hears_sup"] > 1e5
    assert e["caller_hears_sup"] < 1e4
    assert e["sup_hears_caller"] > 1e5 and e["sup_hears_agent"] > 1e5


def test_barge_is_heard_by_both() -> None:
    e = energy_heard(Mode.BARGE)
    assert e["agent_hears_sup"] > 1e5 and e["caller_hears_sup"] > 1e5


def test_wav_files_are_written_in_order_by_the_worker(tmp_path: Path) -> None:
    files = WavFiles()
    path = tmp_path / "recordings" / "c-1.wav"
    files.open(1, path)
    for value in range(5):
        files.write(1, np.full(FRAME, value, dtype=np.int16))
    files.close(1).result(5)
    files.shutdown()
    with wave.open(str(path)) as wav:
        assert wav.getnframes() == 5 * FRAME
        samples = np.frombuffer(wav.readframes(5 * FRAME), dtype="<i2")
    assert samples[::FRAME].tolist() == [0, 1, 2, 3, 4]
