"""What each extension's lines are doing, for busy-lamp fields (RFC 4235 dialog states).

Fed the B2BUA's call events (the same LogEvents the event log stores), so presence needs
no hook inside the call core: `call.offered` names both parties, later events name only
the call, and a call's end is reported once as terminated and then forgotten. A pickup
(`call.picked_up`) moves the call from the ringing extension's line to the picker's.
"""

from __future__ import annotations

from dataclasses import dataclass

#: call event -> the dialog state both parties' lines move to (RFC 4235 §3.7.1)
STATE_OF_EVENT: dict[str, str] = {
    "call.offered": "trying",
    "call.ringing": "early",
    "call.answered": "confirmed",
    "call.ended": "terminated",
}


@dataclass(frozen=True)
class LineDialog:
    """One call as one extension sees it."""

    call_id: str
    direction: str  # "initiator" (it called) or "recipient" (it is called)
    state: str
    peer: str


@dataclass
class _Call:
    caller: str
    callee: str
    state: str


class LineStates:
    """Live calls by call-id; pure bookkeeping, no I/O, no clock."""

    def __init__(self) -> None:
        self._calls: dict[str, _Call] = {}
        self._ended: dict[str, _Call] = {}
        #: calls picked up with the last event: the line of the extension that rang
        self._picked: dict[str, _Call] = {}

    def on_call_event(self, kind: str, call_id: str | None,
                      fields: dict[str, object]) -> set[str]:
        """The extensions whose lines changed (to notify their watchers)."""
        self._picked.clear()
        if kind == "call.picked_up" and call_id is not None:
            self._ended.clear()
            return self._picked_up(call_id, fields.get("by"))
        state = STATE_OF_EVENT.get(kind)
        if state is None or call_id is None:
            return set()
        self._ended.clear()
        if kind == "call.offered":
            caller, callee = fields.get("caller"), fields.get("callee")
            if not isinstance(caller, str) or not isinstance(callee, str):
                return set()
            self._calls[call_id] = _Call(caller, callee, state)
            return {caller, callee}
        call = self._calls.get(call_id)
        if call is None or call.state == state:
            return set()
        call.state = state
        if state == "terminated":
            self._ended[call_id] = self._calls.pop(call_id)
        return {call.caller, call.callee}

    def _picked_up(self, call_id: str, picker: object) -> set[str]:
        """The ringing callee's line ends; the picker's takes the call where it was."""
        call = self._calls.get(call_id)
        if call is None or not isinstance(picker, str) or picker == call.callee:
            return set()
        was = call.callee
        self._picked[call_id] = _Call(call.caller, was, "terminated")
        call.callee = picker
        return {call.caller, was, picker}

    def dialogs(self, extension: str) -> list[LineDialog]:
        """The extension's calls, including those that ended with the last event."""
        out = []
        for call_id, call in (*self._calls.items(), *self._ended.items()):
            if call.caller == extension:
                out.append(LineDialog(call_id, "initiator", call.state, call.callee))
            elif call.callee == extension:
                out.append(LineDialog(call_id, "recipient", call.state, call.caller))
        for call_id, call in self._picked.items():
            if call.callee == extension:
                out.append(LineDialog(call_id, "recipient", call.state, call.caller))
        return out

    def __len__(self) -> int:
        return len(self._calls)
