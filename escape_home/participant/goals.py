"""Goals: session 6 asks people to write a goal down and tick it off when done.

A goal is a short text the person writes (``/goals``); it can be ticked off and
removed. Goals are kept in the progress log (minor version 2, ``goals``: see
docs/progress-log.md), shown on Home and at the last session ("Look back at your
goal"). Write helpers run on the `db.Writer`; rows come back in the log's shape.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from escape_home.participant.db import now_iso

#: The longest goal, in characters (the log's schema says the same).
GOAL_MAX = 300
#: Goals kept; the oldest go beyond this (the log's schema allows as many).
MAX_GOALS = 20


class GoalError(ValueError):
    """A goal that cannot be kept; the message says why, in plain words."""


def clean_goal(raw: str) -> str:
    """The goal as kept: spaces tidied; a plain error if empty or too long."""
    text = " ".join(raw.split())
    if not text:
        raise GoalError("Write your goal in the box first.")
    if len(text) > GOAL_MAX:
        raise GoalError(
            f"Your goal is {len(text)} letters long. Please keep it to {GOAL_MAX}."
        )
    return text


def goals(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every goal, the oldest first (the order they were set)."""
    return [
        {
            "id": r["id"],
            "set_at": r["set_at"],
            "text": r["text"],
            "done_at": r["done_at"],
        }
        for r in conn.execute("SELECT * FROM goal ORDER BY set_at, rowid")
    ]


def add_goal(conn: sqlite3.Connection, text: str) -> str:
    gid = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO goal (id, set_at, text, done_at) VALUES (?, ?, ?, NULL)",
        (gid, now_iso(), text),
    )
    conn.execute(
        "DELETE FROM goal WHERE rowid NOT IN (SELECT rowid FROM goal"
        " ORDER BY set_at DESC, rowid DESC LIMIT ?)",
        (MAX_GOALS,),
    )
    return gid


def mark_done(conn: sqlite3.Connection, gid: str, done: bool) -> bool:
    """Tick a goal off (or back on); False when there is no such goal."""
    cur = conn.execute(
        "UPDATE goal SET done_at = ? WHERE id = ?", (now_iso() if done else None, gid)
    )
    return cur.rowcount > 0


def remove_goal(conn: sqlite3.Connection, gid: str) -> None:
    conn.execute("DELETE FROM goal WHERE id = ?", (gid,))
