"""Reads and writes of the progress log.

Write helpers are functions of a connection, meant to run on the `db.Writer`
thread (``writer.call(lambda c: store.save_profile(c, ...))``). Read helpers take
the request's read connection.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from escape_home.events import Hold, Rep
from escape_home.participant import token_keyring
from escape_home.participant.db import now_iso

# ---------------------------------------------------------------- profile / settings


def get_profile(conn: sqlite3.Connection) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM profile WHERE id = 1"
    ).fetchone()
    return row


def save_profile(
    conn: sqlite3.Connection, nickname: str, joint: str, age_band: str, sex: str | None
) -> None:
    """Create or update the one profile, keeping its pseudonymous ID."""
    old = get_profile(conn)
    pid = old["participant_uuid"] if old else str(uuid.uuid4())
    conn.execute(
        "INSERT INTO profile (id, participant_uuid, nickname, joint, age_band, sex,"
        " created_at) VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " nickname = excluded.nickname, joint = excluded.joint,"
        " age_band = excluded.age_band, sex = excluded.sex",
        (pid, nickname, joint, age_band, sex, now_iso()),
    )


def get_setting(
    conn: sqlite3.Connection, key: str, default: str | None = None
) -> str | None:
    row = conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    if row and key == token_keyring.KEY:  # the keyring may hold the upload token
        return token_keyring.read(str(row[0]))
    return str(row[0]) if row else default


def set_setting(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if key == token_keyring.KEY:
        old = conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        if value is None and old is not None:
            token_keyring.forget(str(old[0]))
        elif value is not None:
            value = token_keyring.stored_value(conn, value)
    if value is None:
        conn.execute("DELETE FROM setting WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT INTO setting (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def clear_setting_if(conn: sqlite3.Connection, key: str, value: str) -> bool:
    """Delete a setting only if it still holds `value` (compare-and-clear).

    Returns:
        True when it was cleared; False when someone set it anew meanwhile.
    """
    cur = conn.execute("DELETE FROM setting WHERE key = ? AND value = ?", (key, value))
    return cur.rowcount > 0


# ---------------------------------------------------------------------- sessions


def mark_interrupted(conn: sqlite3.Connection) -> int:
    """At start-up: any session still 'in progress' was cut off; say so."""
    cur = conn.execute(
        "UPDATE session SET status = 'interrupted' WHERE status = 'in_progress'"
    )
    conn.execute(
        "UPDATE exercise_set SET outcome = 'interrupted' WHERE outcome IS NULL"
    )
    return cur.rowcount


def start_session(
    conn: sqlite3.Connection, number: int, answers: dict[str, bool]
) -> str:
    """Record a new session with its safety check; a 'yes' stops it at once."""
    sid = str(uuid.uuid4())
    any_yes = any(answers.values())
    conn.execute(
        "INSERT INTO session (id, number, started_at, ended_at, status,"
        " safety_answers, any_yes) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            sid,
            number,
            now_iso(),
            now_iso() if any_yes else None,
            "stopped_safety" if any_yes else "in_progress",
            json.dumps(answers),
            int(any_yes),
        ),
    )
    return sid


def get_session(conn: sqlite3.Connection, sid: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM session WHERE id = ?", (sid,)
    ).fetchone()
    return row


def update_session(conn: sqlite3.Connection, sid: str, **fields: Any) -> None:
    """Set some columns of a session (names come from code, never from input)."""
    allowed = {
        "step",
        "pain_before",
        "pain_after",
        "pain_next_day",
        "exertion",
        "status",
        "ended_at",
    }
    bad = set(fields) - allowed
    if bad:
        raise ValueError(f"cannot update session columns {sorted(bad)}")
    cols = ", ".join(f"{k} = ?" for k in fields)
    conn.execute(f"UPDATE session SET {cols} WHERE id = ?", (*fields.values(), sid))


_NEXT_DAY_AT = "pain_next_day_at:"


def record_next_day_pain(conn: sqlite3.Connection, sid: str, value: int) -> None:
    """Save the next-day pain of session `sid` and when it was given.

    The time goes into the progress log (``pain_next_day_at``) so an export dates
    the score when it was given, not when the session was. It is kept as a
    setting keyed by the session ID (no schema change for one time per session).
    """
    update_session(conn, sid, pain_next_day=value)
    set_setting(conn, _NEXT_DAY_AT + sid, now_iso())


def next_day_pain_at(conn: sqlite3.Connection, sid: str) -> str | None:
    """When the next-day pain of session `sid` was given (None: not recorded)."""
    return get_setting(conn, _NEXT_DAY_AT + sid)


def finish_session(
    conn: sqlite3.Connection, sid: str, status: str = "completed"
) -> None:
    conn.execute(
        "UPDATE session SET status = ?, ended_at = ? WHERE id = ?",
        (status, now_iso(), sid),
    )
    conn.execute(
        "UPDATE exercise_set SET outcome = 'stopped', ended_at = ?"
        " WHERE session_id = ? AND outcome IS NULL",
        (now_iso(), sid),
    )


def resume_session(conn: sqlite3.Connection, sid: str) -> None:
    conn.execute(
        "UPDATE session SET status = 'in_progress', ended_at = NULL WHERE id = ?"
        " AND status = 'interrupted'",
        (sid,),
    )


def sessions(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM session ORDER BY started_at, rowid").fetchall()


def completed_count(conn: sqlite3.Connection) -> int:
    return int(
        conn.execute(
            "SELECT COUNT(DISTINCT number) FROM session WHERE status = 'completed'"
        ).fetchone()[0]
    )


def next_session_number(conn: sqlite3.Connection) -> int:
    """The lowest session number not yet completed (12 once all are done)."""
    done = {
        r[0]
        for r in conn.execute("SELECT number FROM session WHERE status = 'completed'")
    }
    for n in range(1, 13):
        if n not in done:
            return n
    return 12


def interrupted_session(conn: sqlite3.Connection) -> sqlite3.Row | None:
    """The latest unfinished session: cut off by a crash, or left for the home page."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM session WHERE status IN ('interrupted', 'in_progress')"
        " AND ended_at IS NULL ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    return row


def needs_next_day_pain(
    conn: sqlite3.Connection, min_hours: float = 12
) -> sqlite3.Row | None:
    """The last completed session, if its next-day pain is still to be asked."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM session WHERE status = 'completed'"
        " ORDER BY ended_at DESC LIMIT 1"
    ).fetchone()
    if row is None or row["pain_next_day"] is not None or not row["ended_at"]:
        return None
    ended = datetime.fromisoformat(row["ended_at"])
    if datetime.now(UTC) - ended < timedelta(hours=min_hours):
        return None
    return row


# -------------------------------------------------------------------- sets / reps


def start_set(
    conn: sqlite3.Connection,
    sid: str,
    exercise: str,
    level: int,
    target_reps: int | None,
    target_s: float | None,
) -> int:
    cur = conn.execute(
        "INSERT INTO exercise_set (session_id, exercise, level, target_reps, target_s,"
        " started_at) VALUES (?, ?, ?, ?, ?, ?)",
        (sid, exercise, level, target_reps, target_s, now_iso()),
    )
    return int(cur.lastrowid or 0)


def end_set(
    conn: sqlite3.Connection,
    set_id: int,
    outcome: str,
    partial_reps: int | None = None,
    warnings: list[str] | None = None,
) -> None:
    """Close a set (once) with how it ended and the engine's summary notes."""
    conn.execute(
        "UPDATE exercise_set SET ended_at = ?, outcome = ?, partial_reps = ?,"
        " warnings = ? WHERE id = ? AND outcome IS NULL",
        (
            now_iso(),
            outcome,
            partial_reps,
            json.dumps([w[:200] for w in (warnings or [])][:20]),
            set_id,
        ),
    )


def add_rep(conn: sqlite3.Connection, set_id: int, rep: Rep) -> None:
    d = rep.to_dict()
    conn.execute(
        "INSERT INTO rep (set_id, idx, side, start_s, end_s, metrics, faults,"
        " logged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            set_id,
            d["index"],
            d["side"],
            d["start_s"],
            d["end_s"],
            json.dumps(d["metrics"]),
            json.dumps(d["faults"]),
            now_iso(),
        ),
    )


def add_hold(conn: sqlite3.Connection, set_id: int, hold: Hold) -> None:
    d = hold.to_dict()
    conn.execute(
        "INSERT INTO hold (set_id, side, start_s, end_s, faults, logged_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            set_id,
            d["side"],
            d["start_s"],
            d["end_s"],
            json.dumps(d["faults"]),
            now_iso(),
        ),
    )


def session_sets(conn: sqlite3.Connection, sid: str) -> list[dict[str, Any]]:
    """Sets of a session with their reps and holds, as plain dicts."""
    out = []
    for s in conn.execute(
        "SELECT * FROM exercise_set WHERE session_id = ? ORDER BY id", (sid,)
    ):
        reps = [
            {
                "index": r["idx"],
                "side": r["side"],
                "start_s": r["start_s"],
                "end_s": r["end_s"],
                "metrics": json.loads(r["metrics"]),
                "faults": json.loads(r["faults"]),
            }
            for r in conn.execute(
                "SELECT * FROM rep WHERE set_id = ? ORDER BY id", (s["id"],)
            )
        ]
        holds = [
            {
                "side": h["side"],
                "start_s": h["start_s"],
                "end_s": h["end_s"],
                "duration_s": round(h["end_s"] - h["start_s"], 3),
                "faults": json.loads(h["faults"]),
            }
            for h in conn.execute(
                "SELECT * FROM hold WHERE set_id = ? ORDER BY id", (s["id"],)
            )
        ]
        out.append({**dict(s), "reps": reps, "holds": holds})
    return out
