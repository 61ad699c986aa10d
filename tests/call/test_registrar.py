"""The registrar (RFC 3261 §10.3) and the location service it keeps, on a manual clock."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

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
    registrar = Registrar(RegistrarPolicy(domains=frozenset({"pbx.example"})))
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

