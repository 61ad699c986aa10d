"""The 20 ms media engine: every channel's audio processed at once as numpy arrays.

Sans-IO. Received payloads are handed in one by one with `receive()` or all at once with
`receive_many()` (a [channels, bytes] array gathered by index); `tick_batch(now)` then, for all
channels together: decodes the frames (one batched call per codec; silence where nothing
arrived), detects in-band DTMF, mixes every bridge and conference (each member hears the sum
of the talkers minus itself, plus whispers, plus its prompt), hands out every recording's
frames as one array, encodes per destination codec and stamps the RTP headers of all
outgoing packets from per-channel sequence/timestamp/SSRC columns. The result is a few 2-D
uint8 arrays plus channel index arrays: nothing is built per channel; the socket edge sends
each row (a row is a buffer `sendto` takes as it is). `tick(now)` is the same work handed out
as one `Outbound` per packet, for callers whose RTP sessions add the headers.

State is structure-of-arrays: a channel is an index into preallocated numpy columns, so the
per-channel Python work of a tick is limited to the channels whose prompt just ended. What
needs recomputing when the topology changes (who is mixed, who relays, which rows belong to
which codec) is cached and rebuilt only after a change.

A bridge of two channels with the same codec and nothing needing the audio (no recording,
no prompt, no monitor, no in-band detection) is relayed: `receive()` returns the payload
for the other leg at once, untouched (`receive_many()` returns all of them stamped with the
other legs' headers), and the tick does not touch either channel.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from softswitch.codecs.base import Codec, Int16Array, UInt8Array
from softswitch.media.dtmf import InbandDtmfDetector
from softswitch.rtp.dtmf import DigitEvent

FRAME = 160
NONE = -1

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
RTP_HEADER = 12


class MediaError(ValueError):
    """A request the engine cannot honour: unknown channel, prompt or group, bad payload."""


@dataclass(frozen=True, slots=True)
class Outbound:
    """One payload to send on `channel`'s RTP session (the session adds the header)."""

    channel: int
    payload: bytes
    payload_type: int
    #: forwarded untouched from the bridged leg (the relay fast path)
    relayed: bool = False


@dataclass(frozen=True, slots=True)
class PromptFinished:
    channel: int
    prompt: str
    #: stopped before its end (stop_playback, channel closed)
    interrupted: bool = False


@dataclass(frozen=True, slots=True)
class InbandDigit:
    """A key press heard in the audio of `channel`."""

    channel: int
    event: DigitEvent


@dataclass(frozen=True, slots=True)
class RecordingBlock:
    """Samples for one recording: shape (n,) for mono, (n, 2) for [received, sent]."""

    recording: int
    samples: Int16Array


@dataclass(slots=True)
class TickResult:
    packets: list[Outbound]
    events: list[PromptFinished | InbandDigit]
    recordings: list[RecordingBlock]


@dataclass(frozen=True, slots=True)
class SendBlock:
    """This tick's packets of one codec: row i goes out on `channels[i]`."""

    codec: Codec
    channels: IntArray
    #: [n, bytes_per_frame] encoded audio
    payloads: UInt8Array
    #: [n, 12 + bytes_per_frame] whole RTP packets (version 2, no CSRC), headers from the
    #: engine's per-channel sequence/timestamp/SSRC; empty (0 rows) when not asked for
    datagrams: UInt8Array
    #: forwarded untouched from the bridged legs (the relay fast path)
    relayed: bool = False

    def outbound(self) -> list[Outbound]:
        """One object per packet, for callers whose RTP sessions stamp the headers."""
        blob = self.payloads.tobytes()
        width = self.payloads.shape[1]
        pt = self.codec.payload_type
        return [Outbound(c, blob[i:i + width], pt, self.relayed)
                for c, i in zip(self.channels.tolist(), range(0, len(blob), width),
                                strict=True)]


@dataclass(frozen=True, slots=True)
class RecordingFrames:
    """This tick's audio of every recorded channel, one row per recording.

    `missed` skipped ticks came before this one; `blocks()` writes them as silence so a
    recording keeps time."""

    recordings: IntArray
    received: Int16Array  # [m, FRAME] what the channel sent us
    sent: Int16Array  # [m, FRAME] what the channel was sent
    mono: Int16Array  # [m, FRAME] both directions mixed, saturated
    stereo: BoolArray
    missed: int = 0

    def blocks(self) -> list[RecordingBlock]:
        pad = self.missed * FRAME
        out = []
        for i, recording in enumerate(self.recordings.tolist()):
            if self.stereo[i]:
                block = np.stack([self.received[i], self.sent[i]], axis=1)
            else:
                block = self.mono[i]
            if pad:
                block = np.concatenate([np.zeros((pad, *block.shape[1:]), np.int16), block])
            out.append(RecordingBlock(recording, block))
        return out


@dataclass(slots=True)
class TickBatch:
    """One tick's output as arrays: what to send, what happened, what to record."""

    sends: list[SendBlock]
    events: list[PromptFinished | InbandDigit]
    recordings: RecordingFrames | None = None
    packet_count: int = field(init=False)

    def __post_init__(self) -> None:
        self.packet_count = sum(len(b.channels) for b in self.sends)


@dataclass(frozen=True, slots=True)
class _Prompt:
    name: str
    #: bank offset of the copy followed by a frame of silence (played once)
    offset: int
    #: bank offset of the copy followed by its own first frame (looped)
    loop_offset: int
    length: int


@dataclass(frozen=True, slots=True)
class _Layout:
    """What the tick needs, rebuilt only when the topology changes."""

    mixed: IntArray  # channels processed by the tick, in row order
    #: some channel's received audio is used (mixed, whispered, recorded or detected)
    any_input: bool
    #: rows that only play prompts: no mixing, no int32 sums, no saturation needed
    playback_only: bool
    # codec, rows, channels, the codec's silent payload (decode)
    codec_rows: list[tuple[Codec, IntArray, IntArray, npt.NDArray[np.uint8]]]
    send_rows: list[tuple[Codec, IntArray, IntArray]]  # codec, rows, channels (encode)
    #: two-party calls whose member hears exactly the other's decoded frame (no prompt,
    #: no whisper): a copy, no sums, no saturation
    swap_dst_rows: IntArray
    swap_src_rows: IntArray
    #: rows needing the int32 mix (sums, prompts over a call, whispers); when False the
    #: mix is swaps and prompt slices only
    needs_sum: bool
    member_rows: IntArray
    member_slots: IntArray  # compact group slot of each member row
    #: talkers bucketed by how many talk in their group: (k, rows grouped k by k, slots),
    #: so each bucket sums as one reshape(-1, k, FRAME).sum(axis=1)
    talker_buckets: list[tuple[int, IntArray, IntArray]]
    slots: int
    own_rows: IntArray  # members that talk: their own voice is removed from what they hear
    whisper_src_rows: IntArray
    whisper_dst_rows: IntArray
    play_rows: IntArray
    play_channels: IntArray
    record_rows: IntArray
    record_channels: IntArray
    detect_rows: IntArray
    detect_channels: IntArray


_COLUMNS: dict[str, tuple[Any, Any]] = {
    # name: (dtype, empty value)
    "open": (bool, False),
    "codec": (np.int16, NONE),
    "group": (np.int64, NONE),
    "talks": (bool, True),
    "whisper_to": (np.int64, NONE),
    "partner": (np.int64, NONE),
    "relay": (bool, False),
    "playing": (bool, False),
    "play_offset": (np.int64, 0),
    "play_length": (np.int64, 1),
    "play_pos": (np.int64, 0),
    "play_loop": (bool, False),
    "recording": (np.int64, NONE),
    "record_stereo": (bool, False),
    "detect": (bool, False),
    "width": (np.int64, 0),
    # outgoing RTP header state: timestamp = ts_base + samples ticked so far
    "rtp_ssrc": (np.int64, 0),
    "rtp_seq": (np.int64, 0),
    "rtp_ts_base": (np.int64, 0),
    "rtp_last": (np.int64, -2),  # tick number of the last packet sent (marker after a gap)
}


class MediaEngine:
    def __init__(self, capacity: int = 64, max_payload: int = 320,
                 seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._samples = 0  # samples ticked so far, skipped ticks included
        self._ticks = 0
        self._capacity = 0
        self._max_payload = max_payload
        self._width: list[int] = []  # payload bytes per frame of each open channel, else 0
        self._cols: dict[str, np.ndarray] = {}
        self._rx = np.zeros((0, max_payload), dtype=np.uint8)
        self._free: list[int] = []
        self._codecs: list[Codec] = []
        self._silence: list[npt.NDArray[np.uint8]] = []
        self._groups: dict[int, set[int]] = {}
        self._next_group = 0
        self._queues: dict[int, deque[tuple[_Prompt, bool]]] = {}
        self._current: dict[int, _Prompt] = {}
        self._prompts: dict[str, _Prompt] = {}
        self._bank_parts: list[Int16Array] = []
        self._bank_size = 0
        self._bank: Int16Array = np.zeros(0, dtype=np.int16)
        self._bank_rows: np.ndarray = np.zeros((0, FRAME), dtype=np.int16)
        self._next_recording = 0
        self._pending: list[PromptFinished | InbandDigit] = []
        self._layout: _Layout | None = None
        self._relay: list[bool] = []
        self._relay_partner: list[int] = []
        self._ar = np.arange(FRAME)
        self.detector = InbandDtmfDetector(capacity)
        self._grow(max(capacity, 1))

    # -- columns -------------------------------------------------------------------------

    def _grow(self, capacity: int) -> None:
        old = self._capacity
        for name, (dtype, empty) in _COLUMNS.items():
            column = np.full(capacity, empty, dtype=dtype)
            if old:
                column[:old] = self._cols[name]
            self._cols[name] = column
        rx = np.zeros((capacity, self._max_payload), dtype=np.uint8)
        rx[:old] = self._rx
        self._rx = rx
        # receive() is per packet: it writes through a flat memoryview and reads plain lists
        self._rx_flat = memoryview(rx.reshape(-1))
        self._width.extend([0] * (capacity - old))
        self._free.extend(range(capacity - 1, old - 1, -1))
        self._capacity = capacity
        self.detector.ensure_capacity(capacity)

    def _col(self, name: str) -> np.ndarray:
        return self._cols[name]

    def _check(self, channel: int) -> None:
        if not (0 <= channel < self._capacity and self._cols["open"][channel]):
            raise MediaError(f"no open channel {channel}")

    def _changed(self) -> None:
        self._layout = None

    @property
    def channels(self) -> int:
        return int(self._cols["open"].sum())

    # -- channels ------------------------------------------------------------------------

    def open_channel(self, codec: Codec, detect_inband: bool = False, *,
                     ssrc: int | None = None, sequence: int | None = None,
                     timestamp: int | None = None) -> int:
        """A new channel; `ssrc`, `sequence`, `timestamp` start its outgoing RTP headers
        (random when not given, as RFC 3550 asks)."""
        if codec.samples_per_frame != FRAME:
            raise MediaError(f"{codec.rtpmap}: the engine mixes 8 kHz audio only")
        if codec.bytes_per_frame > self._max_payload:
            raise MediaError(f"{codec.rtpmap}: frames larger than {self._max_payload} bytes")
        if not self._free:
            self._grow(self._capacity * 2)
        channel = self._free.pop()
        for name, (_dtype, empty) in _COLUMNS.items():
            self._cols[name][channel] = empty
        self._cols["open"][channel] = True
        self._cols["codec"][channel] = self._codec_index(codec)
        self._width[channel] = codec.bytes_per_frame
        self._cols["detect"][channel] = detect_inband
        self._cols["width"][channel] = codec.bytes_per_frame
        self._rx[channel, : codec.bytes_per_frame] = self._silence[self._cols["codec"][channel]]
        rng = self._rng
        self._cols["rtp_ssrc"][channel] = (rng.getrandbits(32) if ssrc is None
                                           else ssrc & 0xFFFFFFFF)
        self._cols["rtp_seq"][channel] = (rng.getrandbits(16) if sequence is None
                                          else sequence & 0xFFFF)
        start = rng.getrandbits(32) if timestamp is None else timestamp & 0xFFFFFFFF
        self._cols["rtp_ts_base"][channel] = start - self._samples
        self.detector.reset(channel)
        self._changed()
        return channel

    def close_channel(self, channel: int) -> None:
        self._check(channel)
        self.stop_playback(channel)
        self.leave(channel)
        whisperers = np.flatnonzero(self._cols["whisper_to"] == channel)
        self._cols["whisper_to"][whisperers] = NONE
        self._cols["open"][channel] = False
        self._cols["width"][channel] = 0
        self._width[channel] = 0
        self._free.append(channel)
        self._changed()

    def set_codec(self, channel: int, codec: Codec) -> None:
        """After a re-INVITE changed the codec."""
        self._check(channel)
        self._cols["codec"][channel] = self._codec_index(codec)
        self._width[channel] = codec.bytes_per_frame
        self._cols["width"][channel] = codec.bytes_per_frame
        self._rx[channel, : codec.bytes_per_frame] = self._silence[self._cols["codec"][channel]]
        self._changed()

    def set_detect_inband(self, channel: int, on: bool) -> None:
        self._check(channel)
        self._cols["detect"][channel] = on
        self.detector.reset(channel)
        self._changed()

    def codec_of(self, channel: int) -> Codec:
        self._check(channel)
        return self._codecs[self._cols["codec"][channel]]

    def _codec_index(self, codec: Codec) -> int:
        for index, known in enumerate(self._codecs):
            if known is codec:
                return index
        self._codecs.append(codec)
        silence = codec.encode_frames(np.zeros((1, FRAME), dtype=np.int16))[0]
        self._silence.append(silence)
        return len(self._codecs) - 1

    # -- receiving -----------------------------------------------------------------------

    def receive(self, channel: int, payload: bytes) -> Outbound | None:
        """Take one 20 ms payload; on a relayed bridge, returns it for the other leg."""
        if self._layout is None:
            self._build_layout()
        width = self._width[channel] if 0 <= channel < self._capacity else 0
        if not width:
            raise MediaError(f"no open channel {channel}")
        if self._relay[channel]:
            partner = self._relay_partner[channel]
            codec = self._codecs[self._cols["codec"][partner]]
            return Outbound(partner, payload, codec.payload_type, relayed=True)
        if len(payload) != width:
            codec = self._codecs[self._cols["codec"][channel]]
            raise MediaError(f"{codec.rtpmap} payload of {len(payload)} bytes, "
                             f"expected {width} (20 ms)")
        start = channel * self._max_payload
        self._rx_flat[start:start + width] = payload
        return None

    def receive_many(self, channels: npt.ArrayLike, payloads: UInt8Array) -> SendBlock | None:
        """Take one 20 ms payload for each of `channels` (row i of `payloads` for channel i,
        all of one width); the edge gathers a tick's datagrams into one array and hands
        them in with one call. Rows of relayed channels come back as one block stamped
        with the other legs' headers; relayed calls of several codecs need one call per
        codec."""
        if self._layout is None:
            self._build_layout()
        chans = np.asarray(channels)
        if chans.ndim != 1 or not np.issubdtype(chans.dtype, np.integer):
            raise MediaError("channels must be a 1-D array of channel numbers")
        if (not isinstance(payloads, np.ndarray) or payloads.dtype != np.uint8
                or payloads.ndim != 2 or payloads.shape[0] != len(chans)):
            raise MediaError("payloads must be a uint8 array of one row per channel")
        if not len(chans):
            return None
        if chans.min() < 0 or chans.max() >= self._capacity:
            raise MediaError("no open channel among some of the channels")
        width = payloads.shape[1]
        widths = self._cols["width"][chans]
        if not (widths == width).all():
            if not widths.all():
                raise MediaError(f"no open channel {int(chans[widths == 0][0])}")
            raise MediaError(f"payloads of {width} bytes for channels expecting "
                             f"{sorted(set(widths.tolist()))} (20 ms)")
        relay = self._cols["relay"][chans]
        if not relay.any():
            self._rx[chans, :width] = payloads
            return None
        mixed = ~relay
        self._rx[chans[mixed], :width] = payloads[mixed]
        partners = self._cols["partner"][chans[relay]]
        codecs = np.unique(self._cols["codec"][partners])
        if len(codecs) > 1:
            raise MediaError("relayed channels of several codecs: one receive_many per codec")
        codec = self._codecs[int(codecs[0])]
        relayed = payloads[relay]
        return SendBlock(codec, partners, relayed,
                         self._stamp(partners, codec.payload_type, relayed, self._ticks),
                         relayed=True)

    def rtp_state(self, channel: int) -> tuple[int, int, int]:
        """(ssrc, next sequence, next timestamp) of the channel's outgoing RTP headers."""
        self._check(channel)
        cols = self._cols
        return (int(cols["rtp_ssrc"][channel]), int(cols["rtp_seq"][channel]),
                int(cols["rtp_ts_base"][channel] + self._samples) & 0xFFFFFFFF)

    def _stamp(self, channels: IntArray, payload_type: int, payloads: UInt8Array,
               tick: int) -> UInt8Array:
        """Whole RTP packets for `channels`, built as one [n, 12 + width] array; advances
        each channel's sequence number."""
        cols = self._cols
        n, width = payloads.shape
        out = np.empty((n, RTP_HEADER + width), dtype=np.uint8)
        seq = cols["rtp_seq"][channels]
        ts = (cols["rtp_ts_base"][channels] + self._samples) & 0xFFFFFFFF
        gap = cols["rtp_last"][channels] < tick - 1
        out[:, 0] = 0x80
        out[:, 1] = payload_type | (gap.astype(np.uint8) << 7)
        words = np.empty((n, 3), dtype=">u4")
        words[:, 0] = seq  # the high half of this word is overwritten by bytes 0-1
        words[:, 1] = ts
        words[:, 2] = cols["rtp_ssrc"][channels]
        raw = words.view(np.uint8)
        out[:, 2:4] = raw[:, 2:4]
        out[:, 4:12] = raw[:, 4:12]
        out[:, RTP_HEADER:] = payloads
        cols["rtp_seq"][channels] = (seq + 1) & 0xFFFF
        cols["rtp_last"][channels] = tick
        return out

    def is_relayed(self, channel: int) -> bool:
        self._check(channel)
        if self._layout is None:
            self._build_layout()
        return bool(self._cols["relay"][channel])

    # -- bridges, conferences, monitoring -----------------------------------------------

    def conference(self) -> int:
        group = self._next_group
        self._next_group += 1
        self._groups[group] = set()
        return group

    def join(self, group: int, channel: int, talk: bool = True) -> None:
        """Add to a mix: a talker is heard by all other members; a listener by nobody."""
        self._check(channel)
        if group not in self._groups:
            raise MediaError(f"no conference {group}")
        self.leave(channel)
        self._groups[group].add(channel)
        self._cols["group"][channel] = group
        self._cols["talks"][channel] = talk
        self._changed()

    def leave(self, channel: int) -> None:
        self._check(channel)
        group = int(self._cols["group"][channel])
        if group != NONE:
            members = self._groups[group]
            members.discard(channel)
            if not members:
                del self._groups[group]
        self._cols["group"][channel] = NONE
        self._cols["whisper_to"][channel] = NONE
        self._changed()

    def bridge(self, a: int, b: int) -> int:
        """A two-party call: each hears the other."""
        if a == b:
            raise MediaError("a channel cannot be bridged to itself")
        self._check(a)
        self._check(b)
        group = self.conference()
        self.join(group, a)
        self.join(group, b)
        return group

    def members(self, group: int) -> frozenset[int]:
        return frozenset(self._groups.get(group, ()))

    def group_of(self, channel: int) -> int | None:
        """The mix `channel` is in (a bridge or conference), None when in none."""
        self._check(channel)
        group = int(self._cols["group"][channel])
        return None if group == NONE else group

    def set_talk(self, channel: int, talk: bool) -> None:
        """Mute to the mix (listen) or unmute (barge in)."""
        self._check(channel)
        self._cols["talks"][channel] = talk
        self._changed()

    def whisper(self, channel: int, to: int | None) -> None:
        """Make `channel` heard by `to` alone (a supervisor coaching an agent), or stop."""
        self._check(channel)
        if to is not None:
            self._check(to)
            if to == channel:
                raise MediaError("a channel cannot whisper to itself")
        self._cols["whisper_to"][channel] = NONE if to is None else to
        self._changed()

    def listen(self, supervisor: int, group: int) -> None:
        """Hear every member of `group`, heard by none."""
        self.join(group, supervisor, talk=False)

    # -- prompts -------------------------------------------------------------------------

    def add_prompt(self, name: str, samples: Int16Array) -> None:
        """Register decoded audio once; playing it later is a slice, never a decode."""
        if not isinstance(samples, np.ndarray) or samples.dtype != np.int16 or samples.ndim != 1:
            raise MediaError(f"prompt {name!r}: samples must be a 1-D int16 array")
        if len(samples) == 0:
            raise MediaError(f"prompt {name!r} is empty")
        if name in self._prompts:
            raise MediaError(f"prompt {name!r} is already loaded")
        once = np.concatenate([samples, np.zeros(FRAME, dtype=np.int16)])
        looped = np.concatenate([samples, np.resize(samples, FRAME)])
        self._prompts[name] = _Prompt(name, self._bank_size, self._bank_size + len(once),
                                      len(samples))
        self._bank_parts.extend([once, looped])
        self._bank_size += len(once) + len(looped)
        self._bank = np.concatenate(self._bank_parts)
        # every FRAME-long window of the bank as a row: playing is a row gather (memcpy)
        self._bank_rows = np.lib.stride_tricks.sliding_window_view(self._bank, FRAME)

    def has_prompt(self, name: str) -> bool:
        return name in self._prompts

    def play(self, channel: int, names: str | Iterable[str], loop: bool = False) -> None:
        """Queue prompts on a channel; `loop` repeats the last one until stopped (music)."""
        self._check(channel)
        names = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in names if n not in self._prompts]
        if unknown:
            raise MediaError(f"unknown prompt(s): {', '.join(unknown)}")
        queue = self._queues.setdefault(channel, deque())
        for i, name in enumerate(names):
            queue.append((self._prompts[name], loop and i == len(names) - 1))
        if not self._cols["playing"][channel]:
            self._start_next(channel)

    def stop_playback(self, channel: int) -> None:
        self._check(channel)
        self._queues.pop(channel, None)
        current = self._current.pop(channel, None)
        if current is not None:
            self._pending.append(PromptFinished(channel, current.name, interrupted=True))
        if self._cols["playing"][channel]:
            self._cols["playing"][channel] = False
            self._changed()

    def is_playing(self, channel: int) -> bool:
        self._check(channel)
        return bool(self._cols["playing"][channel])

    def _start_next(self, channel: int) -> None:
        queue = self._queues.get(channel)
        cols = self._cols
        if not queue:
            self._queues.pop(channel, None)
            self._current.pop(channel, None)
            if cols["playing"][channel]:
                cols["playing"][channel] = False
                self._changed()
            return
        prompt, loop = queue.popleft()
        self._current[channel] = prompt
        cols["play_offset"][channel] = prompt.loop_offset if loop else prompt.offset
        cols["play_length"][channel] = prompt.length
        cols["play_pos"][channel] = 0
        cols["play_loop"][channel] = loop
        if not cols["playing"][channel]:
            cols["playing"][channel] = True
            self._changed()

    # -- recording -----------------------------------------------------------------------

    def record(self, channel: int, stereo: bool = False) -> int:
        """Record both directions of a channel; returns the id its blocks carry."""
        self._check(channel)
        if self._cols["recording"][channel] != NONE:
            raise MediaError(f"channel {channel} is already being recorded")
        recording = self._next_recording
        self._next_recording += 1
        self._cols["recording"][channel] = recording
        self._cols["record_stereo"][channel] = stereo
        self._changed()
        return recording

    def stop_recording(self, channel: int) -> None:
        self._check(channel)
        self._cols["recording"][channel] = NONE
        self._changed()

    # -- the tick ------------------------------------------------------------------------

    def _build_layout(self) -> None:
        cols = self._cols
        open_ = cols["open"]
        group = cols["group"]
        channels = np.flatnonzero(open_)
        # relay: two talking members, same codec, nothing else needing their audio
        partner = cols["partner"]
        partner[:] = NONE
        relay = cols["relay"]
        relay[:] = False
        whisper_to = cols["whisper_to"]
        whispered = np.zeros(self._capacity, dtype=bool)
        whispered[whisper_to[whisper_to >= 0]] = True
        grouped = channels[group[channels] >= 0]
        if len(grouped):
            sizes = np.bincount(group[grouped])
            pairs = grouped[sizes[group[grouped]] == 2]
            pairs = pairs[np.argsort(group[pairs], kind="stable")].reshape(-1, 2)
            a, b = pairs[:, 0], pairs[:, 1]
            partner[a], partner[b] = b, a
            plain = (cols["talks"] & ~cols["playing"] & (cols["recording"] == NONE)
                     & ~cols["detect"] & (whisper_to == NONE) & ~whispered)
            ok = plain[a] & plain[b] & (cols["codec"][a] == cols["codec"][b])
            relay[a[ok]] = True
            relay[b[ok]] = True
        self._relay = relay.tolist()
        self._relay_partner = partner.tolist()
        mixed = channels[~relay[channels]]
        rows = np.arange(len(mixed))
        codec = cols["codec"][mixed]
        in_group = group[mixed] >= 0
        sending = in_group | cols["playing"][mixed]
        needs_input = ((in_group & cols["talks"][mixed]) | (whisper_to[mixed] >= 0)
                       | (cols["recording"][mixed] != NONE) | cols["detect"][mixed])
        codec_rows = []
        send_rows = []
        for index, c in enumerate(self._codecs):
            sel = codec == index
            decode = sel & needs_input
            idle = mixed[sel & ~needs_input]
            self._rx[idle, : c.bytes_per_frame] = self._silence[index]  # no stale frames later
            if decode.any():
                codec_rows.append((c, rows[decode], mixed[decode], self._silence[index]))
            send = sel & sending
            if send.any():
                send_rows.append((c, rows[send], mixed[send]))
        member_rows = rows[in_group]
        _, member_slots = np.unique(group[mixed][in_group], return_inverse=True)
        talks = cols["talks"][mixed][in_group]
        talker_rows = member_rows[talks]
        talker_slots = member_slots[talks]
        talkers_in = np.bincount(talker_slots, minlength=1)[talker_slots]
        order = np.lexsort((talker_slots, talkers_in))
        talker_rows, talker_slots = talker_rows[order], talker_slots[order]
        talkers_in = talkers_in[order]
        buckets = []
        for k in np.unique(talkers_in).tolist():
            sel = talkers_in == k
            buckets.append((k, talker_rows[sel], talker_slots[sel][::k].astype(np.int64)))
        src = np.flatnonzero(whisper_to[mixed] >= 0)
        row_of = np.full(self._capacity, NONE, dtype=np.int64)
        row_of[mixed] = rows
        dst = row_of[whisper_to[mixed[src]]]
        keep = dst >= 0
        playing = cols["playing"][mixed]
        recorded = cols["recording"][mixed] != NONE
        # two-party calls: each member hears exactly the other one's frame
        member_ch = mixed[in_group]
        pair_partner = partner[member_ch]
        swap = ((pair_partner >= 0) & ~cols["playing"][member_ch] & ~whispered[member_ch])
        swap[swap] &= cols["talks"][pair_partner[swap]]
        swap_dst = member_rows[swap]
        swap_src = row_of[pair_partner[swap]]
        needs_sum = bool(len(swap_dst) < len(member_rows) or keep.any())
        detect = cols["detect"][mixed]
        self._layout = _Layout(
            mixed=mixed, any_input=bool(needs_input.any()),
            playback_only=not len(member_rows) and not keep.any(),
            codec_rows=codec_rows, send_rows=send_rows,
            swap_dst_rows=swap_dst, swap_src_rows=swap_src, needs_sum=needs_sum,
            member_rows=member_rows, member_slots=member_slots.astype(np.int64),
            talker_buckets=buckets,
            slots=int(member_slots.max()) + 1 if len(member_slots) else 0,
            own_rows=member_rows[talks],
            whisper_src_rows=src[keep], whisper_dst_rows=dst[keep],
            play_rows=rows[playing], play_channels=mixed[playing],
            record_rows=rows[recorded], record_channels=mixed[recorded],
            detect_rows=rows[detect], detect_channels=mixed[detect],
        )

    def tick(self, now: float, missed: int = 0) -> TickResult:
        """`tick_batch` handed out as one `Outbound` per packet and one block per recording,
        for callers whose RTP sessions stamp the headers."""
        batch = self.tick_batch(now, missed, headers=False)
        packets: list[Outbound] = []
        for block in batch.sends:
            packets.extend(block.outbound())
        recordings = batch.recordings.blocks() if batch.recordings is not None else []
        return TickResult(packets, batch.events, recordings)

    def tick_batch(self, now: float, missed: int = 0, headers: bool = True) -> TickBatch:
        """Process one 20 ms frame of every channel. `missed` ticks the scheduler skipped
        before this one advance the RTP timestamps and are written to recordings as
        silence, so both keep time. Without `headers` only payloads are produced."""
        if self._layout is None:
            self._build_layout()
        lay = self._layout
        assert lay is not None
        cols = self._cols
        n = len(lay.mixed)
        events: list[PromptFinished | InbandDigit] = self._pending
        self._pending = []
        self._samples += missed * FRAME

        # 1. decode what arrived (silence where nothing did), one call per codec
        if lay.any_input:
            if len(lay.codec_rows) == 1 and len(lay.codec_rows[0][1]) == n:
                codec, _rows, channels, silence = lay.codec_rows[0]
                width = codec.bytes_per_frame
                heard = codec.decode_frames(self._rx[channels, :width])
                self._rx[channels, :width] = silence
            else:
                heard = np.zeros((n, FRAME), dtype=np.int16)
                for codec, rows, channels, silence in lay.codec_rows:
                    width = codec.bytes_per_frame
                    heard[rows] = codec.decode_frames(self._rx[channels, :width])
                    self._rx[channels, :width] = silence
        else:
            heard = np.zeros((0, FRAME), dtype=np.int16)

        # 2. in-band DTMF
        if len(lay.detect_rows):
            held = self.detector.thresholds.min_blocks * FRAME / 8000
            for channel, digit in self.detector.process(lay.detect_channels,
                                                        heard[lay.detect_rows]):
                events.append(InbandDigit(channel, DigitEvent(digit, "inband", now - held, 0.0)))

        # 3. prompts and music: a row of the bank's frame windows at each channel's position
        played = None
        if len(lay.play_channels):
            ch = lay.play_channels
            played = self._bank_rows[cols["play_offset"][ch] + cols["play_pos"][ch]]

        # 4. mix: each member hears the talkers of its group minus itself, plus whispers
        if lay.needs_sum:
            out = np.zeros((n, FRAME), dtype=np.int32)
            sums = np.zeros((lay.slots, FRAME), dtype=np.int32)
            for k, rows, slots in lay.talker_buckets:
                sums[slots] = heard[rows].reshape(-1, k, FRAME).sum(axis=1, dtype=np.int32)
            out[lay.member_rows] = sums[lay.member_slots]
            out[lay.own_rows] -= heard[lay.own_rows]
            if len(lay.whisper_src_rows):
                np.add.at(out, lay.whisper_dst_rows, heard[lay.whisper_src_rows])
            if played is not None:
                out[lay.play_rows] += played
            np.clip(out, -32768, 32767, out=out)
            sent = out.astype(np.int16)
        elif len(lay.swap_dst_rows) == n:
            sent = heard[lay.swap_src_rows]  # every row is a call member: dst rows are 0..n-1
        elif played is not None and len(lay.play_rows) == n:
            sent = played
        else:
            sent = np.zeros((n, FRAME), dtype=np.int16)
            if len(lay.swap_dst_rows):
                sent[lay.swap_dst_rows] = heard[lay.swap_src_rows]
            if played is not None:
                sent[lay.play_rows] = played

        # 5. recordings: both directions of each recorded channel, one array each
        recordings = None
        if len(lay.record_rows):
            rows = lay.record_rows
            rx = heard[rows]
            tx = sent[rows]
            mono = rx.astype(np.int32)
            mono += tx
            np.clip(mono, -32768, 32767, out=mono)
            recordings = RecordingFrames(cols["recording"][lay.record_channels], rx, tx,
                                         mono.astype(np.int16),
                                         cols["record_stereo"][lay.record_channels], missed)

        # 6. encode per destination codec, one call per codec; stamp the RTP headers
        sends: list[SendBlock] = []
        self._ticks += 1
        for codec, rows, channels in lay.send_rows:
            payloads = codec.encode_frames(sent if len(rows) == n else sent[rows])
            datagrams = (self._stamp(channels, codec.payload_type, payloads, self._ticks)
                         if headers else payloads[:0])
            sends.append(SendBlock(codec, channels, payloads, datagrams))
        self._samples += FRAME

        # 7. advance prompts; handle only those that just ended
        if len(lay.play_channels):
            ch = lay.play_channels
            pos = cols["play_pos"][ch] + FRAME
            length = cols["play_length"][ch]
            loop = cols["play_loop"][ch]
            ended = ~loop & (pos >= length)
            cols["play_pos"][ch] = np.where(loop, pos % length, pos)
            for channel in ch[ended].tolist():
                events.append(PromptFinished(channel, self._current[channel].name))
                self._start_next(channel)
        return TickBatch(sends, events, recordings)
