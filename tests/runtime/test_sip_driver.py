from __future__ import annotations

from softswitch.runtime.sip_driver import ReusedBranches
from softswitch.sip.message import Headers, Request
from softswitch.sip.uri import parse_uri


def _invite(branch: str, auth: bool) -> Request:
    headers = Headers([("Via", f"SIP/2.0/UDP 127.0.0.1:5061;branch={branch};rport"),
                       ("From", "<sip:1001@x>;tag=a"), ("To", "<sip:1002@x>"),
                       ("Call-ID", "c1"), ("CSeq", "1 INVITE")])
    if auth:
        headers.add("Authorization", 'Digest username="1001"')
    return Request("INVITE", parse_uri("sip:1002@x"), headers)


def test_credentials_on_a_reused_branch_make_a_new_request() -> None:
    seen = ReusedBranches()
    first = _invite("z9hG4bKpyvoip1", auth=False)
    seen.check(first)
    assert first.top_via.branch == "z9hG4bKpyvoip1"
    retransmission = _invite("z9hG4bKpyvoip1", auth=False)
    seen.check(retransmission)
    assert retransmission.top_via.branch == "z9hG4bKpyvoip1"
    with_auth = _invite("z9hG4bKpyvoip1", auth=True)
    seen.check(with_auth)
    renamed = with_auth.top_via.branch
    assert renamed != "z9hG4bKpyvoip1" and "rport" in with_auth.top_via.params
    again = _invite("z9hG4bKpyvoip1", auth=True)  # its retransmission: the same new branch
    seen.check(again)
    assert again.top_via.branch == renamed
    assert seen.renamed == 1
    fresh = _invite("z9hG4bKother", auth=True)  # credentials from the start: untouched
    seen.check(fresh)
    seen.check(fresh)
    assert fresh.top_via.branch == "z9hG4bKother"


def test_memory_is_bounded() -> None:
    seen = ReusedBranches(size=10)
    for n in range(100):
        seen.check(_invite(f"z9hG4bK{n}", auth=False))
    assert len(seen._seen) == 10
