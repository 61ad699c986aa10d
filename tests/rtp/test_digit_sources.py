"""One key press, three ways in (RFC 4733, in-band tones, SIP INFO): the same DigitEvent."""

from __future__ import annotations

import numpy as np
import pytest

from softswitch.codecs import PCMU
from softswitch.media.dtmf import dtmf_tone
from softswitch.media.engine import FRAME, InbandDigit, MediaEngine
from softswitch.rtp.dtmf import DigitEvent, DtmfReceiver, dtmf_packets, parse_info_body
from softswitch.rtp.packet import RtpPacket


def by_rfc4733(digit: str) -> list[DigitEvent]:
    receiver = DtmfReceiver()
    events = []
    for seq, p in enumerate(dtmf_packets(digit, 0.1, timestamp=4000)):
        packet = RtpPacket(payload_type=101, sequence=seq, timestamp=p.timestamp, ssrc=5,
                           payload=p.payload, marker=p.marker)
        events += receiver.receive(packet, 1.0 + p.at)
    return events + receiver.poll(5.0)


def by_tones(digit: str) -> list[DigitEvent]:
    engine = MediaEngine()
    channel = engine.open_channel(PCMU, detect_inband=True)
    signal = np.concatenate([np.zeros(FRAME, np.int16), dtmf_tone(digit, 0.1, -12),
                             np.zeros(6 * FRAME, np.int16)])
    events = []
    for n in range(len(signal) // FRAME):
        engine.receive(channel, PCMU.encode(signal[n * FRAME:(n + 1) * FRAME]))
        events += [e.event for e in engine.tick(1.0 + n * 0.02).events
                   if isinstance(e, InbandDigit)]
    return events


def by_info(digit: str) -> list[DigitEvent]:
    signal = {"*": "10", "#": "11"}.get(digit, digit)
    return [parse_info_body("application/dtmf-relay",
                            f"Signal={signal}\r\nDuration=100\r\n", 1.0)]


@pytest.mark.parametrize("digit", list("0123456789*#"))
def test_each_source_yields_one_event_for_the_same_digit(digit: str) -> None:
    heard = {"rfc4733": by_rfc4733(digit), "inband": by_tones(digit), "info": by_info(digit)}
    for source, events in heard.items():
        assert len(events) == 1, source
        [event] = events
        assert type(event) is DigitEvent
        assert (event.digit, event.source) == (digit, source)
        assert event.start == pytest.approx(1.0, abs=0.1)
