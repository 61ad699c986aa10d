"""Numbered schema migrations, applied in order, each in its own transaction.

The schema version lives in `PRAGMA user_version`, which SQLite changes inside the same
transaction as the tables, so a crash mid-migration leaves the previous version intact.
Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3

import aiosqlite

from softswitch.storage.errors import StorageError

Migration = tuple[int, str]

MIGRATIONS: tuple[Migration, ...] = (
    (1, """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            ts REAL NOT NULL,           -- wall clock, seconds since the epoch
            kind TEXT NOT NULL,
            call_id TEXT,
            queue TEXT,
            agent TEXT,
            data TEXT NOT NULL          -- JSON object
        );
        CREATE INDEX events_kind_ts ON events (kind, ts);
        CREATE INDEX events_call_id ON events (call_id);
        CREATE INDEX events_agent ON events (agent);
        CREATE INDEX events_queue ON events (queue);
    """),
    (2, """
        -- the columns are the fields of softswitch.call.location.Binding
        CREATE TABLE bindings (
            aor TEXT NOT NULL,
            contact TEXT NOT NULL,
            expires_at REAL NOT NULL,   -- wall clock
            call_id TEXT NOT NULL,
            cseq INTEGER NOT NULL,
            registered_at REAL NOT NULL,
            refreshed_at REAL NOT NULL,
            source_transport TEXT NOT NULL,
            source_host TEXT NOT NULL,
            source_port INTEGER NOT NULL,
            connection_id TEXT NOT NULL DEFAULT '',
            q REAL,                     -- NULL when the Contact had no q parameter
            user_agent TEXT NOT NULL DEFAULT '',
            instance TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (aor, contact)
        ) WITHOUT ROWID;
        CREATE INDEX bindings_expires_at ON bindings (expires_at);
    """),
    (3, """
        -- one row per call; the fields of softswitch.call.cdr.CallRecord
        CREATE TABLE cdrs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            call_id TEXT NOT NULL,      -- the caller's Call-ID
            caller TEXT NOT NULL,
            callee TEXT NOT NULL,
            started_at REAL NOT NULL,   -- wall clock
            answered_at REAL,
            ended_at REAL NOT NULL,
            ring_seconds REAL NOT NULL,
            talk_seconds REAL NOT NULL,
            disposition TEXT NOT NULL,  -- answered, busy, no-answer, cancelled, failed
            hangup_side TEXT,           -- caller, callee, switch
            sip_status INTEGER,         -- the final status the caller got
            legs TEXT NOT NULL          -- JSON list: role, peer, status, RTCP quality
        );
        CREATE INDEX cdrs_started_at ON cdrs (started_at);
        CREATE INDEX cdrs_call_id ON cdrs (call_id);
    """),
    (4, """
        -- one row per agent: their session, which survives a restart of the switch
        CREATE TABLE agent_sessions (
            agent_id TEXT PRIMARY KEY,
            status TEXT NOT NULL,       -- logged_out, available, on_break
            break_reason TEXT NOT NULL DEFAULT '',
            extension TEXT NOT NULL DEFAULT '',  -- the phone they are logged in at
            since REAL NOT NULL,        -- wall clock: when this status began
            session TEXT NOT NULL       -- JSON: softswitch.acd.Agent.session()
        ) WITHOUT ROWID;
    """),
    (5, """
        -- one row per voicemail message; the audio is a WAV under DATA_DIR/voicemail/MAILBOX/
        CREATE TABLE voicemail_messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            mailbox TEXT NOT NULL,      -- the extension it was left for
            caller TEXT NOT NULL,
            received_at REAL NOT NULL,  -- wall clock
            duration REAL NOT NULL,     -- seconds of audio
            path TEXT NOT NULL,         -- relative to DATA_DIR
            status TEXT NOT NULL DEFAULT 'new'  -- new, saved (heard and kept)
        );
        CREATE INDEX voicemail_by_mailbox ON voicemail_messages (mailbox, status, received_at);
    """),
    (6, """
        -- forwarding and do-not-disturb as last set from each phone (*72, *73, *78, *79)
        CREATE TABLE forwarding (
            extension TEXT PRIMARY KEY,
            forward_always TEXT NOT NULL DEFAULT '',
            forward_busy TEXT NOT NULL DEFAULT '',
            forward_no_answer TEXT NOT NULL DEFAULT '',
            dnd INTEGER NOT NULL DEFAULT 0,
            changed_at REAL NOT NULL    -- wall clock
        ) WITHOUT ROWID;
    """),
    (7, """
        -- one row per call recording; the audio is a WAV under DATA_DIR/recordings/
        CREATE TABLE recordings (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            call_id TEXT NOT NULL,      -- the caller's Call-ID
            queue TEXT NOT NULL,
            agent TEXT NOT NULL,
            path TEXT NOT NULL,         -- relative to DATA_DIR
            started_at REAL NOT NULL,   -- wall clock
            seconds REAL NOT NULL,      -- length of the file, paused parts included
            paused_seconds REAL NOT NULL DEFAULT 0
        );
        CREATE INDEX recordings_call_id ON recordings (call_id);
    """),
)

LATEST = MIGRATIONS[-1][0]


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection, migrations: tuple[Migration, ...] = MIGRATIONS,
                  target: int | None = None) -> list[int]:
    """Apply what is missing up to `target` (default: all); the versions applied.

    `conn` must be in autocommit mode (isolation_level=None) so the explicit
    transactions here are the only ones.
    """
    versions = [version for version, _ in migrations]
    if versions != sorted(set(versions)) or (versions and versions[0] < 1):
        raise StorageError(f"migration versions must be increasing from 1, got {versions}")
    known = versions[-1] if versions else 0
    current = await schema_version(conn)
    if current > known:
        raise StorageError(f"the database is at schema version {current}, newer than this "
                           f"softswitch knows ({known}); upgrade softswitch")
    applied = []
    for version, sql in migrations:
        if version <= current or (target is not None and version > target):
            continue
        script = f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                await conn.rollback()
            raise StorageError(f"migration {version} failed: {exc}") from exc
        applied.append(version)
    return applied
