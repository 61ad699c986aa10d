"""The location service on its own: bindings by AoR, URI equivalence, expiry, restore."""

from __future__ import annotations

import dataclasses

from softswitch.call.location import Binding, Location
from softswitch.sip.uri import SipURI, parse_uri

NOW = 1_700_000_000.0


def binding(contact: str, expires_in: float = 60.0, aor: str = "1001", q: float | None = None,
            refreshed_at: float = NOW) -> Binding:
    return Binding(aor=aor, contact=contact, expires_at=NOW + expires_in, call_id="c",
                   cseq=1, registered_at=NOW, refreshed_at=refreshed_at,
                   source_transport="UDP", source_host="203.0.113.5", source_port=40000,
                   q=q)


def sip(text: str) -> SipURI:
    uri = parse_uri(text)
    assert isinstance(uri, SipURI)
    return uri


def test_put_find_remove() -> None:
    location = Location()
    b = binding("sip:1001@10.0.0.1")
    location.put(b)
    assert len(location) == 1 and location.aors() == ["1001"]
    assert location.find("1001", sip("sip:1001@10.0.0.1")) == b
    assert location.find("1001", sip("sip:1001@10.0.0.2")) is None
    assert location.find("1002", sip("sip:1001@10.0.0.1")) is None
    assert location.remove(b) and not location.remove(b)
    assert location.aors() == [] and location.next_expiry() is None


def test_an_equivalent_contact_replaces_and_moves_the_deadline() -> None:
    location = Location()
    location.put(binding("sip:1001@HOST.example;transport=tcp", expires_in=60))
    location.put(binding("sip:1001@host.example;transport=TCP", expires_in=600))
    assert len(location) == 1
    assert location.next_expiry() == NOW + 600
    assert location.expire(NOW + 61) == []


def test_lookup_orders_by_q_then_most_recent() -> None:
    location = Location()
    location.put(binding("sip:a@10.0.0.1", q=0.5))
    location.put(binding("sip:b@10.0.0.1", refreshed_at=NOW - 10))
    location.put(binding("sip:c@10.0.0.1", refreshed_at=NOW))
    location.put(binding("sip:d@10.0.0.1", q=0.9))
    assert [b.contact for b in location.lookup("1001")] == [
        "sip:c@10.0.0.1", "sip:b@10.0.0.1", "sip:d@10.0.0.1", "sip:a@10.0.0.1"]


def test_expire_drops_only_what_is_due() -> None:
    location = Location()
    location.put(binding("sip:a@10.0.0.1", expires_in=30))
    location.put(binding("sip:b@10.0.0.1", expires_in=90, aor="1002"))
    assert [b.contact for b in location.expire(NOW + 30)] == ["sip:a@10.0.0.1"]
    assert location.aors() == ["1002"]
    assert location.next_expiry() == NOW + 90


def test_load_skips_expired_and_unreadable_bindings() -> None:
    location = Location()
    good = binding("sip:a@10.0.0.1", expires_in=60)
    loaded = location.load([good, binding("sip:b@10.0.0.1", expires_in=-1),
                            dataclasses.replace(good, contact="tel:+15551234"),
                            dataclasses.replace(good, contact="<<junk")], NOW)
    assert loaded == [good]
    assert location.lookup("1001") == [good]


def test_remaining_rounds_to_whole_seconds_and_never_goes_negative() -> None:
    b = binding("sip:a@10.0.0.1", expires_in=60)
    assert b.remaining(NOW) == 60 and b.remaining(NOW + 0.4) == 60
    assert b.remaining(NOW + 59.4) == 1 and b.remaining(NOW + 59.9) == 0
    assert b.remaining(NOW + 120) == 0
