"""Request framing: any bytes give a Request or a ControlError, never anything else."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.control.commands import check
from softswitch.control.protocol import (
    MAX_REQUEST_BYTES,
    ControlError,
    RequestError,
    parse_request,
)


def test_a_request_splits_into_id_cmd_and_arguments() -> None:
    request = parse_request(b'{"id": "x", "cmd": "agent.login", "agent": "1001"}')
    assert (request.id, request.cmd, request.args) == ("x", "agent.login", {"agent": "1001"})


def test_errors_keep_the_id_when_it_could_be_read() -> None:
    try:
        parse_request(b'{"id": 3, "cmd": ""}')
    except RequestError as error:
        assert (error.request_id, error.code) == (3, "bad_request")
    else:
        raise AssertionError("accepted an empty command")


def test_oversized_lines_are_refused() -> None:
    line = json.dumps({"cmd": "ping", "pad": "x" * MAX_REQUEST_BYTES}).encode()
    try:
        parse_request(line)
    except ControlError as error:
        assert error.code == "too_large"
    else:
        raise AssertionError("accepted an oversized request")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200),
                 st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                              lambda inner: st.lists(inner, max_size=4)
                              | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                              max_leaves=12).map(lambda v: json.dumps(v).encode())))
def test_any_input_parses_or_is_a_control_error(line: bytes) -> None:
    try:
        request = parse_request(line)
        check(request.cmd, request.args)
    except ControlError as error:
        assert error.code and error.message


def test_argument_checks() -> None:
    for cmd, args, fragment in (
            ("agent.pause", {"agent": "1", "reason": 5}, "'reason' must be a string"),
            ("agent.login", {"agent": " "}, "must not be empty"),
            ("queue.status", {"service_level_seconds": True}, "must be an integer"),
            ("subscribe", {"kinds": ["a", 1]}, "a list of strings"),
            ("ping", {"x": 1}, "takes none")):
        try:
            check(cmd, args)
        except ControlError as error:
            assert error.code == "bad_arguments" and fragment in error.message, error.message
        else:
            raise AssertionError(f"{cmd} {args} accepted")
