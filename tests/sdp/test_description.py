from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.errors import ProtocolError
from softswitch.sdp.description import (
    Connection,
    MediaDescription,
    RtpMap,
    SdpError,
    SessionDescription,
    parse,
    serialize,
)

BODIES = Path(__file__).parent / "bodies"


def body(name: str) -> str:
    return (BODIES / name).read_bytes().decode()


DESK_PHONE_WITH_VIDEO = body("desk_phone_video.sdp")
PYVOIP_INVITE = body("pyvoip_invite.sdp")
SIPP_UAC = body("sipp_uac.sdp")
SIPP_UAC_PCAP = body("sipp_uac_pcap.sdp")



def test_parse_sipp_uac() -> None:
    sdp = parse(SIPP_UAC.encode())
    assert sdp.origin.username == "user1" and sdp.origin.version == 2353687637
    assert sdp.connection == Connection("127.0.0.1")
    (audio,) = sdp.media
    assert (audio.media, audio.port, audio.proto, audio.formats) == (
        "audio", 6000, "RTP/AVP", ["0"])
    assert audio.rtpmaps() == {0: RtpMap(0, "PCMU", 8000)}
    assert audio.direction is None and sdp.media_direction(audio) == "sendrecv"


def test_parse_pyvoip_keeps_every_attribute() -> None:
    sdp = parse(PYVOIP_INVITE)
    audio = sdp.media[0]
    assert audio.payload_types == [0, 8, 101]
    assert audio.fmtp(101) == "0-15"
    assert audio.ptime == 20
    assert audio.attribute("maxptime") == "150"
    assert audio.direction == "sendrecv"
    assert sdp.session_name == "pyVoIP 1.6.8"


@pytest.mark.parametrize("body", [SIPP_UAC, SIPP_UAC_PCAP, PYVOIP_INVITE,
                                  DESK_PHONE_WITH_VIDEO])
def test_round_trip_is_stable(body: str) -> None:
    first = parse(body)
    text = serialize(first)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert parse(text) == first
    assert serialize(parse(text)) == text


def test_round_trip_keeps_unknown_lines_and_order() -> None:
    body = ("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=x\r\ni=info\r\nu=http://x\r\n"
            "e=a@b\r\nc=IN IP4 10.0.0.1\r\nb=CT:64\r\nt=0 0\r\nr=604800 3600 0\r\n"
            "a=group:BUNDLE 0\r\nm=audio 4000 RTP/AVP 0\r\ni=voice\r\nb=AS:64\r\n"
            "k=prompt\r\ny=unknown\r\na=mid:0\r\na=rtcp-mux\r\n")
    assert serialize(parse(body)) == body


def test_desk_phone_media_level_connection_and_video() -> None:
    sdp = parse(DESK_PHONE_WITH_VIDEO)
    assert sdp.connection is None
    audio, video = sdp.media
    assert sdp.media_connection(audio) == Connection("192.168.1.50")
    assert audio.fmtp(18) == "annexb=no"
    assert audio.attribute("x-custom-thing") == ""
    assert video.media == "video" and video.rtpmaps()[97].clock_rate == 90000
    assert sdp.bandwidths == ["AS:2048"]


def test_built_description_serializes() -> None:
    media = MediaDescription("audio", 4000, "RTP/AVP", ["0"], port_count=2)
    media.attributes.append(("rtpmap", "0 PCMU/8000"))
    media.set_direction("sendonly")
    media.set_direction("inactive")
    sdp = SessionDescription(connection=Connection("::1", addrtype="IP6"), media=[media])
    text = str(sdp)
    assert "m=audio 4000/2 RTP/AVP 0\r\n" in text and "c=IN IP6 ::1" in text
    assert text.count("inactive") == 1 and "sendonly" not in text
    assert SessionDescription.parse(bytes(sdp)) == sdp


@pytest.mark.parametrize(("body", "message"), [
    ("", "no v="),
    ("o=- 1 1 IN IP4 x\r\n", "must start with v="),
    ("v=1\r\no=- 1 1 IN IP4 x\r\n", "version"),
    ("v=0\r\ns=-\r\n", "o= must follow"),
    ("v=0\r\n", "no o="),
    ("v=0\r\no=- 1 1 IN IP4\r\n", "6 fields"),
    ("v=0\r\no=- 1 x IN IP4 h\r\n", "version is not a number"),
    ("v=0\r\no=- 1 1 IN IP4 h\r\nc=IN IP4\r\n", "c= needs 3"),
    ("v=0\r\no=- 1 1 IN IP4 h\r\nm=audio\r\n", "m= needs"),
    ("v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 70000 RTP/AVP 0\r\n", "port"),
    ("v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 1/0 RTP/AVP 0\r\n", "port count"),
    ("v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:x PCMU\r\n", "rtpmap"),
    ("v=0\r\no=- 1 1 IN IP4 h\r\na=\r\n", "no name"),
    ("v=0\r\no=- 1 1 IN IP4 h\r\nhello\r\n", "letter"),
    ("v=0\r\no=- 1 1 IN IP4 h\r\nv=0\r\n", "second v="),
    ("v=0\r\no=- 1 1 IN IP4 h\r\no=- 1 1 IN IP4 h\r\n", "second o="),
])
def test_errors_name_the_line(body: str, message: str) -> None:
    with pytest.raises(SdpError, match=message) as info:
        parse(body)
    assert info.value.status == 400
    if body.count("\n") >= 2:
        assert "line" in str(info.value)


def test_not_utf8() -> None:
    with pytest.raises(SdpError, match="UTF-8"):
        parse(b"v=0\r\no=\xff\r\n")


def test_sdp_error_is_protocol_error() -> None:
    assert issubclass(SdpError, ProtocolError)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_parse_or_sdp_error(data: bytes) -> None:
    try:
        parse(data)
    except SdpError:
        pass


_line = st.tuples(st.sampled_from("vosicbtamkrzux"), st.text(max_size=30)).map(
    lambda kv: f"{kv[0]}={kv[1]}")


@settings(max_examples=300, deadline=None)
@given(st.lists(_line, max_size=12))
def test_random_sdp_lines_parse_or_sdp_error(lines: list[str]) -> None:
    body = "v=0\r\no=- 1 1 IN IP4 h\r\n" + "\r\n".join(lines)
    try:
        sdp = parse(body)
    except SdpError:
        return
    # what parses has one canonical text: serializing again changes nothing
    text = serialize(sdp)
    assert serialize(parse(text)) == text
