"""`softswitch calls` while the call layer is not connected to the control socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.control.harness import LoopSwitch, invoke


@pytest.fixture(scope="module")
def running() -> Iterator[LoopSwitch]:
    switch = LoopSwitch()
    yield switch
    switch.stop()


class FakeCalls:
    """A stand-in for the call layer's CallControl: records what it was asked."""

    def __init__(self) -> None:
        self.hung_up: list[str] = []

    def list_calls(self) -> list[dict[str, Any]]:
        return [{"call_id": "c1", "from": "1001", "to": "1002", "state": "talking"}]

    def hangup(self, call_id: str) -> bool:
        self.hung_up.append(call_id)
        return call_id == "c1"

    def originate(self, from_extension: str, to: str) -> str:
        if not to.isdigit():
            raise ValueError(f"cannot dial {to!r}")
        return f"orig-{from_extension}-{to}"


def test_calls_unavailable_until_connected_then_delegated(running: LoopSwitch) -> None:
    if getattr(running.switch, "call_control", None) is None:
        result = invoke(running, "calls")
        assert result.exit_code == 1
        assert result.output.startswith("error (unavailable): calls are not connected")
    calls = FakeCalls()
    running.switch.call_control = calls  # type: ignore[attr-defined]
    result = invoke(running, "calls")
    assert result.exit_code == 0, result.output
    assert "c1" in result.output and "talking" in result.output
    assert invoke(running, "calls", "hangup", "c1").output == "hung up c1\n"
    result = invoke(running, "calls", "hangup", "c9")
    assert (result.exit_code, result.output) == (1, "error (not_found): no call 'c9'\n")
    assert calls.hung_up == ["c1", "c9"]
    assert invoke(running, "calls", "originate", "1001", "1002").output == \
        "calling: orig-1001-1002\n"
    result = invoke(running, "calls", "originate", "1001", "abc")
    assert (result.exit_code, result.output) == (1, "error (refused): cannot dial 'abc'\n")
