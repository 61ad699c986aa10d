"""Agent sessions on disk, so a restart of the switch keeps agents logged in and paused.

The ACD keeps live agent state in memory; this table is its write-behind copy: one row
per agent with their status, break reason, the phone they are at and since when, written
through the single writer whenever their status changes and read once at start. Rows
are `softswitch.acd.Agent.session()` dicts; storage does not import the ACD, which sits
beside it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiosqlite

from softswitch.storage.writer import Writer

#: a status row keeps its `since` while the status and reason stay the same
_UPSERT = (
    "INSERT INTO agent_sessions (agent_id, status, break_reason, extension, since, session) "
    "VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (agent_id) DO UPDATE SET "
    "since = CASE WHEN agent_sessions.status = excluded.status "
    "AND agent_sessions.break_reason = excluded.break_reason "
    "THEN agent_sessions.since ELSE excluded.since END, "
    "status = excluded.status, break_reason = excluded.break_reason, "
    "extension = excluded.extension, session = excluded.session")
_DELETE = "DELETE FROM agent_sessions WHERE agent_id = ?"
_SELECT = ("SELECT agent_id, status, break_reason, extension, since, session "
           "FROM agent_sessions ORDER BY agent_id")
STATUS_EVENTS = frozenset({"agent.status", "agent.restored"})


@dataclass(frozen=True, slots=True)
class StoredAgentSession:
    agent_id: str
    status: str
    break_reason: str
    #: the phone the agent is logged in at
    extension: str
    #: wall clock: when the current status (and reason) began
    since: float
    session: Mapping[str, Any]


def _finite(value: Any) -> Any:
    """JSON has no infinity: the ACD's "never" (-inf) is stored as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class AgentSessionRepository:
    def __init__(self, conn: aiosqlite.Connection, writer: Writer) -> None:
        self._conn = conn
        self._writer = writer

    def save_session(self, session: Mapping[str, Any], since: float) -> bool:
        """Insert or replace one agent's session (`Agent.session()`); never waits.
        `since` (wall clock) is kept from the stored row while the status is unchanged."""
        data = {key: _finite(value) for key, value in session.items()}
        return self._writer.submit(_UPSERT, (
            str(session["id"]), str(session.get("status", "logged_out")),
            str(session.get("break_reason", "")), str(session.get("extension", "")),
            float(since), json.dumps(data, sort_keys=True)))

    def save_snapshot(self, snapshot: Mapping[str, Any], since: float) -> None:
        """Every agent of an `Acd.snapshot()` (at shutdown, or periodically)."""
        for session in snapshot.get("agents", []):
            self.save_session(session, since)

    def save_changes(self, effects: Iterable[Any], sessions: Mapping[str, Any],
                     since: float) -> list[str]:
        """Save the agents whose status the ACD's `effects` changed; `sessions` maps agent
        ids to objects with `.session()` (the ACD's `agents`). The ids saved."""
        saved = []
        for effect in effects:
            if getattr(effect, "kind", None) not in STATUS_EVENTS:
                continue
            agent_id = effect.fields.get("agent")
            agent = sessions.get(agent_id)
            if agent is not None and agent_id not in saved:
                self.save_session(agent.session(), since)
                saved.append(agent_id)
        return saved

    def delete_session(self, agent_id: str) -> None:
        self._writer.submit(_DELETE, (agent_id,))

    async def flush(self) -> None:
        await self._writer.flush()

    async def load_sessions(self) -> list[StoredAgentSession]:
        """Every stored session by agent id; pending writes are flushed first."""
        await self._writer.flush()
        rows = await self._conn.execute_fetchall(_SELECT)
        out = []
        for agent_id, status, reason, extension, since, session in rows:
            try:
                data = json.loads(session)
            except ValueError:
                data = {}
            if not isinstance(data, dict):
                data = {}
            data.update(id=agent_id, status=status, break_reason=reason, extension=extension)
            out.append(StoredAgentSession(agent_id, status, reason, extension, since, data))
        return out

    async def load_snapshot(self) -> dict[str, Any]:
        """The stored sessions in the shape of `Acd.snapshot()`, for `Acd.restore()` or
        `softswitch.acd.config.restore_sessions()`; tiers come from the configuration."""
        sessions = await self.load_sessions()
        return {"agents": [dict(stored.session) for stored in sessions], "tiers": {}}


__all__ = ["STATUS_EVENTS", "AgentSessionRepository", "StoredAgentSession"]
