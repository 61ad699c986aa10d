"""The media engine: playback, mixing, monitoring, recording, relay and transcoding."""

from __future__ import annotations

import numpy as np
import pytest

from softswitch.clock import ManualClock
from softswitch.codecs import L16_8000, PCMA, PCMU
from softswitch.media.dtmf import dtmf_tone
from softswitch.media.engine import (
    FRAME,
    InbandDigit,
    MediaEngine,
    MediaError,
    PromptFinished,
    TickResult,
)
from softswitch.rtp.packet import RtpPacket

from .audio import best_lag, level_at, tone


def run(engine: MediaEngine, clock: ManualClock, ticks: int,
        feed: dict[int, np.ndarray] | None = None) -> list[TickResult]:
    """Tick `ticks` times, feeding each channel in `feed` its next 160 samples first."""
    results = []
    for n in range(ticks):
        for channel, signal in (feed or {}).items():
            frame = signal[n * FRAME:(n + 1) * FRAME]
            if len(frame) == FRAME:
                engine.receive(channel, engine.codec_of(channel).encode(frame))
        results.append(engine.tick(clock.now()))
        clock.advance(0.02)
    return results


def heard(results: list[TickResult], channel: int, codec=PCMU) -> np.ndarray:
    frames = [codec.decode(p.payload) for r in results for p in r.packets if p.channel == channel]
    return np.concatenate(frames) if frames else np.zeros(0, np.int16)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def test_prompt_comes_out_sample_exact(clock: ManualClock) -> None:
    engine = MediaEngine()
    prompt = np.random.default_rng(5).integers(-20000, 20000, 1000).astype(np.int16)
    engine.add_prompt("greeting", prompt)
    exact = engine.open_channel(L16_8000)
    coded = engine.open_channel(PCMU)
    engine.play(exact, "greeting")
    engine.play(coded, "greeting")
    results = run(engine, clock, 8)
    out = heard(results, exact, L16_8000)
    assert len(out) == 7 * FRAME  # 1000 samples: 7 frames, the last padded with silence
    assert np.array_equal(out[:1000], prompt)
    assert not out[1000:].any()
    assert np.array_equal(heard(results, coded)[:1000], PCMU.decode(PCMU.encode(prompt)))
    finished = [e for r in results for e in r.events if isinstance(e, PromptFinished)]
    assert finished == [PromptFinished(exact, "greeting"), PromptFinished(coded, "greeting")]
    assert [i for i, r in enumerate(results) if r.events] == [6]
    assert not engine.is_playing(exact)


def test_queued_prompts_follow_each_other_and_music_loops(clock: ManualClock) -> None:
    engine = MediaEngine()
    a = np.full(FRAME, 1000, np.int16)
    b = np.full(2 * FRAME, -2000, np.int16)
    music = np.arange(250, dtype=np.int16)  # not a whole number of frames: loops mid-frame
    engine.add_prompt("a", a)
    engine.add_prompt("b", b)
    engine.add_prompt("moh", music)
    ch = engine.open_channel(L16_8000)
    engine.play(ch, ["a", "b"])
    engine.play(ch, "moh", loop=True)
    results = run(engine, clock, 8)
    out = heard(results, ch, L16_8000)
    assert np.array_equal(out[:FRAME], a)
    assert np.array_equal(out[FRAME:3 * FRAME], b)
    looped = out[3 * FRAME:]
    assert np.array_equal(looped, np.resize(music, len(looped)))
    names = [e.prompt for r in results for e in r.events]
    assert names == ["a", "b"]  # the music never ends by itself
    engine.stop_playback(ch)
    result = engine.tick(clock.now())
    assert result.events == [PromptFinished(ch, "moh", interrupted=True)]
    assert result.packets == []  # idle and unbridged: nothing to send


def test_conference_of_three_each_hears_the_others_not_themselves(clock: ManualClock) -> None:
    engine = MediaEngine()
    freqs = [400.0, 1000.0, 1800.0]  # bin-centred for 160-sample FFTs
    parties = [engine.open_channel(PCMU) for _ in freqs]
    room = engine.conference()
    for p in parties:
        engine.join(room, p)
    signals = {p: tone(f, 10 * FRAME, 6000) for p, f in zip(parties, freqs, strict=True)}
    results = run(engine, clock, 10, signals)
    for p, own in zip(parties, freqs, strict=True):
        out = heard(results, p)[-FRAME * 4:]
        for f in freqs:
            level = level_at(out, f)
            if f == own:
                assert level < 60, (p, f, level)
            else:
                assert level == pytest.approx(6000, rel=0.05), (p, f, level)


def test_mixing_saturates_instead_of_wrapping(clock: ManualClock) -> None:
    engine = MediaEngine()
    parties = [engine.open_channel(L16_8000) for _ in range(3)]
    room = engine.conference()
    for p in parties:
        engine.join(room, p)
    loud = np.full(FRAME, 30000, np.int16)
    results = run(engine, clock, 1, {parties[0]: loud, parties[1]: loud})
    assert (heard(results, parties[2], L16_8000) == 32767).all()


def test_whisper_is_heard_by_the_agent_only(clock: ManualClock) -> None:
    engine = MediaEngine()
    caller, agent, supervisor = (engine.open_channel(PCMU) for _ in range(3))
    call = engine.bridge(caller, agent)
    engine.listen(supervisor, call)
    engine.whisper(supervisor, agent)
    signals = {caller: tone(400, 8 * FRAME), agent: tone(1000, 8 * FRAME),
               supervisor: tone(1800, 8 * FRAME)}
    results = run(engine, clock, 8, signals)
    ear = {ch: heard(results, ch)[-4 * FRAME:] for ch in signals}
    assert level_at(ear[agent], 400) > 7000 and level_at(ear[agent], 1800) > 7000
    assert level_at(ear[caller], 1000) > 7000 and level_at(ear[caller], 1800) < 60
    assert level_at(ear[supervisor], 400) > 7000 and level_at(ear[supervisor], 1000) > 7000
    assert level_at(ear[supervisor], 1800) < 60
    assert not engine.is_relayed(caller)
    engine.whisper(supervisor, None)  # back to silent listening
    results = run(engine, clock, 8, signals)
    assert level_at(heard(results, agent)[-4 * FRAME:], 1800) < 60
    engine.set_talk(supervisor, True)  # barge in: now everyone hears the supervisor
    results = run(engine, clock, 8, signals)
    assert level_at(heard(results, caller)[-4 * FRAME:], 1800) > 7000


def test_listen_hears_both_and_is_heard_by_none(clock: ManualClock) -> None:
    engine = MediaEngine()
    caller, agent, supervisor = (engine.open_channel(PCMU) for _ in range(3))
    engine.listen(supervisor, engine.bridge(caller, agent))
    signals = {caller: tone(400, 8 * FRAME), agent: tone(1000, 8 * FRAME),
               supervisor: tone(1800, 8 * FRAME)}
    results = run(engine, clock, 8, signals)
    sup = heard(results, supervisor)[-4 * FRAME:]
    assert level_at(sup, 400) > 7000 and level_at(sup, 1000) > 7000
    for ch in (caller, agent):
        assert level_at(heard(results, ch)[-4 * FRAME:], 1800) < 60


@pytest.mark.parametrize("stereo", [False, True])
def test_recording_matches_its_source_without_gap_or_duplicate(
        clock: ManualClock, stereo: bool) -> None:
    engine = MediaEngine()
    caller, agent = engine.open_channel(L16_8000), engine.open_channel(L16_8000)
    engine.bridge(caller, agent)
    recording = engine.record(caller, stereo=stereo)
    rng = np.random.default_rng(7)
    ticks = 50
    voice = {ch: (rng.standard_normal(ticks * FRAME) * 3000).astype(np.int16)
             for ch in (caller, agent)}
    lost = {10, 11, 30}  # ticks where the agent's packet never arrived
    blocks = []
    for n in range(ticks):
        for ch, signal in voice.items():
            if not (ch == agent and n in lost):
                engine.receive(ch, L16_8000.encode(signal[n * FRAME:(n + 1) * FRAME]))
        missed = 2 if n == 40 else 0  # the scheduler skipped two ticks before tick 40
        blocks.extend(b.samples for b in engine.tick(clock.now(), missed=missed).recordings
                      if b.recording == recording)
    audio = np.concatenate(blocks)
    assert len(audio) == (ticks + 2) * FRAME  # every tick once, skipped ticks as silence
    expected_agent = voice[agent].copy()
    for n in lost:
        expected_agent[n * FRAME:(n + 1) * FRAME] = 0
    if stereo:
        def timeline(x: np.ndarray) -> np.ndarray:
            return np.concatenate([x[:40 * FRAME], np.zeros(2 * FRAME, np.int16), x[40 * FRAME:]])
        assert np.array_equal(audio[:, 0], timeline(voice[caller]))
        assert np.array_equal(audio[:, 1], timeline(expected_agent))
    else:
        mixed = audio[: 40 * FRAME].astype(np.int32)
        assert np.array_equal(mixed, voice[caller][: 40 * FRAME].astype(np.int32)
                              + expected_agent[: 40 * FRAME])
        lag, corr = best_lag(audio, voice[caller])
        assert lag == 0 and corr > 0.5  # half of the mix is the other party


def test_relay_fast_path_only_when_nothing_needs_the_audio(clock: ManualClock) -> None:
    engine = MediaEngine()
    a, b = engine.open_channel(PCMU), engine.open_channel(PCMU)
    engine.bridge(a, b)
    payload = PCMU.encode(tone(700, FRAME))
    out = engine.receive(a, payload)
    assert out is not None and out.relayed and out.channel == b and out.payload == payload
    assert engine.tick(clock.now()).packets == []  # the tick leaves relayed calls alone

    engine.record(a)
    assert engine.receive(a, payload) is None
    packets = engine.tick(clock.now()).packets
    assert sorted(p.channel for p in packets) == [a, b]
    assert not any(p.relayed for p in packets)
    assert next(p for p in packets if p.channel == b).payload == payload  # decoded, re-encoded
    engine.stop_recording(a)
    assert engine.is_relayed(a)

    engine.add_prompt("beep", tone(1000, FRAME))
    engine.play(b, "beep")
    assert not engine.is_relayed(a)
    engine.tick(clock.now())
    assert engine.is_relayed(a)  # the prompt ended

    engine.set_detect_inband(b, True)
    assert not engine.is_relayed(b)


def test_transcoding_between_mu_law_and_a_law(clock: ManualClock) -> None:
    engine = MediaEngine()
    u, a = engine.open_channel(PCMU), engine.open_channel(PCMA)
    engine.bridge(u, a)
    assert not engine.is_relayed(u)
    speech = tone(1000, 6 * FRAME, 9000)
    reply = tone(400, 6 * FRAME, 5000)
    results = run(engine, clock, 6, {u: speech, a: reply})
    to_a = [p for r in results for p in r.packets if p.channel == a]
    assert {p.payload_type for p in to_a} == {8}
    got = np.concatenate([PCMA.decode(p.payload) for p in to_a])
    assert np.array_equal(got, PCMA.decode(PCMA.encode(PCMU.decode(PCMU.encode(speech)))))
    to_u = heard(results, u, PCMU)
    assert level_at(to_u, 400) == pytest.approx(5000, rel=0.03)


def test_inband_digits_are_reported_as_events(clock: ManualClock) -> None:
    engine = MediaEngine()
    ch = engine.open_channel(PCMU, detect_inband=True)
    other = engine.open_channel(PCMU)
    signal = np.concatenate([np.zeros(300, np.int16), dtmf_tone("7", 0.1, -15),
                             np.zeros(800, np.int16)])
    results = run(engine, clock, len(signal) // FRAME, {ch: signal, other: signal})
    digits = [e for r in results for e in r.events if isinstance(e, InbandDigit)]
    assert [(d.channel, d.event.digit, d.event.source) for d in digits] == [(ch, "7", "inband")]


def test_channels_grow_past_the_initial_capacity_and_are_reused(clock: ManualClock) -> None:
    engine = MediaEngine(capacity=2)
    engine.add_prompt("p", tone(1000, FRAME))
    channels = [engine.open_channel(PCMU) for _ in range(9)]
    assert len(set(channels)) == 9 and engine.channels == 9
    for ch in channels:
        engine.play(ch, "p")
    assert len(engine.tick(clock.now()).packets) == 9
    engine.close_channel(channels[3])
    assert engine.open_channel(PCMA) == channels[3]


def test_bad_requests_get_media_errors() -> None:
    engine = MediaEngine()
    ch = engine.open_channel(PCMU)
    with pytest.raises(MediaError, match="160"):
        engine.receive(ch, b"\xff" * 80)
    with pytest.raises(MediaError):
        engine.receive(99, b"\xff" * 160)
    with pytest.raises(MediaError, match="unknown prompt"):
        engine.play(ch, "nope")
    with pytest.raises(MediaError):
        engine.add_prompt("bad", np.zeros(10, dtype=np.float32))  # type: ignore[arg-type]
    with pytest.raises(MediaError):
        engine.join(42, ch)
    with pytest.raises(MediaError):
        engine.bridge(ch, ch)
    engine.record(ch)
    with pytest.raises(MediaError):
        engine.record(ch)
    engine.close_channel(ch)
    with pytest.raises(MediaError):
        engine.play(ch, "nope")


def test_calls_and_conferences_of_different_sizes_mix_side_by_side(clock: ManualClock) -> None:
    engine = MediaEngine()
    pair = [engine.open_channel(L16_8000) for _ in range(2)]
    trio = [engine.open_channel(L16_8000) for _ in range(3)]
    engine.record(pair[0])  # keeps the pair off the relay path, in the mix
    engine.bridge(*pair)
    room = engine.conference()
    for ch in trio:
        engine.join(room, ch)
    said = {ch: np.full(FRAME, 100 * (i + 1), np.int16) for i, ch in enumerate(pair + trio)}
    results = run(engine, clock, 1, said)
    got = {ch: int(heard(results, ch, L16_8000)[0]) for ch in said}
    assert got == {pair[0]: 200, pair[1]: 100, trio[0]: 900, trio[1]: 800, trio[2]: 700}


# -- the batched API: receive_many and tick_batch -------------------------------------------


def scenario(engine: MediaEngine) -> dict[int, object]:
    """A bit of everything: a conference of three, a recorded PCMU-PCMA call, a prompt."""
    engine.add_prompt("hello", tone(500, 5 * FRAME, 6000))
    room = engine.conference()
    codecs = {}
    for _ in range(3):
        ch = engine.open_channel(PCMU)
        engine.join(room, ch)
        codecs[ch] = PCMU
    u, a = engine.open_channel(PCMU), engine.open_channel(PCMA)
    engine.bridge(u, a)
    engine.record(u)
    codecs[u], codecs[a] = PCMU, PCMA
    alone = engine.open_channel(PCMU)
    engine.play(alone, "hello")
    return codecs


def test_receive_many_and_tick_batch_do_what_receive_and_tick_do(clock: ManualClock) -> None:
    one, many = MediaEngine(seed=3), MediaEngine(seed=3)
    codecs = scenario(one)
    assert scenario(many) == codecs
    rng = np.random.default_rng(11)
    for _ in range(6):
        frames = {ch: (rng.standard_normal(FRAME) * 4000).astype(np.int16) for ch in codecs}
        for ch, frame in frames.items():
            one.receive(ch, codecs[ch].encode(frame))
        for codec in (PCMU, PCMA):
            chans = [ch for ch in codecs if codecs[ch] is codec]
            rows = np.stack([codec.encode_frames(frames[ch][None])[0] for ch in chans])
            assert many.receive_many(np.array(chans), rows) is None
        expected = one.tick(clock.now())
        batch = many.tick_batch(clock.now())
        got = {ch: bytes(p) for block in batch.sends
               for ch, p in zip(block.channels.tolist(), block.payloads, strict=True)}
        assert got == {p.channel: p.payload for p in expected.packets}
        assert batch.packet_count == len(expected.packets)
        assert batch.recordings is not None
        assert batch.recordings.received.shape == (1, FRAME)
        [block] = expected.recordings
        assert np.array_equal(batch.recordings.mono[0], block.samples)
        assert [b.samples.tolist() for b in batch.recordings.blocks()] == [block.samples.tolist()]
        clock.advance(0.02)


def test_tick_batch_stamps_rtp_headers_for_every_packet(clock: ManualClock) -> None:
    engine = MediaEngine()
    engine.add_prompt("music", tone(440, 3 * FRAME))
    ch = engine.open_channel(PCMA, ssrc=0xDEADBEEF, sequence=65534, timestamp=0xFFFFFF00)
    other = engine.open_channel(PCMA)
    engine.play(ch, "music", loop=True)
    packets = []
    for n in range(5):
        missed = 3 if n == 3 else 0
        for block in engine.tick_batch(clock.now(), missed=missed).sends:
            assert block.datagrams.shape == (len(block.channels), 12 + 160)
            packets += [RtpPacket.parse(bytes(row)) for row in block.datagrams]
            assert np.array_equal(block.datagrams[:, 12:], block.payloads)
        clock.advance(0.02)
    assert [p.sequence for p in packets] == [65534, 65535, 0, 1, 2]
    assert [p.timestamp for p in packets] == [0xFFFFFF00, 0xFFFFFFA0, 0x40, 0x40 + 4 * FRAME,
                                              0x40 + 5 * FRAME]
    assert {p.ssrc for p in packets} == {0xDEADBEEF}
    assert {p.payload_type for p in packets} == {PCMA.payload_type}
    assert [p.marker for p in packets] == [True, False, False, False, False]
    audio = np.concatenate([PCMA.decode(p.payload) for p in packets])
    assert np.array_equal(audio[:3 * FRAME], PCMA.decode(PCMA.encode(tone(440, 3 * FRAME))))
    # a channel that had nothing to send keeps its own clock running
    ssrc, seq, ts = engine.rtp_state(other)
    assert engine.rtp_state(ch) == (0xDEADBEEF, 3, (0xFFFFFF00 + 8 * FRAME) & 0xFFFFFFFF)
    engine.play(other, "music")
    [block] = engine.tick_batch(clock.now()).sends
    sent = {c: RtpPacket.parse(bytes(r)) for c, r in
            zip(block.channels.tolist(), block.datagrams, strict=True)}
    assert (sent[other].ssrc, sent[other].sequence, sent[other].timestamp) == (ssrc, seq, ts)
    assert sent[other].marker and not sent[ch].marker


def test_receive_many_relays_bridged_legs_with_their_own_headers() -> None:
    engine = MediaEngine()
    a = engine.open_channel(PCMU, ssrc=1, sequence=10, timestamp=1000)
    b = engine.open_channel(PCMU, ssrc=2, sequence=20, timestamp=2000)
    c = engine.open_channel(PCMU)
    engine.add_prompt("beep", tone(900, FRAME))
    engine.play(c, "beep", loop=True)
    engine.bridge(a, b)
    rows = np.stack([np.full(FRAME, 7, np.uint8), np.full(FRAME, 9, np.uint8),
                     np.full(FRAME, 5, np.uint8)])
    relayed = engine.receive_many(np.array([a, b, c]), rows)
    assert relayed is not None and relayed.relayed
    assert relayed.channels.tolist() == [b, a]
    assert np.array_equal(relayed.payloads, rows[:2])  # untouched
    to_b, to_a = (RtpPacket.parse(bytes(r)) for r in relayed.datagrams)
    assert (to_b.ssrc, to_b.sequence, to_b.timestamp) == (2, 20, 2000)
    assert (to_a.ssrc, to_a.sequence, to_a.timestamp) == (1, 10, 1000)
    assert to_a.payload == bytes(rows[1])
    batch = engine.tick_batch(0.0)
    assert [blk.channels.tolist() for blk in batch.sends] == [[c]]


def test_receive_many_refuses_what_it_cannot_take() -> None:
    engine = MediaEngine()
    u, l16 = engine.open_channel(PCMU), engine.open_channel(L16_8000)
    rows = np.zeros((1, FRAME), np.uint8)
    with pytest.raises(MediaError, match="expecting"):
        engine.receive_many(np.array([l16]), rows)
    with pytest.raises(MediaError, match="no open channel"):
        engine.receive_many(np.array([99]), rows)
    engine.close_channel(u)
    with pytest.raises(MediaError, match="no open channel"):
        engine.receive_many(np.array([u]), rows)
    with pytest.raises(MediaError, match="one row per channel"):
        engine.receive_many(np.array([l16, l16]), np.zeros((1, 320), np.uint8))
    with pytest.raises(MediaError, match="one row per channel"):
        engine.receive_many(np.array([l16]), np.zeros((1, 320), np.int16))
    with pytest.raises(MediaError, match="1-D"):
        engine.receive_many(np.array([[l16]]), np.zeros((1, 320), np.uint8))
    assert engine.receive_many(np.array([], dtype=np.int64), np.zeros((0, 320), np.uint8)) is None
