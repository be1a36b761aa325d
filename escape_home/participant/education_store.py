"""Reads and writes of the education records (issue 14 items 4 and 5): the beliefs
and confidence checks, and which lessons were opened, finished and answered. Write
helpers run on the `db.Writer`; reads come back in the progress log's shapes
(docs/progress-log.md, minor version 2)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from escape_home.participant.db import now_iso


def _touch_lesson(conn: sqlite3.Connection, number: int, when: str) -> None:
    conn.execute(
        "INSERT INTO lesson_progress (number, first_opened_at, times_opened)"
        " VALUES (?, ?, 0) ON CONFLICT (number) DO NOTHING",
        (number, when),
    )


def lesson_opened(conn: sqlite3.Connection, number: int) -> None:
    _touch_lesson(conn, number, now_iso())
    conn.execute(
        "UPDATE lesson_progress SET times_opened = times_opened + 1 WHERE number = ?",
        (number,),
    )


def lesson_finished(conn: sqlite3.Connection, number: int) -> None:
    """The last screen was reached (the first time counts)."""
    when = now_iso()
    _touch_lesson(conn, number, when)
    conn.execute(
        "UPDATE lesson_progress SET finished_at = COALESCE(finished_at, ?),"
        " times_opened = MAX(times_opened, 1) WHERE number = ?",
        (when, number),
    )


def lesson_answered(
    conn: sqlite3.Connection, number: int, question: int, answer: bool, correct: bool
) -> bool:
    """Keep the first answer to a question (what the person thought before the
    explanation). Returns False when it had been answered already."""
    when = now_iso()
    _touch_lesson(conn, number, when)
    conn.execute(
        "UPDATE lesson_progress SET times_opened = MAX(times_opened, 1)"
        " WHERE number = ?",
        (number,),
    )
    cur = conn.execute(
        "INSERT INTO lesson_answer (number, question, answer, correct, answered_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (number, question) DO NOTHING",
        (number, question, int(answer), int(correct), when),
    )
    return cur.rowcount == 1


def lessons(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every lesson opened, in lesson order, as the log's ``lessons``."""
    answers: dict[int, list[dict[str, Any]]] = {}
    for a in conn.execute("SELECT * FROM lesson_answer ORDER BY number, question"):
        answers.setdefault(a["number"], []).append(
            {
                "question": a["question"],
                "answer": bool(a["answer"]),
                "correct": bool(a["correct"]),
                "answered_at": a["answered_at"],
            }
        )
    return [
        {
            "number": r["number"],
            "first_opened_at": r["first_opened_at"],
            "times_opened": r["times_opened"],
            "finished_at": r["finished_at"],
            "answers": answers.get(r["number"], []),
        }
        for r in conn.execute("SELECT * FROM lesson_progress ORDER BY number")
    ]


def finished_lessons(conn: sqlite3.Connection) -> set[int]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT number FROM lesson_progress WHERE finished_at IS NOT NULL"
        )
    }


def _check(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "stage": row["stage"],
        "session_number": row["session_number"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "answers": json.loads(row["answers"]),
    }


def belief_checks(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The finished checks, oldest first, as the log's ``belief_checks``."""
    return [
        _check(r)
        for r in conn.execute(
            "SELECT * FROM belief_check WHERE finished_at IS NOT NULL"
            " ORDER BY started_at, rowid"
        )
    ]


def belief_check(conn: sqlite3.Connection, stage: str) -> dict[str, Any] | None:
    """The check of `stage`, finished or not (None before its first answer)."""
    row = conn.execute(
        "SELECT * FROM belief_check WHERE stage = ?", (stage,)
    ).fetchone()
    return None if row is None else _check(row)


def save_answer(
    conn: sqlite3.Connection,
    stage: str,
    session_number: int,
    item: str,
    value: int,
    *,
    last: bool,
) -> None:
    """Keep one answer of the `stage` check (starting it with its first answer);
    `last`: every question is answered now, so the check is finished. A finished
    check is not changed."""
    when = now_iso()
    conn.execute(
        "INSERT INTO belief_check (id, stage, session_number, started_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (stage) DO NOTHING",
        (str(uuid.uuid4()), stage, session_number, when),
    )
    row = conn.execute(
        "SELECT answers, finished_at FROM belief_check WHERE stage = ?", (stage,)
    ).fetchone()
    if row["finished_at"] is not None:
        return
    answers = {**json.loads(row["answers"]), item: value}
    conn.execute(
        "UPDATE belief_check SET answers = ?, finished_at = ? WHERE stage = ?",
        (json.dumps(answers), when if last else None, stage),
    )
