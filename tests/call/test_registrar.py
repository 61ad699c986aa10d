"""The registrar (RFC 3261 §10.3) and the location service it keeps, on a manual clock."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.call.location import Binding
from softswitch.call.registrar import (
    ChangeKind,
    Registrar,
    RegistrarPolicy,
    Source,
)
from softswitch.clock import ManualClock
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import Headers, Request, Response
from softswitch.sip.uri import parse_uri

PHONE = Source("udp", "203.0.113.5", 40123)
_cseq = itertools.count(1)


def register(*contacts: str, user: str = "1001", call_id: str = "reg-1",
             cseq: int | None = None, expires: str | None = None,
             to: str | None = None, extra: tuple[tuple[str, str], ...] = ()) -> Request:
    headers = [
        ("Via", "SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK" + str(next(_cseq)) + ";rport"),
        ("From", f"<sip:{user}@pbx.example>;tag=abc"),
        ("To", to or f"<sip:{user}@pbx.example>"),
        ("Call-ID", call_id),
        ("CSeq", f"{cseq if cseq is not None else next(_cseq)} REGISTER"),
        ("User-Agent", "Desk Phone 1.0"),
    ]
    headers += [("Contact", c) for c in contacts]
    if expires is not None:
        headers.append(("Expires", expires))
    headers += list(extra)
    return Request("REGISTER", parse_uri("sip:pbx.example"), Headers(headers))


def contacts_of(response: Response) -> dict[str, dict[str, str | None]]:
    out = {}
    for value in response.headers.get_all("contact"):
        addr = parse_name_addr(value)
        out[str(addr.uri)] = addr.params
    return out


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=0.0, wall_start=1_700_000_000.0)


@pytest.fixture
def registrar() -> Registrar:
    return Registrar(RegistrarPolicy(max_contacts=3), tag_factory=lambda: "totag")


def test_add_a_binding(registrar: Registrar, clock: ManualClock) -> None:
    now = clock.wall()
    result = registrar.register(register("<sip:1001@192.168.1.20:5060>", expires="600"),
                                "1001", PHONE, now)
    assert result.response.status == 200
    assert result.response.to.tag == "totag"
    assert result.response.call_id == "reg-1"
    assert contacts_of(result.response) == {
        "sip:1001@192.168.1.20:5060": {"expires": "600"}}
    [change] = result.changes
    assert change.kind is ChangeKind.ADDED
    b = change.binding
    assert (b.aor, b.contact, b.expires_at) == ("1001", "sip:1001@192.168.1.20:5060",
                                                now + 600)
    # the binding remembers where the REGISTER really came from (NAT), not the Contact
    assert (b.source_transport, b.source_host, b.source_port) == ("UDP", "203.0.113.5",
                                                                   40123)
    assert b.user_agent == "Desk Phone 1.0" and b.call_id == "reg-1"
    assert b.registered_at == now
    assert registrar.lookup("1001") == [b]


def test_binding_fields_are_plain_values_for_storage() -> None:
    for f in dataclasses.fields(Binding):
        assert f.type in {"str", "int", "float", "float | None"}, f


def test_refresh_keeps_registered_at_and_updates_the_rest(registrar: Registrar,
                                                         clock: ManualClock) -> None:
    first = registrar.register(register("<sip:1001@192.168.1.20:5060>", cseq=1),
                               "1001", PHONE, clock.wall())
    clock.advance(1000)
    moved = Source("UDP", "203.0.113.5", 40999)
    again = registrar.register(register("<sip:1001@192.168.1.20:5060>", cseq=2,
                                        expires="1200"), "1001", moved, clock.wall())
    assert again.response.status == 200
    [change] = again.changes
    assert change.kind is ChangeKind.REFRESHED
    assert change.binding.registered_at == first.changes[0].binding.registered_at
    assert change.binding.refreshed_at == clock.wall()
    assert change.binding.expires_at == clock.wall() + 1200
    assert change.binding.source_port == 40999 and change.binding.cseq == 2
    assert len(registrar.lookup("1001")) == 1


def test_several_contacts_and_per_contact_expires(registrar: Registrar,
                                                  clock: ManualClock) -> None:
    now = clock.wall()
    result = registrar.register(register(
        "<sip:1001@10.0.0.1>;expires=120, <sip:1001@10.0.0.2>;q=0.5",
        "<sip:1001@10.0.0.3>;expires=99999;q=1", expires="300"), "1001", PHONE, now)
    assert result.response.status == 200
    assert contacts_of(result.response) == {
        "sip:1001@10.0.0.1": {"expires": "120"},
        "sip:1001@10.0.0.2": {"expires": "300", "q": "0.5"},
        "sip:1001@10.0.0.3": {"expires": "3600", "q": "1"},  # clamped to the maximum
    }
    assert [c.kind for c in result.changes] == [ChangeKind.ADDED] * 3
    # most preferred first
    assert registrar.lookup("1001")[-1].contact == "sip:1001@10.0.0.2"


def test_default_expires_without_any(registrar: Registrar, clock: ManualClock) -> None:
    result = registrar.register(register("<sip:1001@10.0.0.1>"), "1001", PHONE, clock.wall())
    assert contacts_of(result.response)["sip:1001@10.0.0.1"] == {"expires": "3600"}


def test_malformed_expires_counts_as_absent(registrar: Registrar,
                                            clock: ManualClock) -> None:
    result = registrar.register(register("<sip:1001@10.0.0.1>;expires=soon",
                                         expires="never"), "1001", PHONE, clock.wall())
    assert result.response.status == 200
    assert contacts_of(result.response)["sip:1001@10.0.0.1"] == {"expires": "3600"}


def test_too_brief_gets_423_with_min_expires(registrar: Registrar,
                                             clock: ManualClock) -> None:
    result = registrar.register(register("<sip:1001@10.0.0.1>", "<sip:1001@10.0.0.2>;"
                                         "expires=30"), "1001", PHONE, clock.wall())
    assert result.response.status == 423
    assert result.response.headers.get("Min-Expires") == "60"
    assert result.changes == () and registrar.lookup("1001") == []


def test_expires_zero_removes_one_binding(registrar: Registrar, clock: ManualClock) -> None:
    registrar.register(register("<sip:1001@10.0.0.1>", "<sip:1001@10.0.0.2>", cseq=1),
                       "1001", PHONE, clock.wall())
    result = registrar.register(register("<sip:1001@10.0.0.1>;expires=0", cseq=2),
                                "1001", PHONE, clock.wall())
    assert result.response.status == 200
    assert [(c.kind, c.binding.contact) for c in result.changes] == [
        (ChangeKind.REMOVED, "sip:1001@10.0.0.1")]
    assert list(contacts_of(result.response)) == ["sip:1001@10.0.0.2"]


def test_removing_an_unknown_binding_is_fine(registrar: Registrar,
                                             clock: ManualClock) -> None:
    result = registrar.register(register("<sip:1001@10.0.0.9>", expires="0"), "1001", PHONE,
                                clock.wall())
    assert result.response.status == 200 and result.changes == ()


def test_wildcard_with_expires_zero_removes_all(registrar: Registrar,
                                                clock: ManualClock) -> None:
    registrar.register(register("<sip:1001@10.0.0.1>", "<sip:1001@10.0.0.2>", cseq=1),
                       "1001", PHONE, clock.wall())
    result = registrar.register(register("*", expires="0", cseq=2), "1001", PHONE,
                                clock.wall())
    assert result.response.status == 200
    assert {c.kind for c in result.changes} == {ChangeKind.REMOVED}
    assert len(result.changes) == 2
    assert registrar.lookup("1001") == []
    assert result.response.headers.get_all("contact") == []


@pytest.mark.parametrize(("contacts", "expires"), [
    (("*",), None), (("*",), "60"), (("*", "<sip:1001@10.0.0.1>"), "0"),
    (("*, <sip:1001@10.0.0.1>",), "0"),
])
def test_wildcard_otherwise_is_400(registrar: Registrar, clock: ManualClock,
                                   contacts: tuple[str, ...], expires: str | None) -> None:
    registrar.register(register("<sip:1001@10.0.0.1>", cseq=1), "1001", PHONE, clock.wall())
    result = registrar.register(register(*contacts, expires=expires, cseq=2), "1001", PHONE,
                                clock.wall())
    assert result.response.status == 400 and result.changes == ()
    assert len(registrar.lookup("1001")) == 1


def test_expiry_on_time(registrar: Registrar, clock: ManualClock) -> None:
    registrar.register(register("<sip:1001@10.0.0.1>;expires=120",
                                "<sip:1001@10.0.0.2>;expires=600"), "1001", PHONE,
                       clock.wall())
    assert registrar.next_expiry() == clock.wall() + 120
    clock.advance(119)
    assert registrar.expire(clock.wall()) == []
    clock.advance(1)
    assert [b.contact for b in registrar.expire(clock.wall())] == ["sip:1001@10.0.0.1"]
    assert [b.contact for b in registrar.lookup("1001")] == ["sip:1001@10.0.0.2"]
    assert registrar.next_expiry() == clock.wall() + 480


def test_lookup_with_now_hides_what_expire_has_not_dropped_yet(
        registrar: Registrar, clock: ManualClock) -> None:
    registrar.register(register("<sip:1001@10.0.0.1>;expires=60"), "1001", PHONE,
                       clock.wall())
    clock.advance(61)
    assert registrar.lookup("1001", clock.wall()) == []
    assert len(registrar.lookup("1001")) == 1


def test_a_register_reports_bindings_it_finds_expired(registrar: Registrar,
                                                      clock: ManualClock) -> None:
    registrar.register(register("<sip:1001@10.0.0.1>;expires=60", cseq=1), "1001", PHONE,
                       clock.wall())
    clock.advance(61)
    result = registrar.register(register("<sip:1001@10.0.0.2>", cseq=2), "1001", PHONE,
                                clock.wall())
    assert [(c.kind, c.binding.contact) for c in result.changes] == [
        (ChangeKind.EXPIRED, "sip:1001@10.0.0.1"), (ChangeKind.ADDED, "sip:1001@10.0.0.2")]
    assert list(contacts_of(result.response)) == ["sip:1001@10.0.0.2"]
    assert registrar.expire(clock.wall() + 1) == []


def test_the_200_reports_the_remaining_time(registrar: Registrar, clock: ManualClock) -> None:
    registrar.register(register("<sip:1001@10.0.0.1>;expires=600", cseq=1), "1001", PHONE,
                       clock.wall())
    clock.advance(100)
    result = registrar.register(register(cseq=2), "1001", PHONE, clock.wall())  # a query
    assert result.response.status == 200 and result.changes == ()
    assert contacts_of(result.response) == {"sip:1001@10.0.0.1": {"expires": "500"}}


def test_older_cseq_for_the_same_call_id_aborts(registrar: Registrar,
                                                clock: ManualClock) -> None:
    registrar.register(register("<sip:1001@10.0.0.1>", cseq=5), "1001", PHONE, clock.wall())
    for cseq in (5, 4):
        result = registrar.register(register("<sip:1001@10.0.0.1>;expires=0",
                                             "<sip:1001@10.0.0.2>", cseq=cseq),
                                    "1001", PHONE, clock.wall())
        assert result.response.status == 500 and result.changes == ()
    assert [b.contact for b in registrar.lookup("1001")] == ["sip:1001@10.0.0.1"]
    wildcard = registrar.register(register("*", expires="0", cseq=3), "1001", PHONE,
                                  clock.wall())
    assert wildcard.response.status == 500
    assert len(registrar.lookup("1001")) == 1


def test_a_new_call_id_may_use_any_cseq(registrar: Registrar, clock: ManualClock) -> None:
    registrar.register(register("<sip:1001@10.0.0.1>", cseq=5), "1001", PHONE, clock.wall())
    result = registrar.register(register("<sip:1001@10.0.0.1>", cseq=1, call_id="rebooted"),
                                "1001", PHONE, clock.wall())
    assert result.response.status == 200
    assert [c.kind for c in result.changes] == [ChangeKind.REFRESHED]
    assert result.changes[0].binding.call_id == "rebooted"


def test_contact_uris_compare_by_rfc3261_equivalence(registrar: Registrar,
                                                     clock: ManualClock) -> None:
    registrar.register(register("<sip:1001@Phone.Example:5060;transport=udp>", cseq=1),
                       "1001", PHONE, clock.wall())
    result = registrar.register(register("<sip:1001@phone.example:5060;TRANSPORT=UDP>",
                                         cseq=2), "1001", PHONE, clock.wall())
    assert [c.kind for c in result.changes] == [ChangeKind.REFRESHED]
    assert len(registrar.lookup("1001")) == 1


def test_same_instance_from_a_new_address_replaces_the_old_binding(
        registrar: Registrar, clock: ManualClock) -> None:
    instance = ';+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>"'
    registrar.register(register(f"<sip:1001@10.0.0.1>{instance}", cseq=1), "1001", PHONE,
                       clock.wall())
    result = registrar.register(register(f"<sip:1001@10.0.0.77>{instance}", cseq=2),
                                "1001", PHONE, clock.wall())
    assert [(c.kind, c.binding.contact) for c in result.changes] == [
        (ChangeKind.REMOVED, "sip:1001@10.0.0.1"), (ChangeKind.ADDED, "sip:1001@10.0.0.77")]
    assert [b.contact for b in registrar.lookup("1001")] == ["sip:1001@10.0.0.77"]


def test_someone_elses_aor_is_403(registrar: Registrar, clock: ManualClock) -> None:
    result = registrar.register(register("<sip:1002@10.0.0.1>", user="1002"), "1001",
                                PHONE, clock.wall())
    assert result.response.status == 403 and result.changes == ()
    assert registrar.lookup("1002") == []


def test_aor_without_a_user_or_foreign_domain_is_404(clock: ManualClock) -> None:
    registrar = Registrar(RegistrarPolicy(domains=frozenset({"PBX.example"})))
    no_user = registrar.register(register("<sip:1001@10.0.0.1>", to="<sip:pbx.example>"),
                                 "1001", PHONE, clock.wall())
    assert no_user.response.status == 404
    foreign = registrar.register(register("<sip:1001@10.0.0.1>",
                                          to="<sip:1001@evil.example>"), "1001", PHONE,
                                 clock.wall())
    assert foreign.response.status == 404
    ours = registrar.register(register("<sip:1001@10.0.0.1>", to="<sip:1001@PBX.example>"),
                              "1001", PHONE, clock.wall())
    assert ours.response.status == 200


def test_too_many_contacts_is_403(registrar: Registrar, clock: ManualClock) -> None:
    registrar.register(register(*(f"<sip:1001@10.0.0.{i}>" for i in range(3)), cseq=1),
                       "1001", PHONE, clock.wall())
    result = registrar.register(register("<sip:1001@10.0.0.9>", cseq=2), "1001", PHONE,
                                clock.wall())
    assert result.response.status == 403 and result.changes == ()
    # refreshing the ones there are is still fine
    again = registrar.register(register("<sip:1001@10.0.0.0>", cseq=3), "1001", PHONE,
                               clock.wall())
    assert again.response.status == 200


@pytest.mark.parametrize("contact", [
    "<tel:+15551234>", "<sip:1001@10.0.0.1>;q=2", "<sip:1001@10.0.0.1>;q=high",
    "<sip:1001@>", "<sip:1001@10.0.0.1",
])
def test_bad_contacts_are_400(registrar: Registrar, clock: ManualClock, contact: str) -> None:
    result = registrar.register(register(contact), "1001", PHONE, clock.wall())
    assert result.response.status == 400 and result.changes == ()


def test_broken_to_header_still_gets_an_answer(registrar: Registrar,
                                               clock: ManualClock) -> None:
    result = registrar.register(register("<sip:1001@10.0.0.1>", to="<sip:1001@"), "1001",
                                PHONE, clock.wall())
    assert result.response.status == 400


@settings(max_examples=300, deadline=None)
@given(contacts=st.lists(st.text(alphabet="<>;=*,:@.\"sip10qexpirs +-", max_size=40),
                         max_size=3),
       expires=st.one_of(st.none(), st.text(alphabet="0123456789x-", max_size=6)))
def test_any_contact_text_gets_an_answer(contacts: list[str], expires: str | None) -> None:
    registrar = Registrar(tag_factory=lambda: "t")
    result = registrar.register(register(*contacts, expires=expires), "1001", PHONE, 0.0)
    assert result.response.status in {200, 400, 403, 423}
    assert (result.response.status == 200) or result.changes == ()
    assert len(registrar.lookup("1001")) == sum(
        1 if c.kind is ChangeKind.ADDED else -1 if c.kind is ChangeKind.REMOVED else 0
        for c in result.changes)


def test_only_register_is_handled(registrar: Registrar) -> None:
    request = register("<sip:1001@10.0.0.1>")
    request.method = "INVITE"
    with pytest.raises(ValueError):
        registrar.register(request, "1001", PHONE, 0.0)


def test_restore_after_a_restart(clock: ManualClock) -> None:
    before = Registrar()
    result = before.register(register("<sip:1001@10.0.0.1>;expires=600",
                                      "<sip:1001@10.0.0.2>;expires=60"), "1001", PHONE,
                             clock.wall())
    stored = [c.binding for c in result.changes]  # what storage persisted
    stored.append(dataclasses.replace(stored[0], contact="not a uri"))
    clock.advance(120)  # the process was down for two minutes
    after = Registrar()
    loaded = after.load(stored, clock.wall())
    assert [b.contact for b in loaded] == ["sip:1001@10.0.0.1"]
    assert [b.contact for b in after.lookup("1001")] == ["sip:1001@10.0.0.1"]
    assert after.next_expiry() == stored[0].expires_at
    # and it carries on as if it had never stopped
    refreshed = after.register(register("<sip:1001@10.0.0.1>", call_id=stored[0].call_id,
                                         cseq=stored[0].cseq + 1), "1001", PHONE,
                               clock.wall())
    assert [c.kind for c in refreshed.changes] == [ChangeKind.REFRESHED]



# ------------------------------------------------------------ real phones over loopback


class _LoopbackRegistrar:
    """Just enough of an edge to let real SIP phones register: UDP, auth, throttle."""

    def __init__(self, users: dict[str, str],
                 algorithms: tuple[str, ...] = ("SHA-256", "MD5")) -> None:
        import os
        import socket

        from softswitch.clock import LoopClock
        from softswitch.sip.auth import DigestAuthenticator
        from softswitch.sip.throttle import AuthFailureThrottle

        self.clock = LoopClock()
        self.auth = DigestAuthenticator("softswitch", os.urandom(32), users.get,
                                        algorithms=algorithms)
        self.throttle = AuthFailureThrottle()
        self.registrar = Registrar(RegistrarPolicy(min_expires=60))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port: int = self.sock.getsockname()[1]
        self.outcomes: list[str] = []
        self.changes: list[ChangeKind] = []

    def serve_once(self) -> None:
        from softswitch.errors import ProtocolError
        from softswitch.sip.parser import parse_message

        try:
            data, (host, port) = self.sock.recvfrom(65535)
        except TimeoutError:
            return
        try:
            request = parse_message(data)
        except ProtocolError:
            return
        if not isinstance(request, Request) or request.method != "REGISTER":
            return
        now = self.clock.now()
        if self.throttle.is_blocked(host, now):
            return  # silent drop over UDP
        result = self.auth.check_request(request, now)
        self.outcomes.append(result.outcome.value)
        if not result.ok:
            if result.is_failure:
                self.throttle.record_failure(host, now)
            response = self.auth.challenge_response(request, result, to_tag="t401")
        else:
            self.throttle.record_success(host, now)
            assert result.username is not None
            registered = self.registrar.register(request, result.username,
                                                 Source("UDP", host, port), self.clock.wall())
            self.changes += [c.kind for c in registered.changes]
            response = registered.response
        self.sock.sendto(bytes(response), (host, port))

    def close(self) -> None:
        self.sock.close()


SIPP_REGISTER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest, refresh, unregister">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1001@[remote_ip]>;tag=[call_number]
To: <sip:1001@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:1001@[local_ip]:[local_port]>
Expires: 300
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1001@[remote_ip]>;tag=[call_number]
To: <sip:1001@[remote_ip]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:1001@[local_ip]:[local_port]>
Expires: 300
[authentication username=1001 password=PASSWORD]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200">
    <action>
      <ereg regexp="expires=300" search_in="hdr" header="Contact:" check_it="true"
            assign_to="x"/>
    </action>
  </recv>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1001@[remote_ip]>;tag=[call_number]
To: <sip:1001@[remote_ip]>
Call-ID: [call_id]
CSeq: 3 REGISTER
Contact: <sip:1001@[local_ip]:[local_port]>
Expires: 30
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1001@[remote_ip]>;tag=[call_number]
To: <sip:1001@[remote_ip]>
Call-ID: [call_id]
CSeq: 4 REGISTER
Contact: <sip:1001@[local_ip]:[local_port]>
Expires: 30
[authentication username=1001 password=PASSWORD]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="423"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1001@[remote_ip]>;tag=[call_number]
To: <sip:1001@[remote_ip]>
Call-ID: [call_id]
CSeq: 5 REGISTER
Contact: *
Expires: 0
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1001@[remote_ip]>;tag=[call_number]
To: <sip:1001@[remote_ip]>
Call-ID: [call_id]
CSeq: 6 REGISTER
Contact: *
Expires: 0
[authentication username=1001 password=PASSWORD]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <Reference variables="x"/>
</scenario>
"""


@pytest.mark.integration
def test_sipp_registers_refreshes_and_unregisters(tmp_path: object) -> None:
    import pathlib
    import shutil
    import subprocess
    import time

    if shutil.which("sipp") is None:
        pytest.skip("sipp is not installed")
    password = "pw-for-sipp"
    # SIPp 3.6 answers only the first challenge and knows only MD5, so MD5 goes first
    server = _LoopbackRegistrar({"1001": password}, algorithms=("MD5", "SHA-256"))
    scenario = pathlib.Path(str(tmp_path)) / "register.xml"
    scenario.write_text(SIPP_REGISTER.replace("PASSWORD", password))
    proc = subprocess.Popen(
        ["sipp", "-sf", str(scenario), f"127.0.0.1:{server.port}", "-i", "127.0.0.1",
         "-p", "0", "-m", "1", "-nostdin", "-timeout", "20", "-bind_local",
         "-trace_err", "-error_file", str(pathlib.Path(str(tmp_path)) / "err.log")],
        cwd=str(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 25
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            server.serve_once()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        server.close()
    assert proc.returncode == 0, (server.outcomes, proc.stderr.read() if proc.stderr else "")
    assert server.outcomes.count("ok") == 3
    assert server.changes == [ChangeKind.ADDED, ChangeKind.REMOVED]
    assert server.registrar.lookup("1001") == []


@pytest.mark.integration
def test_pyvoip_registers_and_unregisters() -> None:
    """pyVoIP answers RFC 2069 style (no qop) and signs `sip:HOST;transport=UDP`."""
    import threading
    import time

    import pyVoIP
    from pyVoIP.VoIP import PhoneStatus, VoIPPhone

    pyVoIP.DEBUG = False
    server = _LoopbackRegistrar({"1001": "pw-for-pyvoip"})
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            server.serve_once()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    phone = VoIPPhone("127.0.0.1", server.port, "1001", "pw-for-pyvoip", myIP="127.0.0.1",
                      sipPort=0, rtpPortLow=31000, rtpPortHigh=31100)
    try:
        phone.start()
        deadline = time.monotonic() + 10
        while phone.get_status() != PhoneStatus.REGISTERED and time.monotonic() < deadline:
            time.sleep(0.05)
        assert phone.get_status() == PhoneStatus.REGISTERED
        [binding] = server.registrar.lookup("1001")
        assert binding.source_host == "127.0.0.1" and binding.user_agent.startswith("pyVoIP")
    finally:
        phone.stop()
        stop.set()
        thread.join(5)
        server.close()
    assert server.registrar.lookup("1001") == []
    assert "ok" in server.outcomes and "wrong" not in server.outcomes


@pytest.mark.integration
@pytest.mark.parametrize("throttled", [True, False])
def test_svcrack_makes_no_progress_against_the_throttle(tmp_path: object,
                                                       throttled: bool) -> None:
    """SIPVicious' password cracker, with the right password in its word list."""
    import pathlib
    import shutil
    import signal
    import subprocess
    import time

    from softswitch.sip.throttle import AuthFailureThrottle, ThrottlePolicy

    if shutil.which("svcrack") is None:
        pytest.skip("sipvicious is not installed")
    # svcrack answers only the first challenge and knows only MD5 (SHA-256 first stops it
    # outright); offer MD5 first so that the throttle is what stops it here
    server = _LoopbackRegistrar({"1001": "7319"}, algorithms=("MD5", "SHA-256"))
    if not throttled:
        server.throttle = AuthFailureThrottle(ThrottlePolicy(max_failures=10_000))
    words = pathlib.Path(str(tmp_path)) / "words.txt"
    words.write_text("\n".join(str(n) for n in range(7300, 7331)) + "\n")
    proc = subprocess.Popen(
        ["svcrack", "-u", "1001", "-d", str(words), "127.0.0.1", "-p", str(server.port),
         "--maximumtime=2"], cwd=str(tmp_path), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20

    def refused() -> int:
        state = server.throttle.state("127.0.0.1", server.clock.now())
        return state.refused if state else 0

    try:
        # every word after the fifth (the right one among them) arrives and is refused;
        # past that svcrack only waits for answers that will not come
        while proc.poll() is None and time.monotonic() < deadline and refused() < 31:
            server.serve_once()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        output = proc.communicate()[0].decode(errors="replace")
        server.close()
    found = "| 7319" in output
    state = server.throttle.state("127.0.0.1", server.clock.now())
    assert state is not None
    if throttled:
        assert not found, output
        assert server.outcomes.count("wrong") == 5 and "ok" not in server.outcomes
        assert state.refused > 0 and state.blocked_until is not None
    else:
        assert found, output
