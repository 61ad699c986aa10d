"""Dialogs (RFC 3261 §12): creation on both sides, routing, CSeq rules, the table."""

from __future__ import annotations

import pytest

from softswitch.errors import ProtocolError
from softswitch.sip.dialog import (
    Dialog,
    DialogError,
    DialogId,
    DialogState,
    DialogTable,
    new_tag,
)
from softswitch.sip.headers import parse_name_addr
from softswitch.sip.message import Request, Response, make_response
from softswitch.sip.parser import parse_message

VIA = "SIP/2.0/UDP 127.0.0.1:5060"


def invite(*, record_route: tuple[str, ...] = (), contact: str | None = "<sip:alice@10.0.0.1:5062>",
           cseq: int = 10, uri: str = "sip:bob@127.0.0.1") -> Request:
    lines = [
        f"INVITE {uri} SIP/2.0",
        "Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKuac",
        *(f"Record-Route: {rr}" for rr in record_route),
        "From: \"Alice\" <sip:alice@example.com>;tag=alice-tag",
        "To: <sip:bob@example.com>",
        "Call-ID: dlg-1",
        f"CSeq: {cseq} INVITE",
    ]
    if contact:
        lines.append(f"Contact: {contact}")
    text = "\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n"
    message = parse_message(text.encode())
    assert isinstance(message, Request)
    return message


def reply(request: Request, status: int, *, to_tag: str | None = "bob-tag",
          contact: str | None = "<sip:bob@10.0.0.2:5064>",
          record_route: tuple[str, ...] | None = None) -> Response:
    response = make_response(request, status, to_tag=to_tag)
    if record_route is not None:
        response.headers.remove("record-route")
        for rr in record_route:
            response.headers.add("Record-Route", rr)
    if contact:
        response.headers.add("Contact", contact)
    parsed = parse_message(bytes(response))
    assert isinstance(parsed, Response)
    return parsed


def in_dialog(method: str, cseq: int, *, to_tag: str = "bob-tag",
              contact: str | None = None) -> Request:
    lines = [
        f"{method} sip:bob@10.0.0.2:5064 SIP/2.0",
        "Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK" + method + str(cseq),
        "From: <sip:alice@example.com>;tag=alice-tag",
        f"To: <sip:bob@example.com>;tag={to_tag}",
        "Call-ID: dlg-1",
        f"CSeq: {cseq} {method}",
    ]
    if contact:
        lines.append(f"Contact: {contact}")
    message = parse_message(("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode())
    assert isinstance(message, Request)
    return message


# -- UAS ---------------------------------------------------------------------------------

def test_uas_dialog_from_invite_and_our_2xx() -> None:
    request = invite(record_route=("<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"))
    dialog = Dialog.as_uas(request, reply(request, 200))
    assert dialog.id == DialogId("dlg-1", "bob-tag", "alice-tag")
    assert dialog.state is DialogState.CONFIRMED
    assert str(dialog.remote_target) == "sip:alice@10.0.0.1:5062"
    # the UAS keeps Record-Route in order: the first proxy toward the caller first
    assert [str(r.uri) for r in dialog.route_set] == ["sip:p1.example.com;lr",
                                                      "sip:p2.example.com;lr"]
    assert dialog.remote_seq == 10 and dialog.local_seq is None
    assert dialog.local_uri.tag == "bob-tag" and dialog.remote_uri.tag == "alice-tag"


def test_uas_early_dialog_confirms_or_ends_with_our_final_answer() -> None:
    request = invite()
    dialog = Dialog.as_uas(request, reply(request, 180))
    assert dialog.state is DialogState.EARLY
    dialog.on_final_response_sent(reply(request, 200))
    assert dialog.state is DialogState.CONFIRMED
    other = Dialog.as_uas(request, reply(request, 183))
    other.on_final_response_sent(reply(request, 486))
    assert other.state is DialogState.TERMINATED


def test_uas_refuses_a_response_without_tag_and_a_request_without_contact() -> None:
    request = invite()
    with pytest.raises(DialogError):
        Dialog.as_uas(request, reply(request, 200, to_tag=None))
    with pytest.raises(DialogError):
        Dialog.as_uas(request, reply(request, 100))
    no_contact = invite(contact=None)
    with pytest.raises(ProtocolError) as caught:
        Dialog.as_uas(no_contact, reply(no_contact, 200))
    assert caught.value.status == 400


def test_lower_cseq_in_dialog_gets_500_and_equal_or_higher_is_accepted() -> None:
    request = invite(cseq=10)
    dialog = Dialog.as_uas(request, reply(request, 200))
    dialog.on_request(in_dialog("ACK", 10))  # the ACK carries the INVITE's number
    dialog.on_request(in_dialog("INFO", 11))
    assert dialog.remote_seq == 11
    with pytest.raises(ProtocolError) as caught:
        dialog.on_request(in_dialog("INFO", 9))
    assert caught.value.status == 500
    assert dialog.remote_seq == 11
    dialog.on_request(in_dialog("CANCEL", 3))  # CANCEL is not checked
    dialog.on_request(in_dialog("BYE", 12))
    assert dialog.state is DialogState.TERMINATED


def test_target_refresh_replaces_the_remote_target() -> None:
    request = invite()
    dialog = Dialog.as_uas(request, reply(request, 200))
    dialog.on_request(in_dialog("INFO", 11, contact="<sip:alice@10.9.9.9>"))
    assert str(dialog.remote_target) == "sip:alice@10.0.0.1:5062"  # INFO refreshes nothing
    dialog.on_request(in_dialog("INVITE", 12, contact="<sip:alice@10.9.9.9>"))
    assert str(dialog.remote_target) == "sip:alice@10.9.9.9"


def test_uas_bye_goes_to_the_remote_target_through_loose_routes() -> None:
    request = invite(record_route=("<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"))
    dialog = Dialog.as_uas(request, reply(request, 200))
    bye = dialog.create_request("BYE", via=VIA)
    assert bye.method == "BYE"
    assert str(bye.uri) == "sip:alice@10.0.0.1:5062"
    assert bye.headers.get_all("route") == ["<sip:p1.example.com;lr>",
                                            "<sip:p2.example.com;lr>"]
    assert bye.to.tag == "alice-tag" and bye.from_.tag == "bob-tag"
    assert bye.cseq.seq == 1 and bye.call_id == "dlg-1"
    assert bye.top_via.branch is not None and bye.top_via.branch.startswith("z9hG4bK")
    assert str(dialog.next_hop()) == "sip:p1.example.com;lr"
    # serializes and parses back: a real message
    assert isinstance(parse_message(bytes(bye)), Request)


# -- UAC ---------------------------------------------------------------------------------

def test_uac_dialog_reverses_record_route_and_takes_the_response_contact() -> None:
    request = invite()
    response = reply(request, 200, record_route=("<sip:p2.example.com;lr>",
                                                 "<sip:p1.example.com;lr>"))
    dialog = Dialog.as_uac(request, response)
    assert dialog.id == DialogId("dlg-1", "alice-tag", "bob-tag")
    assert [str(r.uri) for r in dialog.route_set] == ["sip:p1.example.com;lr",
                                                      "sip:p2.example.com;lr"]
    assert str(dialog.remote_target) == "sip:bob@10.0.0.2:5064"
    assert dialog.local_seq == 10 and dialog.remote_seq is None


def test_uac_ack_for_2xx_reuses_the_invite_cseq_and_bye_increments() -> None:
    request = invite(cseq=10)
    dialog = Dialog.as_uac(request, reply(request, 200))
    ack = dialog.create_request("ACK", via=VIA)
    assert ack.cseq.seq == 10 and ack.cseq.method == "ACK"
    assert dialog.local_seq == 10
    bye = dialog.create_request("BYE", via=VIA)
    assert bye.cseq.seq == 11
    assert ack.top_via.branch != bye.top_via.branch
    reinvite = dialog.create_request("INVITE", via=VIA)
    assert reinvite.cseq.seq == 12
    assert dialog.create_request("ACK", via=VIA).cseq.seq == 12


def test_uac_early_dialog_from_1xx_with_tag_confirms_on_2xx_with_new_routes() -> None:
    request = invite()
    early = Dialog.as_uac(request, reply(request, 180, contact=None,
                                         record_route=("<sip:old.example.com;lr>",)))
    assert early.state is DialogState.EARLY
    assert str(early.remote_target) == "sip:bob@127.0.0.1"  # no Contact yet
    early.on_response(reply(request, 200, record_route=("<sip:new.example.com;lr>",)))
    assert early.state is DialogState.CONFIRMED
    assert [str(r.uri) for r in early.route_set] == ["sip:new.example.com;lr"]
    assert str(early.remote_target) == "sip:bob@10.0.0.2:5064"


def test_uac_early_dialog_ends_on_failure_but_a_confirmed_one_survives_a_failed_reinvite(
) -> None:
    request = invite()
    early = Dialog.as_uac(request, reply(request, 183))
    early.on_response(reply(request, 486))
    assert early.state is DialogState.TERMINATED
    confirmed = Dialog.as_uac(request, reply(request, 200))
    reinvite = confirmed.create_request("INVITE", via=VIA)
    confirmed.on_response(reply(reinvite, 491))
    assert confirmed.state is DialogState.CONFIRMED


def test_uac_needs_a_tagged_response_and_a_contact_on_2xx() -> None:
    request = invite()
    with pytest.raises(DialogError):
        Dialog.as_uac(request, reply(request, 180, to_tag=None))
    with pytest.raises(ProtocolError):
        Dialog.as_uac(request, reply(request, 200, contact=None))


def test_strict_first_route_takes_the_request_uri_and_the_target_goes_last() -> None:
    request = invite()
    response = reply(request, 200, record_route=("<sip:strict.example.com;method=INVITE>",
                                                 "<sip:edge.example.com;lr>"))
    dialog = Dialog.as_uac(request, response)
    assert [str(r.uri) for r in dialog.route_set] == ["sip:edge.example.com;lr",
                                                      "sip:strict.example.com;method=INVITE"]
    bye = dialog.create_request("BYE", via=VIA)
    assert str(bye.uri) == "sip:bob@10.0.0.2:5064"  # first hop is loose
    strict_first = Dialog.as_uac(request, reply(request, 200, record_route=(
        "<sip:edge.example.com;lr>", "<sip:strict.example.com;method=INVITE>")))
    bye = strict_first.create_request("BYE", via=VIA)
    assert str(bye.uri) == "sip:strict.example.com"  # method parameter stripped
    assert bye.headers.get_all("route") == ["<sip:edge.example.com;lr>",
                                            "<sip:bob@10.0.0.2:5064>"]


def test_create_request_carries_contact_on_target_refresh_and_body() -> None:
    request = invite()
    contact = parse_name_addr("<sip:switch@127.0.0.1:5060>")
    dialog = Dialog.as_uac(request, reply(request, 200), local_contact=contact)
    notify = dialog.create_request("NOTIFY", via=VIA, headers=[("Event", "refer")],
                                   body=b"SIP/2.0 200 OK", content_type="message/sipfrag")
    assert notify.headers.get("contact") == "<sip:switch@127.0.0.1:5060>"
    assert notify.headers.get("event") == "refer"
    assert notify.content_type == "message/sipfrag"
    assert notify.body == b"SIP/2.0 200 OK"
    bye = dialog.create_request("BYE", via=VIA)
    assert "contact" not in bye.headers
    kept = dialog.create_request("INFO", via=VIA + ";branch=z9hG4bKmine")
    assert kept.top_via.branch == "z9hG4bKmine"


def test_create_request_refuses_what_a_dialog_cannot_send() -> None:
    request = invite()
    dialog = Dialog.as_uas(request, reply(request, 200))
    with pytest.raises(DialogError):
        dialog.create_request("CANCEL", via=VIA)
    with pytest.raises(DialogError):
        dialog.create_request("ACK", via=VIA)  # the UAS sent no INVITE
    dialog.create_request("INFO", via=VIA, cseq=5)
    with pytest.raises(DialogError):
        dialog.create_request("INFO", via=VIA, cseq=5)
    with pytest.raises(DialogError):
        dialog.create_request("INFO", via=VIA, cseq=2**31)
    dialog.terminate()
    with pytest.raises(DialogError):
        dialog.create_request("BYE", via=VIA)


# -- the table ---------------------------------------------------------------------------

def test_table_finds_dialogs_for_incoming_requests_and_responses() -> None:
    table = DialogTable()
    request = invite()
    uas = Dialog.as_uas(request, reply(request, 200))
    table.add(uas)
    assert table.for_request(in_dialog("BYE", 11)) is uas
    assert table.for_request(in_dialog("BYE", 11, to_tag="unknown")) is None
    assert table.for_request(invite()) is None  # no To tag: not in a dialog
    with pytest.raises(DialogError):
        table.add(Dialog.as_uas(request, reply(request, 200)))

    uac = Dialog.as_uac(request, reply(request, 200))
    table.add(uac)
    assert table.for_response(reply(request, 200)) is uac
    assert table.for_response(reply(request, 200, to_tag="fork-2")) is None
    assert len(table) == 2 and set(table) == {uas, uac}


def test_forked_early_dialogs_coexist_and_terminated_ones_are_removed() -> None:
    table = DialogTable()
    request = invite()
    first = Dialog.as_uac(request, reply(request, 180, to_tag="fork-1"))
    second = Dialog.as_uac(request, reply(request, 180, to_tag="fork-2"))
    table.add(first)
    table.add(second)
    assert len(table.of_call("dlg-1")) == 2
    first.on_response(reply(request, 200, to_tag="fork-1"))
    second.terminate()
    assert table.remove_terminated() == [second]
    assert list(table) == [first]
    assert table.remove(first.id) is first and len(table) == 0


def test_new_tags_are_random() -> None:
    assert len({new_tag() for _ in range(50)}) == 50
