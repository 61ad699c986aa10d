"""Digest authentication: the math against published vectors, and the server's verdicts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.clock import ManualClock
from softswitch.errors import ProtocolError
from softswitch.sip.auth import (
    PROXY,
    WWW,
    AuthOutcome,
    AuthResult,
    ChallengeHeaders,
    DigestAuthenticator,
    answer_challenge,
    choose_challenge,
    digest_response,
    parse_auth_params,
)
from softswitch.sip.message import Headers, Request
from softswitch.sip.uri import parse_uri

USERS = {"1001": "s3cret-pw", "1002": "other-pw"}
KEY = bytes(range(32))
REALM = "pbx.example"
URI = "sip:pbx.example"


def make_auth(**kwargs: object) -> DigestAuthenticator:
    return DigestAuthenticator(REALM, KEY, USERS.get, **kwargs)  # type: ignore[arg-type]


def pick(challenges: tuple[str, ...], algorithm: str) -> str:
    (value,) = [c for c in challenges if f"algorithm={algorithm}," in c]
    return value


# ----------------------------------------------------------------- published vectors

RFC7616 = dict(username="Mufasa", realm="http-auth@example.org", password="Circle of Life",
               method="GET", uri="/dir/index.html",
               nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", qop="auth",
               nc="00000001", cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")


@pytest.mark.parametrize(("algorithm", "expected"), [
    ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
])
def test_rfc7616_section_3_9_1(algorithm: str, expected: str) -> None:
    assert digest_response(algorithm=algorithm, **RFC7616) == expected


def test_rfc7616_example_through_the_client_function() -> None:
    challenge = ('Digest realm="http-auth@example.org", qop="auth, auth-int", '
                 'algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
                 'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')
    value = answer_challenge(challenge, "GET", "/dir/index.html", "Mufasa", "Circle of Life",
                             "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", 1)
    _, params = parse_auth_params(value)
    assert params["response"] == (
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
    assert params["nc"] == "00000001" and params["qop"] == "auth"
    assert params["opaque"] == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"


def test_rfc2617_section_3_5_vector() -> None:
    assert digest_response(
        algorithm="MD5", username="Mufasa", realm="testrealm@host.com",
        password="Circle Of Life", method="GET", uri="/dir/index.html",
        nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", qop="auth", nc="00000001",
        cnonce="0a4f113b") == "6629fae49393a05397450978507c4ef1"


# ----------------------------------------------------------------- the header grammar

def test_parse_auth_params_handles_quotes_escapes_and_spacing() -> None:
    scheme, params = parse_auth_params(
        ' Digest  username="a\\"b" ,Realm = "x, y",nc=00000001,qop=auth ')
    assert scheme == "Digest"
    assert params == {"username": 'a"b', "realm": "x, y", "nc": "00000001", "qop": "auth"}


@pytest.mark.parametrize("value", [
    "", '="x"', 'Digest realm', 'Digest realm="x', 'Digest realm="x" nonce="y"',
    'Digest realm="x", realm="y"', 'Digest realm=', "Digest ,=x", 'Digest"x"',
    "Digest " + "a" * 5000 + "=b",
])
def test_parse_auth_params_rejects_garbage(value: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_auth_params(value)
    assert info.value.status == 400


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parse_auth_params_parses_or_raises_protocol_error(value: str) -> None:
    try:
        parse_auth_params(value)
    except ProtocolError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_quoted_values_round_trip_through_the_client(username: str) -> None:
    auth = DigestAuthenticator(REALM, KEY, lambda u: "pw" if u == username else None)
    value = answer_challenge(auth.challenges(0.0)[0], "REGISTER", URI, username, "pw", "c", 1)
    assert auth.check("REGISTER", [value], 1.0).ok


# ----------------------------------------------------------------- server round trips

@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_round_trip(algorithm: str) -> None:
    clock = ManualClock()
    auth = make_auth()
    challenge = pick(auth.challenges(clock.now()), algorithm)
    clock.advance(2)
    value = answer_challenge(challenge, "REGISTER", URI, "1001", USERS["1001"], "abc", 1)
    result = auth.check("REGISTER", [value], clock.now())
    assert result.ok and result.username == "1001" and result.algorithm == algorithm
    assert result.challenges == () and not result.is_failure
    # the same nonce with the next nonce-count is fine (qop=auth reuse, RFC 7616 §3.4)
    value2 = answer_challenge(challenge, "INVITE", "sip:1002@pbx.example", "1001",
                              USERS["1001"], "def", 2)
    assert auth.check("INVITE", [value2], clock.now()).ok


def test_challenges_offer_sha256_first_then_md5_with_qop_and_opaque() -> None:
    values = make_auth().challenges(0.0)
    assert len(values) == 2
    schemes = [parse_auth_params(v) for v in values]
    assert [p["algorithm"] for _, p in schemes] == ["SHA-256", "MD5"]
    for scheme, p in schemes:
        assert scheme == "Digest" and p["realm"] == REALM and p["qop"] == "auth"
        assert p["opaque"] and "stale" not in p
    assert schemes[0][1]["nonce"] == schemes[1][1]["nonce"]
    assert choose_challenge(reversed(values)) == values[0]


def test_each_challenge_has_a_fresh_nonce() -> None:
    auth = make_auth()
    nonces = {parse_auth_params(auth.challenges(0.0)[0])[1]["nonce"] for _ in range(50)}
    assert len(nonces) == 50


def test_flavours_name_the_right_headers() -> None:
    assert (WWW.status, WWW.challenge, WWW.credentials) == (
        401, "WWW-Authenticate", "Authorization")
    assert (PROXY.status, PROXY.challenge, PROXY.credentials) == (
        407, "Proxy-Authenticate", "Proxy-Authorization")


def test_missing_credentials_get_a_challenge() -> None:
    result = make_auth().check("REGISTER", [], 0.0)
    assert result.outcome is AuthOutcome.MISSING and not result.is_failure
    assert len(result.challenges) == 2


def test_other_schemes_are_ignored() -> None:
    result = make_auth().check("REGISTER", ["Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="], 0.0)
    assert result.outcome is AuthOutcome.MISSING


def test_stale_nonce_with_right_password_gets_stale_true() -> None:
    clock = ManualClock()
    auth = make_auth(nonce_lifetime=30.0)
    challenge = auth.challenges(clock.now())[0]
    clock.advance(31)
    value = answer_challenge(challenge, "REGISTER", URI, "1001", USERS["1001"], "c", 1)
    result = auth.check("REGISTER", [value], clock.now())
    assert result.outcome is AuthOutcome.STALE and not result.is_failure
    assert all(parse_auth_params(c)[1].get("stale") == "true" for c in result.challenges)
    # the fresh challenge works
    retry = answer_challenge(result.challenges[0], "REGISTER", URI, "1001", USERS["1001"],
                             "c", 1)
    assert auth.check("REGISTER", [retry], clock.now()).ok


def test_stale_nonce_with_wrong_password_is_just_wrong() -> None:
    clock = ManualClock()
    auth = make_auth(nonce_lifetime=30.0)
    challenge = auth.challenges(clock.now())[0]
    clock.advance(31)
    value = answer_challenge(challenge, "REGISTER", URI, "1001", "guess", "c", 1)
    result = auth.check("REGISTER", [value], clock.now())
    assert result.outcome is AuthOutcome.WRONG
    assert all("stale" not in parse_auth_params(c)[1] for c in result.challenges)


def test_nonce_count_replay_is_refused() -> None:
    auth = make_auth()
    challenge = auth.challenges(0.0)[0]
    first = answer_challenge(challenge, "REGISTER", URI, "1001", USERS["1001"], "c", 1)
    assert auth.check("REGISTER", [first], 1.0).ok
    replay = auth.check("REGISTER", [first], 2.0)
    assert replay.outcome is AuthOutcome.REPLAY and replay.is_failure
    lower = answer_challenge(challenge, "REGISTER", URI, "1001", USERS["1001"], "c", 5)
    assert auth.check("REGISTER", [lower], 3.0).ok
    again = answer_challenge(challenge, "REGISTER", URI, "1001", USERS["1001"], "d", 3)
    assert auth.check("REGISTER", [again], 4.0).outcome is AuthOutcome.REPLAY


def test_nonce_count_zero_is_refused() -> None:
    auth = make_auth()
    value = answer_challenge(auth.challenges(0.0)[0], "REGISTER", URI, "1001",
                             USERS["1001"], "c", 0)
    assert auth.check("REGISTER", [value], 1.0).outcome is AuthOutcome.REPLAY


def test_replay_memory_is_bounded_and_stays_safe_after_eviction() -> None:
    clock = ManualClock()
    auth = make_auth(max_tracked_nonces=3)
    used = []
    for _ in range(6):
        challenge = auth.challenges(clock.now())[0]
        clock.advance(1)
        value = answer_challenge(challenge, "REGISTER", URI, "1001", USERS["1001"], "c", 1)
        assert auth.check("REGISTER", [value], clock.now()).ok
        used.append(value)
    assert len(auth._seen) == 3
    for value in used:  # evicted or remembered, none of them is accepted again
        assert not auth.check("REGISTER", [value], clock.now()).ok
    # a nonce issued after the eviction still works on first use
    fresh = answer_challenge(auth.challenges(clock.now())[0], "REGISTER", URI, "1001",
                             USERS["1001"], "c", 1)
    assert auth.check("REGISTER", [fresh], clock.now()).ok


def test_wrong_realm_in_credentials() -> None:
    other = DigestAuthenticator("elsewhere.example", KEY, USERS.get)
    value = answer_challenge(other.challenges(0.0)[0], "REGISTER", URI, "1001",
                             USERS["1001"], "c", 1)
    result = make_auth().check("REGISTER", [value], 1.0)
    assert result.outcome is AuthOutcome.WRONG_REALM
    assert len(result.challenges) == 2


def test_credentials_for_our_realm_are_found_among_several() -> None:
    other = DigestAuthenticator("elsewhere.example", KEY, USERS.get)
    auth = make_auth()
    theirs = answer_challenge(other.challenges(0.0)[0], "REGISTER", URI, "1001", "x", "c", 1)
    ours = answer_challenge(auth.challenges(0.0)[0], "REGISTER", URI, "1001",
                            USERS["1001"], "c", 1)
    assert auth.check("REGISTER", [theirs, ours], 1.0).ok


def test_digest_is_checked_against_the_header_uri_not_the_request_uri() -> None:
    auth = make_auth()
    # pyVoIP signs "sip:HOST;transport=UDP" while the Request-URI is "sip:HOST"
    value = answer_challenge(auth.challenges(0.0)[1], "REGISTER",
                             "sip:127.0.0.1;transport=UDP", "1001", USERS["1001"], "c", 1)
    assert auth.check("REGISTER", [value], 1.0).ok


def test_digest_over_a_different_uri_than_the_header_says_is_wrong() -> None:
    auth = make_auth()
    value = answer_challenge(auth.challenges(0.0)[0], "REGISTER", "sip:a.example", "1001",
                             USERS["1001"], "c", 1)
    tampered = value.replace('uri="sip:a.example"', 'uri="sip:b.example"')
    assert tampered != value
    result = auth.check("REGISTER", [tampered], 1.0)
    assert result.outcome is AuthOutcome.WRONG and result.is_failure


def test_digest_for_another_method_is_wrong() -> None:
    auth = make_auth()
    value = answer_challenge(auth.challenges(0.0)[0], "REGISTER", URI, "1001",
                             USERS["1001"], "c", 1)
    assert auth.check("INVITE", [value], 1.0).outcome is AuthOutcome.WRONG


def test_unknown_user_and_wrong_password_look_the_same() -> None:
    auth = make_auth()
    wrong = answer_challenge(auth.challenges(0.0)[0], "REGISTER", URI, "1001", "guess", "c", 1)
    unknown = answer_challenge(auth.challenges(0.0)[0], "REGISTER", URI, "9999", "guess",
                               "c", 1)
    r_wrong = auth.check("REGISTER", [wrong], 1.0)
    r_unknown = auth.check("REGISTER", [unknown], 1.0)
    assert r_wrong.outcome is AuthOutcome.WRONG
    assert r_unknown.outcome is AuthOutcome.UNKNOWN_USER
    assert r_wrong.is_failure and r_unknown.is_failure

    def outward(result_challenges: tuple[str, ...]) -> list[dict[str, str]]:
        out = []
        for c in result_challenges:
            _, params = parse_auth_params(c)
            params.pop("nonce")
            out.append(params)
        return out

    assert outward(r_wrong.challenges) == outward(r_unknown.challenges)


def test_forged_nonce_is_wrong_even_with_the_right_password() -> None:
    auth = make_auth()
    challenge = auth.challenges(0.0)[0]
    nonce = parse_auth_params(challenge)[1]["nonce"]
    forged_nonce = nonce[:-1] + ("0" if nonce[-1] != "0" else "1")
    value = answer_challenge(challenge.replace(nonce, forged_nonce), "REGISTER", URI, "1001",
                             USERS["1001"], "c", 1)
    assert auth.check("REGISTER", [value], 1.0).outcome is AuthOutcome.WRONG
    other_key = DigestAuthenticator(REALM, b"k" * 32, USERS.get)  # e.g. after a restart
    value = answer_challenge(other_key.challenges(0.0)[0], "REGISTER", URI, "1001",
                             USERS["1001"], "c", 1)
    assert auth.check("REGISTER", [value], 1.0).outcome is AuthOutcome.WRONG


def test_wrong_opaque_is_wrong() -> None:
    auth = make_auth()
    value = answer_challenge(auth.challenges(0.0)[0], "REGISTER", URI, "1001",
                             USERS["1001"], "c", 1)
    opaque = parse_auth_params(value)[1]["opaque"]
    assert auth.check("REGISTER", [value.replace(opaque, "x" * len(opaque))],
                      1.0).outcome is AuthOutcome.WRONG


@pytest.mark.parametrize("value", [
    'Digest realm="pbx.example", nonce="n", uri="sip:x", response="r"',  # no username
    'Digest username="1001", realm="pbx.example", uri="sip:x", response="r"',  # no nonce
    'Digest username="1001", realm="pbx.example", nonce="n", uri="sip:x", response="r", '
    'algorithm=SHA-512-256, qop=auth, nc=00000001, cnonce="c"',
    'Digest username="1001", realm="pbx.example", nonce="n", uri="sip:x", response="r", '
    'qop=auth-int, nc=00000001, cnonce="c"',
    'Digest username="1001", realm="pbx.example", nonce="n", uri="sip:x", response="r", '
    'qop=auth, nc=1, cnonce="c"',
    'Digest username="1001", realm="pbx.example", nonce="n", uri="sip:x", response="r", '
    'qop=auth, nc=0000000g, cnonce="c"',
    'Digest username="1001", realm="pbx.example", nonce="n", uri="sip:x", response="r", '
    'qop=auth, nc=00000001',
    'Digest username="1001", realm="pbx.example", nonce="n", uri="sip:x", response="r", '
    'algorithm=SHA-256',  # no qop is only tolerated for MD5
    'Digest username="1001" realm="pbx.example"',
])
def test_malformed_credentials(value: str) -> None:
    result = make_auth().check("REGISTER", [value], 0.0)
    assert result.outcome is AuthOutcome.MALFORMED and result.is_failure
    assert len(result.challenges) == 2


def test_rfc2069_md5_without_qop_is_accepted_once() -> None:
    auth = make_auth()
    challenge = auth.challenges(0.0)[1]
    nonce = parse_auth_params(challenge)[1]["nonce"]
    response = digest_response(algorithm="MD5", username="1001", realm=REALM,
                               password=USERS["1001"], method="REGISTER",
                               uri="sip:127.0.0.1;transport=UDP", nonce=nonce)
    value = (f'Digest username="1001",realm="{REALM}",nonce="{nonce}",'
             f'uri="sip:127.0.0.1;transport=UDP",response="{response}",algorithm=MD5')
    assert auth.check("REGISTER", [value], 1.0).ok
    again = auth.check("REGISTER", [value], 2.0)
    assert again.outcome is AuthOutcome.STALE and not again.ok
    assert not make_auth(allow_no_qop_md5=False).check("REGISTER", [value], 1.0).ok


def test_pyvoip_answers_our_challenge() -> None:
    """pyVoIP (a real phone) parses our 401 and its digest passes."""
    import pyVoIP.VoIP  # noqa: F401  (pyVoIP.SIP needs this import order)
    from pyVoIP.SIP import SIPClient, SIPMessage

    auth = make_auth()
    lines = ["SIP/2.0 401 Unauthorized", "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKx",
             "From: <sip:1001@127.0.0.1>;tag=a", "To: <sip:1001@127.0.0.1>;tag=b",
             "Call-ID: c1", "CSeq: 1 REGISTER"]
    lines += [f"WWW-Authenticate: {c}" for c in auth.challenges(0.0)]
    raw = ("\r\n".join([*lines, "Content-Length: 0", "", ""])).encode()
    message = SIPMessage(raw)
    client = SIPClient.__new__(SIPClient)
    client.username, client.password, client.server = "1001", USERS["1001"], "127.0.0.1"
    response = client.gen_authorization(message).decode()
    nonce = message.authentication["nonce"]
    value = (f'Digest username="1001",realm="{message.authentication["realm"]}",'
             f'nonce="{nonce}",uri="sip:127.0.0.1;transport=UDP",response="{response}",'
             "algorithm=MD5")
    assert auth.check("REGISTER", [value], 1.0).ok


def test_secrets_never_appear_in_reprs() -> None:
    auth = make_auth()
    challenge = auth.challenges(0.0)[0]
    results = [auth.check("REGISTER", [answer_challenge(challenge, "REGISTER", URI, "1001",
                                                        pw, "c", 1)], 1.0)
               for pw in (USERS["1001"], "guess")]
    text = " ".join([repr(auth), str(auth), *map(repr, results), *map(str, results)])
    assert "s3cret-pw" not in text and "other-pw" not in text
    assert KEY.hex() not in text and repr(KEY) not in text


def test_constructor_rejects_weak_keys_and_unknown_algorithms() -> None:
    with pytest.raises(ValueError):
        DigestAuthenticator(REALM, b"short", USERS.get)
    with pytest.raises(ValueError):
        DigestAuthenticator(REALM, KEY, USERS.get, algorithms=("SHA-1",))
    with pytest.raises(ValueError):
        DigestAuthenticator(REALM, KEY, USERS.get, algorithms=())


def test_client_refuses_what_it_cannot_answer() -> None:
    with pytest.raises(ProtocolError):
        answer_challenge('Basic realm="x"', "REGISTER", URI, "u", "p", "c", 1)
    with pytest.raises(ProtocolError):
        answer_challenge('Digest realm="x"', "REGISTER", URI, "u", "p", "c", 1)
    with pytest.raises(ProtocolError):
        answer_challenge('Digest realm="x", nonce="n", algorithm=SHA-1', "REGISTER", URI,
                         "u", "p", "c", 1)
    with pytest.raises(ProtocolError):
        answer_challenge('Digest realm="x", nonce="n", qop="auth-int"', "REGISTER", URI,
                         "u", "p", "c", 1)
    with pytest.raises(ProtocolError):
        choose_challenge(['Basic realm="x"', "garbage ="])


def test_client_answers_an_rfc2069_challenge_without_qop() -> None:
    value = answer_challenge('Digest realm="r", nonce="n"', "REGISTER", URI, "u", "p", "c", 1)
    _, params = parse_auth_params(value)
    assert "qop" not in params and "nc" not in params
    assert params["response"] == digest_response(algorithm="MD5", username="u", realm="r",
                                                 password="p", method="REGISTER", uri=URI,
                                                 nonce="n")


def _request(method: str, *auth: tuple[str, str]) -> Request:
    headers = Headers([("Via", "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1"),
                       ("From", "<sip:1001@pbx.example>;tag=a"), ("To", "<sip:1001@pbx.example>"),
                       ("Call-ID", "c1"), ("CSeq", f"1 {method}"), *auth])
    return Request(method, parse_uri("sip:pbx.example"), headers)


@pytest.mark.parametrize("flavour", [WWW, PROXY])
def test_request_level_round_trip(flavour: ChallengeHeaders) -> None:
    auth = make_auth()
    first = _request("INVITE")
    result = auth.check_request(first, 0.0, flavour)
    assert result.outcome is AuthOutcome.MISSING
    response = auth.challenge_response(first, result, flavour, to_tag="t1")
    assert (response.status, response.reason) == (flavour.status, flavour.reason)
    assert response.to.tag == "t1" and response.call_id == "c1"
    challenges = response.headers.get_all(flavour.challenge)
    assert [parse_auth_params(c)[1]["algorithm"] for c in challenges] == ["SHA-256", "MD5"]
    value = answer_challenge(choose_challenge(challenges), "INVITE", "sip:1002@pbx.example",
                             "1001", USERS["1001"], "cn", 1)
    assert auth.check_request(_request("INVITE", (flavour.credentials, value)), 1.0,
                              flavour).ok
    # credentials in the other flavour's header do not count
    other = PROXY if flavour is WWW else WWW
    wrong_header = _request("INVITE", (other.credentials, value))
    assert auth.check_request(wrong_header, 1.0, flavour).outcome is AuthOutcome.MISSING


def test_no_challenge_for_an_accepted_request() -> None:
    with pytest.raises(ValueError):
        make_auth().challenge_response(_request("REGISTER"), AuthResult(AuthOutcome.OK))
