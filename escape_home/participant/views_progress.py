"""The progress page, its chart data, and export/upload of the progress log."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)

from escape_home import progress_log
from escape_home.errors import InvalidProgressLog, UnknownExercise
from escape_home.exercises import get_exercise
from escape_home.participant import export, norms, progress_store, store
from escape_home.participant.dates import plain_day
from escape_home.participant.db import get_db
from escape_home.participant.views_setup import programme

bp = Blueprint("progress", __name__)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


#: Signals that are not joint angles are measured in lower-leg (shank) lengths
#: (`escape_home.measures`), so they do not depend on the distance to the camera.
ANGLE_UNIT, LENGTH_UNIT = "degrees", "lower-leg lengths"


def rom_unit(exercise: str) -> str:
    """The unit of an exercise's range of movement, in words."""
    try:
        spec = get_exercise(exercise)
    except UnknownExercise:
        return ""
    return ANGLE_UNIT if "peak_angle" in spec.metrics else LENGTH_UNIT


def progress_data(conn: sqlite3.Connection) -> dict[str, Any]:
    """Everything the charts need, as plain JSON-ready data."""
    names = {k: v["name"] for k, v in programme().exercises.items()}
    rows = [r for r in store.sessions(conn) if r["status"] == "completed"]
    weeks: dict[date, int] = {}
    if rows:
        first = _week_start(datetime.fromisoformat(rows[0]["started_at"]).date())
        last = _week_start(date.today())
        w = first
        while w <= last:
            weeks[w] = 0
            w += timedelta(days=7)
        for r in rows:
            weeks[_week_start(datetime.fromisoformat(r["started_at"]).date())] += 1
    pain = [
        {
            "label": f"Session {r['number']}",
            "before": r["pain_before"],
            "after": r["pain_after"],
            "next_day": r["pain_next_day"],
        }
        for r in rows
    ]
    per_ex: dict[str, dict[str, Any]] = {}
    for r in rows:
        sets = store.session_sets(conn, r["id"])
        summary = progress_log.session_summary(sets)  # as the instructor sees it
        for ex, n_reps in summary["reps"].items():
            entry = per_ex.setdefault(
                ex,
                {
                    "name": names.get(ex, ex),
                    "labels": [],
                    "reps": [],
                    "rom": [],
                    "rom_unit": rom_unit(ex),
                },
            )
            entry["labels"].append(f"Session {r['number']}")
            entry["reps"].append(n_reps)
            entry["rom"].append(summary["rom"].get(ex))
    tests: dict[str, dict[str, Any]] = {}
    for t in progress_store.tests(conn):
        n = json.loads(t["norm"]) if t["norm"] else None
        entry = tests.setdefault(
            t["kind"],
            {
                "name": norms.NAMES[t["kind"]],
                "unit": t["unit"],
                "labels": [],
                "results": [],
                "low": None,
                "high": None,
            },
        )
        entry["labels"].append(plain_day(t["taken_at"]))
        entry["results"].append(t["result"])
        if n:
            entry["low"], entry["high"] = n.get("low"), n.get("high")
    return {
        "done": len({r["number"] for r in rows}),
        "total": 12,
        "weeks": [
            {"label": f"Week of {plain_day(w)}", "count": c} for w, c in weeks.items()
        ],
        "pain": pain,
        "exercises": per_ex,
        "tests": tests,
    }


@bp.route("/progress")
def page() -> Any:
    conn = get_db()
    data = progress_data(conn)
    return render_template(
        "participant/progress.html",
        data=data,
        data_json=json.dumps(data),
        enrolled=store.get_setting(conn, "token") is not None,
        pending=store.get_setting(conn, "upload_pending") is not None,
    )


@bp.route("/progress/export")
def download() -> Any:
    try:
        body = export.build_log(get_db())
    except LookupError:
        flash("There is nothing to save yet.")
        return redirect(url_for("progress.page"))
    except InvalidProgressLog as exc:
        flash(f"Your progress could not be saved ({exc}).")
        return redirect(url_for("progress.page"))
    name = f"escape-home-progress-{body['exported_at'][:10]}.json"
    return Response(
        json.dumps(body, indent=1),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/progress/upload")
def upload() -> Any:
    client = current_app.extensions["escape_home.remote"]
    client.upload_soon()
    current_app.extensions["escape_home.writer"].flush()
    if client.upload_now():
        flash("Your progress has been sent to your instructor.")
    else:
        flash(
            client.last_error
            or "Not sent yet. It will be sent when the server can be reached."
        )
    return redirect(url_for("progress.page"))
