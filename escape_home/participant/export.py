"""Build the progress log (the shared JSON format) from the local database.

The format is the instructor engineer's schema
(``escape_home/data/progress_log.schema.json``, docs/progress-log.md). Only numbers,
answers and short texts go in it: never video or images. This module only reads the
database; `progress_log.build_progress_log` assembles and validates the log.
"""

from __future__ import annotations

import json
import sqlite3
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from escape_home import progress_log
from escape_home.participant import (
    education_store,
    progress_store,
    replay_store,
    store,
    tools_store,
)

#: Statuses the shared format knows; a session stopped by the safety check is an
#: interrupted session whose safety_check says any_yes.
_STATUS = {"stopped_safety": "interrupted"}


def app_version() -> str:
    try:
        return version("escape-home")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


def _set(s: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "exercise": s["exercise"],
        "level": int(s["level"]),
        "target_reps": s["target_reps"],
        "target_s": s["target_s"],
        "started_at": s["started_at"],
        "ended_at": s["ended_at"],
        "reps": s["reps"],
        "holds": s["holds"],
    }
    if s.get("partial_reps") is not None:
        out["partial_reps"] = int(s["partial_reps"])
    warnings = json.loads(s.get("warnings") or "[]")
    if warnings:
        out["warnings"] = warnings
    for key in ("plan_version", "stepped_back_from", "swapped_from"):
        if s.get(key) is not None:  # minor version 2: what it followed of the plan
            out[key] = s[key]
    return out


def _next_day_at(conn: sqlite3.Connection, sid: str) -> dict[str, str]:
    at = store.next_day_pain_at(conn, sid)
    return {} if at is None else {"pain_next_day_at": at}


def _replays(conn: sqlite3.Connection, sid: str) -> dict[str, Any]:
    kept = replay_store.for_session(conn, sid)  # minor version 2, with consent only
    return {"replays": kept} if kept else {}


def build_log(conn: sqlite3.Connection) -> dict[str, Any]:
    """Return the whole progress log as a JSON-ready dict, validated.

    SQLite stores '+00:00' times, which the format accepts as they are.

    Raises:
        LookupError: There is no profile yet (nothing to export).
        InvalidProgressLog: The log would not pass the server's checks (the
            message names the field); nothing should be saved or sent.
    """
    profile = store.get_profile(conn)
    if profile is None:
        raise LookupError("no profile yet")
    sessions = []
    for row in store.sessions(conn):
        answers = json.loads(row["safety_answers"] or "{}")
        sessions.append(
            {
                "id": row["id"],
                "number": row["number"],
                "started_at": row["started_at"],
                "ended_at": row["ended_at"],
                "status": _STATUS.get(row["status"], row["status"]),
                "pain_before": row["pain_before"],
                "pain_after": row["pain_after"],
                "pain_next_day": row["pain_next_day"],
                **_next_day_at(conn, row["id"]),
                "exertion": row["exertion"],
                "safety_check": {"answers": answers, "any_yes": bool(row["any_yes"])},
                "sets": [_set(s) for s in store.session_sets(conn, row["id"])],
                **_replays(conn, row["id"]),
            }
        )
    tests = [
        {
            "id": t["id"],
            "kind": t["kind"],
            "taken_at": t["taken_at"],
            "result": t["result"],
            "unit": t["unit"],
            "norm": json.loads(t["norm"]) if t["norm"] else None,
        }
        for t in progress_store.tests(conn)
    ]
    from escape_home.participant import goals as goal_store  # minor version 2

    return progress_log.build_progress_log(
        participant_id=profile["participant_uuid"],
        joint=profile["joint"],
        age_band=profile["age_band"],
        sex=profile["sex"],
        sessions=sessions,
        tests=tests,
        app_version=app_version(),
        goals=goal_store.goals(conn),
        flare_plan=tools_store.flare_plan(conn),
        pacing_plans=tools_store.pacing_plans(conn),
        class_questions=tools_store.questions(conn),
        belief_checks=education_store.belief_checks(conn),
        lessons=education_store.lessons(conn),
    )
