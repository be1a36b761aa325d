"""Plan the week, goals, and the exercise demonstrations (issue 10, "Go beyond").

- ``/week``: pick the days and time of the sessions; ``/week/calendar.ics`` is the
  calendar file (with a reminder) to add them to the person's own calendar.
- ``/goals``: write a goal down (session 6 asks for one), tick it off, remove it.
- ``/api/demo/<exercise>``: the animated demonstration's track (`demo.track`).

Home, the session and its summary show the plan and the goals through the template
helpers `week_context` adds (``week_status()``, ``my_goals()``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from escape_home.errors import UnknownExercise
from escape_home.participant import demo, goals, progress_store, store, week
from escape_home.participant.db import get_db, get_writer
from escape_home.participant.views_setup import programme, session_minutes

bp = Blueprint("week", __name__)

_ID = re.compile(r"[0-9a-f-]{36}")
#: The session that asks for a goal, and the last one (look back at it).
GOAL_SESSION = 6
LAST_SESSION = 12


def _now() -> datetime:
    """Local wall-clock time, naive (the plan's times are the person's own)."""
    return datetime.now().astimezone().replace(tzinfo=None)


def _changed() -> None:
    """Send the log soon when linked to a class, so the instructor has the goals."""
    if store.get_setting(get_db(), "token") is not None:
        current_app.extensions["escape_home.remote"].upload_soon()


@bp.app_context_processor
def week_context() -> dict[str, Any]:
    def week_status() -> week.Status | None:
        conn = get_db()
        plan = week.load(conn)
        if plan is None:
            return None
        return week.status(
            plan, _now(), week.session_starts(conn), store.completed_count(conn)
        )

    def my_goals() -> list[dict[str, Any]]:
        return goals.goals(get_db())

    return {
        "week_status": week_status,
        "my_goals": my_goals,
        "goal_session": GOAL_SESSION,
        "last_session": LAST_SESSION,
        "say_date": week.say_date,
    }


# --- the week ----------------------------------------------------------------------


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@bp.route("/week", methods=["GET", "POST"])
def plan_week() -> Any:
    conn = get_db()
    current = week.load(conn)
    error = None
    per_week = int(programme().data.get("sessions_per_week", 2))
    form: dict[str, Any] = {
        "days": [str(d) for d in current.days] if current else [],
        "at": current.at.strftime("%H:%M") if current else "10:00",
        "reminder": str(current.reminder_min if current else week.DEFAULT_REMINDER),
    }
    if request.method == "POST":
        form = {
            "days": request.form.getlist("day"),
            "at": request.form.get("at", ""),
            "reminder": request.form.get("reminder", ""),
        }
        try:
            plan = week.build_plan(form["days"], form["at"], form["reminder"], per_week)
        except week.PlanError as exc:
            error = str(exc)
        else:
            get_writer().call(lambda c: week.save(c, plan))
            flash(
                f"Your plan is saved: {_and(plan.day_names())} at "
                f"{week.say_time(plan.at)}."
            )
            return redirect(url_for("week.plan_week") + "#calendar")
    return render_template(
        "participant/week.html",
        plan=current,
        form=form,
        error=error,
        days=week.DAYS,
        reminders=week.REMINDERS,
        per_week=per_week,
        say_time=week.say_time,
        and_=_and,
        remaining=week.TOTAL_SESSIONS - store.completed_count(conn),
    ), (400 if error else 200)


@bp.post("/week/clear")
def clear_week() -> Any:
    get_writer().call(week.clear)
    flash("Your plan is removed.")
    return redirect(url_for("week.plan_week"))


@bp.route("/week/calendar.ics")
def calendar() -> Any:
    conn = get_db()
    plan = week.load(conn)
    if plan is None:
        abort(404, "There is no plan yet. Choose your days and time first.")
    remaining = week.TOTAL_SESSIONS - store.completed_count(conn)
    if remaining <= 0:
        abort(404, "You have done all 12 sessions: there are none left to plan.")
    profile = store.get_profile(conn)
    who = profile["participant_uuid"] if profile else "someone"
    number = store.next_session_number(conn)
    minutes = session_minutes(programme().plan(number, progress_store.levels(conn)))
    body = week.calendar_file(
        plan,
        _now(),
        remaining,
        minutes,
        uid=f"escape-home-week-{who}@escape-home.local",
        home_url=url_for("setup.home", _external=True),
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'attachment; filename="escape-pain-sessions.ics"'
        },
    )


# --- goals -------------------------------------------------------------------------


def _back() -> str | None:
    """Only ever back to one of this app's own pages (a path, never a full URL)."""
    nxt = request.values.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt:
        return nxt
    return None


@bp.route("/goals", methods=["GET", "POST"])
def goal_page() -> Any:
    error = None
    text = request.args.get("text", "")[: goals.GOAL_MAX]
    if request.method == "POST":
        raw = request.form.get("goal", "")
        try:
            clean = goals.clean_goal(raw)
        except goals.GoalError as exc:
            error, text = str(exc), raw[: goals.GOAL_MAX * 2]
        else:
            get_writer().call(lambda c: goals.add_goal(c, clean))
            _changed()
            flash("Your goal is written down. Tick it off when you have done it.")
            return redirect(_back() or url_for("week.goal_page"))
    return render_template(
        "participant/goals.html",
        goals=goals.goals(get_db()),
        error=error,
        text=text,
        goal_max=goals.GOAL_MAX,
        back=_back(),
    ), (400 if error else 200)


@bp.post("/goals/<gid>/done")
def goal_done(gid: str) -> Any:
    if not _ID.fullmatch(gid):
        abort(404)
    done = request.form.get("done", "1") == "1"
    found = get_writer().call(lambda c: goals.mark_done(c, gid, done))
    if not found:
        abort(404, "That goal is not there any more.")
    _changed()
    flash("Well done! Your goal is ticked off." if done else "The tick is taken off.")
    return redirect(_back() or url_for("week.goal_page"))


@bp.post("/goals/<gid>/remove")
def goal_remove(gid: str) -> Any:
    if not _ID.fullmatch(gid):
        abort(404)
    get_writer().call(lambda c: goals.remove_goal(c, gid))
    _changed()
    flash("The goal is removed.")
    return redirect(_back() or url_for("week.goal_page"))


# --- demonstrations ----------------------------------------------------------------


@bp.route("/api/demo/<exercise>")
def demo_track(exercise: str) -> Any:
    try:
        data = demo.track(exercise)
    except UnknownExercise:
        abort(404, f"There is no exercise called {exercise[:40]!r}.")
    resp = jsonify(data)
    resp.headers["Cache-Control"] = "max-age=3600"
    return resp
