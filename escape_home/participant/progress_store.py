"""Reads and writes of standardised-test results, exercise levels and the level
suggestions made after each session (write helpers run on the `db.Writer`)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from escape_home.participant.db import now_iso


def add_test(
    conn: sqlite3.Connection,
    kind: str,
    result: float,
    unit: str,
    norm: dict[str, Any] | None,
    sid: str | None,
) -> str:
    tid = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO test_result (id, session_id, kind, taken_at, result, unit, norm)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (tid, sid, kind, now_iso(), result, unit, json.dumps(norm)),
    )
    return tid


def tests(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM test_result ORDER BY taken_at").fetchall()


def levels(conn: sqlite3.Connection) -> dict[str, int]:
    return {r["exercise"]: int(r["level"]) for r in conn.execute("SELECT * FROM level")}


def set_level(conn: sqlite3.Connection, exercise: str, level: int) -> None:
    conn.execute(
        "INSERT INTO level (exercise, level, changed_at) VALUES (?, ?, ?)"
        " ON CONFLICT (exercise) DO UPDATE SET level = excluded.level,"
        " changed_at = excluded.changed_at",
        (exercise, level, now_iso()),
    )


def save_suggestions(
    conn: sqlite3.Connection, sid: str, suggestions: dict[str, tuple[str, str]]
) -> None:
    for exercise, (suggestion, reason) in suggestions.items():
        conn.execute(
            "INSERT OR REPLACE INTO progression (session_id, exercise, suggestion,"
            " reason) VALUES (?, ?, ?, ?)",
            (sid, exercise, suggestion, reason),
        )


def suggestions(conn: sqlite3.Connection, sid: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM progression WHERE session_id = ? ORDER BY rowid", (sid,)
    ).fetchall()


def choose_progression(
    conn: sqlite3.Connection, sid: str, exercise: str, chosen: str, new_level: int
) -> None:
    conn.execute(
        "UPDATE progression SET chosen = ? WHERE session_id = ? AND exercise = ?",
        (chosen, sid, exercise),
    )
    set_level(conn, exercise, new_level)
