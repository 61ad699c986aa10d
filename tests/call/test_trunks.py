import os

from softswitch.call.trunks import NotAllowed, Outbound, TrunkRouter, authorized_invite
from softswitch.config.dids import DidConfig
from softswitch.config.trunks import TrunkConfig, dial_pattern
from softswitch.sip.auth import DigestAuthenticator
from softswitch.sip.message import make_response
from softswitch.sip.parser import parse_message
from softswitch.sip.routing import Source

CARRIER = TrunkConfig(name="carrier", host="192.0.2.10", username="acme", password="pw",
                      patterns=(dial_pattern("9|NXXXXXX."),), allowed_users=("1001",))
OPEN = TrunkConfig(name="intl", host="192.0.2.20", allowed_sources=("192.0.2.21",),
                   patterns=(dial_pattern("^00\\d+$"),), strip=2, prefix="+",
                   allowed_users=("*",), caller_id="+4930123")
DIDS = [DidConfig(number="+861088880001", extension="1001"),
        DidConfig(number="5000", ivr="main")]
ROUTER = TrunkRouter([CARRIER, OPEN], DIDS)

INVITE = (b"INVITE sip:+861088880001@198.51.100.1 SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
          b"From: <sip:555@192.0.2.10>;tag=a\r\nTo: <sip:+861088880001@198.51.100.1>\r\n"
          b"Call-ID: c1\r\nCSeq: 7 INVITE\r\nContact: <sip:555@192.0.2.10>\r\n"
          b"Content-Length: 0\r\n\r\n")


def test_a_carrier_is_known_by_its_address_only() -> None:
    request = parse_message(INVITE)
    inbound = ROUTER.inbound(request, Source("udp", "192.0.2.10", 5060))
    assert inbound is not None and inbound.trunk is CARRIER
    assert (inbound.number, inbound.extension) == ("+861088880001", "1001")
    assert ROUTER.inbound(request, Source("udp", "203.0.113.9", 5060)) is None
    # a trunk with listed sources is not reached from its host
    assert ROUTER.inbound(request, Source("udp", "192.0.2.20", 5060)) is None
    assert ROUTER.inbound(request, Source("udp", "192.0.2.21", 5060)) is not None


def test_a_did_that_leads_elsewhere_or_nowhere_gives_no_extension() -> None:
    request = parse_message(INVITE.replace(b"+861088880001@", b"5000@"))
    inbound = ROUTER.inbound(request, Source("udp", "192.0.2.10", 5060))
    assert inbound is not None and inbound.extension is None
    unknown = parse_message(INVITE.replace(b"+861088880001@", b"777@"))
    assert ROUTER.inbound(unknown, Source("udp", "192.0.2.10", 5060)).extension is None  # type: ignore[union-attr]


def test_outbound_strips_prefixes_and_presents_the_callers_did() -> None:
    routed = ROUTER.outbound("1001", "923456789")
    assert isinstance(routed, Outbound)
    assert (routed.trunk.name, routed.number, routed.caller_id) == (
        "carrier", "23456789", "+861088880001")
    assert routed.binding.contact == "sip:23456789@192.0.2.10"
    assert routed.binding.source_host == "192.0.2.10"
    intl = ROUTER.outbound("1002", "0049301234")
    assert isinstance(intl, Outbound) and (intl.number, intl.caller_id) == (
        "+49301234", "+4930123")


def test_a_user_not_allowed_is_refused_and_other_numbers_are_not_trunk_numbers() -> None:
    assert ROUTER.outbound("1002", "923456789") == NotAllowed("923456789", ("carrier",))
    assert ROUTER.outbound("1001", "1002") is None


def test_a_challenged_invite_is_sent_again_with_the_trunk_credentials() -> None:
    auth = DigestAuthenticator(realm="carrier", key=os.urandom(32),
                               password_for={"acme": "pw"}.get)
    invite = parse_message(INVITE)
    challenge = auth.challenge_response(invite, auth.check_request(invite, 0.0))
    proxy = make_response(invite, 407)
    for value in auth.check_request(invite, 0.0).challenges:
        proxy.headers.add("Proxy-Authenticate", value)
    for response, header in ((challenge, "authorization"), (proxy, "proxy-authorization")):
        again = authorized_invite(invite, response, CARRIER)
        assert again is not None
        assert again.cseq.seq == 8 and again.call_id == "c1"
        assert "branch" not in again.headers.get("via")  # the layer gives a new one
        assert header in again.headers
        credentials = again.headers.get_all(header)
        assert auth.check("INVITE", credentials, 0.0).ok
    assert authorized_invite(invite, challenge, OPEN) is None  # no credentials


def test_a_source_with_a_port_tells_a_carrier_from_phones_on_the_same_address() -> None:
    shared = TrunkConfig(name="lab", host="127.0.0.1", port=5070,
                         allowed_sources=("127.0.0.1:5071",))
    router = TrunkRouter([shared], DIDS)
    request = parse_message(INVITE)
    assert router.identify(Source("udp", "127.0.0.1", 5071)) is shared
    assert router.inbound(request, Source("udp", "127.0.0.1", 5071)) is not None
    assert router.identify(Source("udp", "127.0.0.1", 5070)) is None
    assert router.inbound(request, Source("udp", "127.0.0.1", 40000)) is None
    # a host without a port still takes every port
    assert ROUTER.identify(Source("udp", "192.0.2.10", 40000)) is CARRIER
