"""Reads and writes of the self-management tools (flare-up plan, pacing plans,
questions for class); write helpers run on the `db.Writer`. Rows come back in the
progress log's shapes (docs/progress-log.md)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from escape_home.participant.db import now_iso
from escape_home.self_management import PacingPlan

MAX_PACING_PLANS = 20
MAX_QUESTIONS = 100


def flare_plan(conn: sqlite3.Connection) -> dict[str, Any] | None:
    row = conn.execute("SELECT data, updated_at FROM flare_plan").fetchone()
    if row is None:
        return None
    plan: dict[str, Any] = json.loads(row["data"])
    return {"updated_at": row["updated_at"], **plan}


def save_flare_plan(conn: sqlite3.Connection, plan: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO flare_plan (id, data, updated_at) VALUES (1, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET data = excluded.data,"
        " updated_at = excluded.updated_at",
        (json.dumps(plan, ensure_ascii=False), now_iso()),
    )


def pacing_plans(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Newest first."""
    rows = conn.execute(
        "SELECT * FROM pacing_plan ORDER BY created_at DESC, rowid DESC"
    ).fetchall()
    return [
        {
            "id": r["id"],
            "created_at": r["created_at"],
            "activity": r["activity"],
            "usual_min": r["usual_min"],
            "start_min": r["start_min"],
            "step_min": r["step_min"],
            "goal_min": r["goal_min"],
            "weeks": json.loads(r["weeks"]),
        }
        for r in rows
    ]


def add_pacing_plan(conn: sqlite3.Connection, plan: PacingPlan) -> str:
    """Keep the plan; the oldest go once there are more than `MAX_PACING_PLANS`."""
    pid = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO pacing_plan (id, created_at, activity, usual_min, start_min,"
        " step_min, goal_min, weeks) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            pid,
            now_iso(),
            plan.activity,
            plan.usual_min,
            plan.start_min,
            plan.step_min,
            plan.goal_min,
            json.dumps(list(plan.weeks)),
        ),
    )
    _keep_newest(conn, "pacing_plan", "created_at", MAX_PACING_PLANS)
    return pid


def remove_pacing_plan(conn: sqlite3.Connection, pid: str) -> None:
    conn.execute("DELETE FROM pacing_plan WHERE id = ?", (pid,))


def questions(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Newest first."""
    return [
        {"id": r["id"], "asked_at": r["asked_at"], "text": r["text"]}
        for r in conn.execute(
            "SELECT * FROM class_question ORDER BY asked_at DESC, rowid DESC"
        )
    ]


def add_question(conn: sqlite3.Connection, text: str) -> str:
    qid = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO class_question (id, asked_at, text) VALUES (?, ?, ?)",
        (qid, now_iso(), text),
    )
    _keep_newest(conn, "class_question", "asked_at", MAX_QUESTIONS)
    return qid


def remove_question(conn: sqlite3.Connection, qid: str) -> None:
    conn.execute("DELETE FROM class_question WHERE id = ?", (qid,))


def _keep_newest(conn: sqlite3.Connection, table: str, stamp: str, n: int) -> None:
    # table and stamp are this module's constants, never user input.
    conn.execute(
        f"DELETE FROM {table} WHERE rowid NOT IN (SELECT rowid FROM {table}"
        f" ORDER BY {stamp} DESC, rowid DESC LIMIT ?)",
        (n,),
    )
