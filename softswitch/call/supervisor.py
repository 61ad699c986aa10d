"""Supervisors on agents' calls: listen, whisper and barge.

Who may supervise whom is decided before a call gets here (`center_route`, from the
configuration's queue supervisors); this module keeps the sessions of supervisors that
were let in and says, as data, what each mode means for the mix:

- listen: the supervisor hears caller and agent, nobody hears the supervisor;
- whisper: as listen, and the agent (only) hears the supervisor;
- barge: the supervisor talks in the call, heard by both.

A supervisor may change mode during the session with a key: 1 listen, 2 whisper, 3 barge.
Sans-IO: the edge carries out `MonitorMedia`; time comes in as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from softswitch.call.actions import LogEvent


class Mode(StrEnum):
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


@dataclass(frozen=True)
class MixRule:
    """What the supervisor's audio does: heard by the whole call (`talk`) or by the agent
    alone (`whisper`); the supervisor always hears the call."""

    talk: bool
    whisper: bool


#: mode -> its mix; the only place the modes are told apart
MIX: dict[Mode, MixRule] = {
    Mode.LISTEN: MixRule(talk=False, whisper=False),
    Mode.WHISPER: MixRule(talk=False, whisper=True),
    Mode.BARGE: MixRule(talk=True, whisper=False),
}

#: keys a supervisor presses during the session to change mode
MODE_KEYS: dict[str, Mode] = {"1": Mode.LISTEN, "2": Mode.WHISPER, "3": Mode.BARGE}


@dataclass(frozen=True)
class MonitorMedia:
    """Put the supervisor's leg into the mix of the agent's call (the group the agent's
    leg is in) with the rule's talk and whisper."""

    supervisor_leg: int
    agent_leg: int
    talk: bool
    whisper: bool


@dataclass
class Session:
    supervisor_call: str
    supervisor_leg: int
    supervisor: str
    target_call: str
    agent: str
    agent_leg: int
    mode: Mode
    started: float


class Supervision:
    """The supervisors on calls now, by their own call and by the call they watch."""

    def __init__(self) -> None:
        self._by_supervisor: dict[str, Session] = {}

    def sessions(self) -> list[Session]:
        return list(self._by_supervisor.values())

    def start(self, supervisor_call: str, supervisor_leg: int, supervisor: str,
              target_call: str, agent: str, agent_leg: int, mode: Mode | str,
              now: float) -> list[MonitorMedia | LogEvent]:
        mode = Mode(mode)
        session = Session(supervisor_call, supervisor_leg, supervisor, target_call, agent,
                          agent_leg, mode, now)
        self._by_supervisor[supervisor_call] = session
        return [_media(session), LogEvent("supervisor.started", {
            "supervisor": supervisor, "agent": agent, "mode": mode.value,
            "target_call": target_call}, call_id=supervisor_call)]

    def key(self, supervisor_call: str, digit: str) -> list[MonitorMedia | LogEvent]:
        """A key from the supervisor: a new mode, or nothing."""
        session = self._by_supervisor.get(supervisor_call)
        mode = MODE_KEYS.get(digit)
        if session is None or mode is None or mode is session.mode:
            return []
        session.mode = mode
        return [_media(session), LogEvent("supervisor.mode", {
            "supervisor": session.supervisor, "agent": session.agent, "mode": mode.value,
            "target_call": session.target_call}, call_id=supervisor_call)]

    def watching(self, target_call: str) -> list[str]:
        """The supervisors' calls on `target_call` (to end when it ends)."""
        return [s.supervisor_call for s in self._by_supervisor.values()
                if s.target_call == target_call]

    def ended(self, supervisor_call: str, now: float) -> list[LogEvent]:
        session = self._by_supervisor.pop(supervisor_call, None)
        if session is None:
            return []
        return [LogEvent("supervisor.ended", {
            "supervisor": session.supervisor, "agent": session.agent,
            "mode": session.mode.value, "target_call": session.target_call,
            "seconds": round(max(0.0, now - session.started), 3)},
            call_id=supervisor_call)]


def _media(session: Session) -> MonitorMedia:
    rule = MIX[session.mode]
    return MonitorMedia(session.supervisor_leg, session.agent_leg, rule.talk, rule.whisper)


__all__ = ["MIX", "MODE_KEYS", "MixRule", "Mode", "MonitorMedia", "Session", "Supervision"]
