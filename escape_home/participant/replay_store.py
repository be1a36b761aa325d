"""Movement replays in the local database, and the consent that governs them.

Consent is a setting, off until the person says yes (asked when they link to an
instructor, changeable in Settings). Without it nothing is recorded, and the log
carries no replays; saying no later also deletes the replays kept so far, so the
next upload replaces the sessions on the server without them.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from escape_home.participant import store

CONSENT = "share_movement"
"""Setting key: "1" when the person agreed to share movement replays."""


def consented(conn: sqlite3.Connection) -> bool:
    return store.get_setting(conn, CONSENT) == "1"


def set_consent(conn: sqlite3.Connection, yes: bool) -> None:
    store.set_setting(conn, CONSENT, "1" if yes else None)
    if not yes:
        conn.execute("DELETE FROM rep_replay")


def add(conn: sqlite3.Connection, set_id: int, replay: dict[str, Any]) -> None:
    """Keep a replay if it is the first of its kind for its exercise this session."""
    if not consented(conn):
        return  # consent was withdrawn while the set ran
    row = conn.execute(
        "SELECT session_id FROM exercise_set WHERE id = ?", (set_id,)
    ).fetchone()
    if row is None:
        return
    conn.execute(
        "INSERT OR IGNORE INTO rep_replay"
        " (session_id, set_id, exercise, kind, track, kept_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            row["session_id"],
            set_id,
            replay["exercise"],
            replay["kind"],
            json.dumps(replay, separators=(",", ":")),
            datetime.now(UTC).isoformat(),
        ),
    )


def for_session(conn: sqlite3.Connection, sid: str) -> list[dict[str, Any]]:
    """The session's replays for the log (none without consent)."""
    if not consented(conn):
        return []
    rows = conn.execute(
        "SELECT track FROM rep_replay WHERE session_id = ? ORDER BY id", (sid,)
    ).fetchall()
    return [json.loads(r["track"]) for r in rows]
