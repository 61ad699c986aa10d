"""SDP bodies as real peers send them (placeholders filled in as at run time)."""

SIPP_UAC = (  # sipp -sd uac
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
)

SIPP_UAC_PCAP = (  # sipp -sd uac_pcap: PCMA and telephone-event, LF line ends in the XML
    "v=0\n"
    "o=user1 53655765 2353687637 IN IP4 127.0.0.1\n"
    "s=-\n"
    "c=IN IP4 127.0.0.1\n"
    "t=0 0\n"
    "m=audio 6000 RTP/AVP 8 101\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-11,16\n"
)

PYVOIP_INVITE = (  # pyVoIP 1.6 SIPClient.gen_invite
    "v=0\r\n"
    "o=pyVoIP 1234 1236 IN IP4 127.0.0.1\r\n"
    "s=pyVoIP 1.6.8\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 30000 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:150\r\n"
    "a=sendrecv\r\n"
)

DESK_PHONE_WITH_VIDEO = (  # a desk phone offering G.722 first, video, SRTP-less RTP/AVP
    "v=0\r\n"
    "o=- 20518 0 IN IP4 192.168.1.50\r\n"
    "s=SDP data\r\n"
    "b=AS:2048\r\n"
    "t=0 0\r\n"
    "m=audio 11780 RTP/AVP 9 0 8 18 96\r\n"
    "c=IN IP4 192.168.1.50\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:96 telephone-event/8000\r\n"
    "a=fmtp:96 0-15\r\n"
    "a=rtcp:11781\r\n"
    "a=x-custom-thing\r\n"
    "m=video 11782 RTP/AVP 97\r\n"
    "c=IN IP4 192.168.1.50\r\n"
    "a=rtpmap:97 H264/90000\r\n"
    "a=fmtp:97 profile-level-id=42801F\r\n"
)

RFC2543_HOLD = (  # an old UA putting us on hold by zeroing the address
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 host.example.com\r\n"
    "s=-\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
)
