"""The instructor's plan in the participant app (issue 12 item 1): kept, applied,
described.

`remote` fetches the plan at each sync and calls `save` (a plan that does not pass
`plans.check` is not used: the last good one stays, with a plain note). The session
player's steps come from `steps`; `levels` is what the session and its summary use
as the person's levels. With no plan kept (no instructor linked, or none set) both
are exactly the programme's and the person's own.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from escape_home import plans
from escape_home.participant import progress_store, store
from escape_home.participant.db import now_iso
from escape_home.participant.programme import Programme

EMPTY: dict[str, Any] = {"version": 0, "updated_at": None, "items": {}}


def current(conn: sqlite3.Connection) -> dict[str, Any]:
    """The last good plan fetched (an empty plan if none)."""
    row = conn.execute("SELECT body FROM instructor_plan WHERE id = 1").fetchone()
    if row is None:
        return dict(EMPTY)
    plan: dict[str, Any] = json.loads(row["body"])
    return plan


def save(conn: sqlite3.Connection, plan: dict[str, Any]) -> bool:
    """Keep a checked plan; True if it differs from the one kept."""
    old = conn.execute(
        "SELECT version, body FROM instructor_plan WHERE id = 1"
    ).fetchone()
    body = json.dumps(plan, sort_keys=True)
    if old is None and not plan["items"]:
        return False  # no plan set: nothing to keep, the programme as it is
    if old is not None and old["body"] == body:
        conn.execute("UPDATE instructor_plan SET problem = NULL WHERE id = 1")
        return False
    conn.execute(
        "INSERT INTO instructor_plan (id, version, body, fetched_at)"
        " VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " version = excluded.version,"
        " body = excluded.body, fetched_at = excluded.fetched_at, problem = NULL",
        (int(plan["version"]), body, now_iso()),
    )
    return True


def refuse(conn: sqlite3.Connection, problem: str) -> None:
    """The newest plan fetched could not be used: say so, keep the last good one."""
    conn.execute(
        "INSERT INTO instructor_plan (id, version, body, fetched_at, problem)"
        " VALUES (1, 0, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET problem = ?",
        (json.dumps(EMPTY), now_iso(), problem, problem),
    )


def seen(conn: sqlite3.Connection) -> None:
    """The person has been told about the current plan (a session started)."""
    conn.execute("UPDATE instructor_plan SET seen_body = body WHERE id = 1")


def step_backs(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    return {
        r["exercise"]: (int(r["from_level"]), int(r["to_level"]))
        for r in conn.execute("SELECT * FROM plan_step_back")
    }


def levels(conn: sqlite3.Connection) -> dict[str, int]:
    """The levels to do next: the person's own, the plan's where it names one, a
    step back the pain rules made from it (see `plans.planned_levels`)."""
    own = progress_store.levels(conn)
    items = current(conn).get("items") or {}
    if not items:
        return own
    return plans.planned_levels(items, own, step_backs(conn))


def steps(
    conn: sqlite3.Connection,
    prog: Programme,
    number: int,
    circuit: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The steps of session `number` with the plan followed; `circuit`: a class
    led live's stations in place of the session's own (`Programme.plan`)."""
    lv = levels(conn)
    plan = current(conn)
    return plans.apply(prog.plan(number, lv, circuit), plan, prog, lv, step_backs(conn))


def start_set(
    conn: sqlite3.Connection,
    sid: str,
    step: dict[str, Any],
    target_reps: int | None,
) -> int:
    """Start a set of `step` and keep what it followed of the plan."""
    set_id = store.start_set(
        conn, sid, step["exercise"], step["level"], target_reps, step["target_s"]
    )
    if "plan_version" in step:
        conn.execute(
            "UPDATE exercise_set SET plan_version = ?, stepped_back_from = ?,"
            " swapped_from = ? WHERE id = ?",
            (
                step["plan_version"],
                step.get("stepped_back_from"),
                step.get("swapped_from"),
                set_id,
            ),
        )
    return set_id


def chosen(conn: sqlite3.Connection, choices: dict[str, tuple[str, int]]) -> None:
    """After the summary (`choices`: exercise -> (choice, new level)): a level the
    person moved to from the one the plan names is kept (a step back when pain says
    so, or up by the programme's rule) until the instructor names another; coming
    back to the plan's level ends it."""
    items = current(conn).get("items") or {}
    planned = {
        item.get("swap", station): int(item["level"])
        for station, item in items.items()
        if "level" in item
    }
    for ex, (_choice, level) in choices.items():
        if ex not in planned:
            continue
        if level != planned[ex]:
            conn.execute(
                "INSERT INTO plan_step_back"
                " (exercise, from_level, to_level, changed_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (exercise) DO UPDATE SET"
                " from_level = excluded.from_level, to_level = excluded.to_level,"
                " changed_at = excluded.changed_at",
                (ex, planned[ex], level, now_iso()),
            )
        else:
            conn.execute("DELETE FROM plan_step_back WHERE exercise = ?", (ex,))


def news(conn: sqlite3.Connection, prog: Programme) -> dict[str, Any] | None:
    """What Home says about the plan: ``changes`` (plain sentences since the person
    was last told) and ``problem`` (a plan that could not be used), or None."""
    row = conn.execute("SELECT * FROM instructor_plan WHERE id = 1").fetchone()
    if row is None:
        return None
    old = json.loads(row["seen_body"]).get("items") or {}
    new = json.loads(row["body"]).get("items") or {}
    changed = plans.changes(prog, old, new, progress_store.levels(conn))
    if not changed and not row["problem"]:
        return None
    return {"changes": changed, "problem": row["problem"]}
