from __future__ import annotations

import pytest

from softswitch.call.cdr import Disposition
from softswitch.call.model import (
    CALL_TRANSITIONS,
    CallEvent,
    CallState,
    best_failure,
    disposition_of_failure,
)


@pytest.mark.parametrize(("statuses", "best"), [
    ([486, 404], 486), ([404, 480], 404), ([603, 486], 603), ([487, 487], 480),
    ([408], 480), ([500, 503], 500), ([], 480), ([302], 302)])
def test_best_failure(statuses: list[int], best: int) -> None:
    assert best_failure(statuses) == best


def test_dispositions() -> None:
    assert disposition_of_failure(486) is Disposition.BUSY
    assert disposition_of_failure(408) is Disposition.NO_ANSWER
    assert disposition_of_failure(404) is Disposition.FAILED


def test_an_ended_call_never_comes_back() -> None:
    for (state, _event), transition in CALL_TRANSITIONS.items():
        if state is CallState.ENDED:
            assert transition.then is CallState.ENDED


def test_every_way_out_of_ringing_ends_the_call() -> None:
    for event in (CallEvent.ALL_CALLEES_FAILED, CallEvent.CALLER_CANCELLED,
                  CallEvent.RING_TIMEOUT, CallEvent.CALLER_LOST):
        for state in (CallState.ROUTING, CallState.ALERTING):
            assert CALL_TRANSITIONS[(state, event)].then is CallState.ENDED
