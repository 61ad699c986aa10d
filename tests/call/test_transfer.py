from __future__ import annotations

import pytest

from softswitch.call.transfer import refer_target
from softswitch.sip.message import Headers, Request
from softswitch.sip.uri import parse_uri


def _refer(*refer_to: str) -> Request:
    headers = Headers([("Refer-To", value) for value in refer_to])
    return Request("REFER", parse_uri("sip:switch@127.0.0.1"), headers)


@pytest.mark.parametrize(("values", "target"), [
    (("<sip:1003@pbx.test>",), "1003"),
    (("sip:1003@pbx.test",), "1003"),
    (('"Carol" <sip:1003@pbx.test;user=phone>',), "1003"),
    (("<sip:1003@pbx.test?Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2>",), None),
    (("<tel:+4930123>",), None),
    (("<sip:pbx.test>",), None),
    ((), None),
    (("<sip:1003@pbx.test>", "<sip:1002@pbx.test>"), None),
    (("<<<garbage",), None),
])
def test_refer_target(values: tuple[str, ...], target: str | None) -> None:
    assert refer_target(_refer(*values)) == target
