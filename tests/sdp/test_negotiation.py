from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.sdp.description import SdpError, parse, serialize
from softswitch.sdp.negotiation import (
    DEFAULT_CODECS,
    G722,
    PCMA,
    PCMU,
    TELEPHONE_EVENT_8K,
    LocalSdp,
    answer,
    answer_direction,
    is_hold,
    is_new_version,
    negotiate,
    offer,
)

BODIES = Path(__file__).parent / "bodies"


def body(name: str) -> str:
    return (BODIES / name).read_bytes().decode()


DESK_PHONE_WITH_VIDEO = body("desk_phone_video.sdp")
PYVOIP_INVITE = body("pyvoip_invite.sdp")
RFC2543_HOLD = body("rfc2543_hold.sdp")
SIPP_UAC = body("sipp_uac.sdp")
SIPP_UAC_PCAP = body("sipp_uac_pcap.sdp")
ME = "10.1.1.1"



def test_answer_sipp_uac_pcmu() -> None:
    result = answer(parse(SIPP_UAC), DEFAULT_CODECS, ME, 20000)
    (audio,) = result.media
    assert audio.port == 20000 and audio.formats == ["0"]
    assert audio.rtpmaps()[0].encoding == "PCMU"
    assert audio.ptime == 20 and audio.direction == "sendrecv"
    assert result.connection is not None and result.connection.address == ME
    assert parse(serialize(result)) == result


def test_answer_sipp_pcap_echoes_dynamic_event_type_and_fmtp() -> None:
    result = answer(parse(SIPP_UAC_PCAP), DEFAULT_CODECS, ME, 20000)
    audio = result.media[0]
    assert audio.formats == ["8", "101"]
    assert audio.fmtp(101) == "0-11,16"
    chosen = negotiate(parse(SIPP_UAC_PCAP))
    assert chosen.codec.name == "PCMA" and chosen.telephone_event_pt == 101
    assert chosen.remote_address == "127.0.0.1" and chosen.remote_port == 6000


def test_pyvoip_first_offered_codec_wins() -> None:
    chosen = negotiate(parse(PYVOIP_INVITE), [PCMA, PCMU, TELEPHONE_EVENT_8K])
    assert chosen.payload_type == 0  # the offer's order, not ours
    assert [c.name for c in chosen.other_codecs] == ["PCMA"]
    assert chosen.ptime == 20 and chosen.sends and chosen.receives and not chosen.hold


def test_desk_phone_video_rejected_and_g722_when_registered() -> None:
    sdp = parse(DESK_PHONE_WITH_VIDEO)
    without = answer(sdp, DEFAULT_CODECS, ME, 20000)
    assert [m.port for m in without.media] == [20000, 0]
    assert without.media[0].formats == ["0", "96"]
    assert without.media[1].media == "video" and without.media[1].formats == ["97"]
    with_g722 = answer(sdp, [G722, *DEFAULT_CODECS], ME, 20000)
    assert with_g722.media[0].formats == ["9", "96"]


def test_no_common_codec_is_488_with_reason() -> None:
    body = SIPP_UAC.replace("RTP/AVP 0", "RTP/AVP 18").replace("0 PCMU/8000", "18 G729/8000")
    with pytest.raises(SdpError, match="no codec we support") as info:
        answer(parse(body), DEFAULT_CODECS, ME, 20000)
    assert info.value.status == 488


def test_port_zero_stream_answered_with_port_zero() -> None:
    body = PYVOIP_INVITE.replace("m=audio 30000", "m=audio 0")
    with pytest.raises(SdpError, match="not an active RTP audio stream"):
        answer(parse(body), DEFAULT_CODECS, ME, 20000)
    two = SIPP_UAC.replace("m=audio 6000", "m=audio 0") + "m=audio 6002 RTP/AVP 8\r\n"
    result = answer(parse(two), DEFAULT_CODECS, ME, 20000)
    assert [(m.port, m.formats) for m in result.media] == [(0, ["0"]), (20000, ["8"])]


def test_second_audio_stream_and_srtp_rejected() -> None:
    body = (SIPP_UAC.replace("RTP/AVP", "RTP/SAVP")
            + "m=audio 6002 RTP/AVP 0\r\nm=audio 6004 RTP/AVP 0\r\n")
    result = answer(parse(body), DEFAULT_CODECS, ME, 20000)
    assert [m.port for m in result.media] == [0, 20000, 0]
    assert result.media[0].proto == "RTP/SAVP"


@pytest.mark.parametrize(("offered", "local", "expected"), [
    ("sendrecv", "sendrecv", "sendrecv"),
    ("sendonly", "sendrecv", "recvonly"),
    ("recvonly", "sendrecv", "sendonly"),
    ("inactive", "sendrecv", "inactive"),
    ("sendrecv", "sendonly", "sendonly"),
    ("sendonly", "sendonly", "inactive"),
    ("recvonly", "recvonly", "inactive"),
])
def test_direction_table(offered: str, local: str, expected: str) -> None:
    assert answer_direction(offered, local) == expected


def test_hold_with_sendonly_answered_recvonly() -> None:
    held = parse(PYVOIP_INVITE.replace("a=sendrecv", "a=sendonly"))
    assert is_hold(held, held.media[0])
    result = answer(held, DEFAULT_CODECS, ME, 20000)
    assert result.media[0].direction == "recvonly"
    chosen = negotiate(held)
    assert chosen.hold and chosen.receives and not chosen.sends


def test_session_level_inactive_applies_to_media() -> None:
    body = SIPP_UAC.replace("t=0 0\r\n", "t=0 0\r\na=inactive\r\n")
    sdp = parse(body)
    assert is_hold(sdp, sdp.media[0])
    assert answer(sdp, DEFAULT_CODECS, ME, 1).media[0].direction == "inactive"


def test_rfc2543_hold_by_zero_address() -> None:
    sdp = parse(RFC2543_HOLD)
    assert is_hold(sdp, sdp.media[0])
    chosen = negotiate(sdp)
    assert chosen.hold and not chosen.sends and chosen.receives
    assert answer(sdp, DEFAULT_CODECS, ME, 1).media[0].direction == "recvonly"


def test_offered_ptime_echoed() -> None:
    body = SIPP_UAC + "a=ptime:30\r\n"
    assert answer(parse(body), DEFAULT_CODECS, ME, 1).media[0].ptime == 30


def test_our_offer_and_their_answer() -> None:
    ours = offer(ME, 30000, [PCMA, PCMU, TELEPHONE_EVENT_8K], direction="sendonly")
    text = serialize(ours)
    assert "m=audio 30000 RTP/AVP 8 0 101\r\n" in text
    assert "a=fmtp:101 0-16\r\n" in text and "a=sendonly\r\n" in text
    their_answer = answer(parse(text), DEFAULT_CODECS, "10.9.9.9", 5000)
    back = negotiate(their_answer)
    assert back.codec.name == "PCMA" and back.telephone_event_pt == 101
    assert back.remote_address == "10.9.9.9" and back.remote_port == 5000
    assert their_answer.media[0].direction == "recvonly"


def test_local_sdp_version_moves_only_on_change() -> None:
    local = LocalSdp(ME, session_id=777)
    first = local.offer(30000)
    same = local.offer(30000)
    held = local.offer(30000, direction="sendonly")
    resumed = local.answer(parse(SIPP_UAC), DEFAULT_CODECS, 30000)
    assert first.origin.session_id == held.origin.session_id == "777"
    assert first.origin.version == same.origin.version == 777
    assert held.origin.version == 778
    assert resumed.origin.version == 779
    assert not is_new_version(first, same) and is_new_version(same, held)
    assert is_new_version(None, first)


def test_bad_direction_refused() -> None:
    with pytest.raises(ValueError):
        offer(ME, 1, direction="sideways")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["0", "8", "9", "18", "101", "96", "abc", "300"]),
                min_size=1, max_size=6),
       st.sampled_from(["sendrecv", "sendonly", "recvonly", "inactive"]),
       st.sampled_from(["audio", "video"]), st.integers(0, 65535))
def test_answer_is_answer_or_488(formats: list[str], direction: str, media: str,
                                 port: int) -> None:
    body = (f"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
            f"m={media} {port} RTP/AVP {' '.join(formats)}\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=rtpmap:96 opus/48000/2\r\n"
            f"a={direction}\r\n")
    try:
        result = answer(parse(body), DEFAULT_CODECS, ME, 4000)
    except SdpError as exc:
        assert exc.status == 488
        return
    assert len(result.media) == 1 and result.media[0].formats[0] in ("0", "8")
    assert parse(serialize(result)) == result
