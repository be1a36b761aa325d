"""Self-management tools (issue 14 item 3): "My plans" and questions for class.

``/plans`` holds the three tools: something to ask in class (written here, sent
with the progress log, so the instructor sees it before the next class), the
flare-up plan (``/plans/flare-up``) and the pacing planner (``/plans/pacing``). The
lessons on pacing and flare-ups link here. The rules are in
`escape_home.self_management`; storage is `tools_store`.
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from escape_home import self_management as sm
from escape_home.participant import progress_store, store, tools_store
from escape_home.participant.db import get_db, get_writer
from escape_home.participant.views_setup import programme

bp = Blueprint("tools", __name__)

_ID = re.compile(r"[0-9a-f-]{36}")


def _names() -> tuple[dict[str, str], dict[tuple[str, int], str]]:
    prog = programme()
    names = {k: str(v["name"]) for k, v in prog.exercises.items()}
    levels = {
        (k, int(lv["level"])): str(lv["name"])
        for k, v in prog.exercises.items()
        for lv in v["levels"]
    }
    return names, levels


def _changed() -> None:
    """Send the log soon when linked to a class, so the instructor has it."""
    if store.get_setting(get_db(), "token") is not None:
        current_app.extensions["escape_home.remote"].upload_soon()


@bp.route("/plans")
def index() -> Any:
    conn = get_db()
    plan = tools_store.flare_plan(conn)
    names, level_names = _names()
    return render_template(
        "participant/plans.html",
        questions=tools_store.questions(conn),
        plan=plan,
        plan_lines=sm.flare_plan_lines(plan, names, level_names) if plan else [],
        pacing=tools_store.pacing_plans(conn),
        enrolled=store.get_setting(conn, "token") is not None,
        question_max=sm.QUESTION_MAX,
        text=request.args.get("text", "")[: sm.QUESTION_MAX],
    )


@bp.post("/plans/questions")
def add_question() -> Any:
    raw = request.form.get("question", "")
    try:
        text = sm.clean_question(raw)
    except sm.PlanError as exc:
        flash(str(exc))
        return redirect(url_for("tools.index", text=raw[: sm.QUESTION_MAX]) + "#ask")
    get_writer().call(lambda c: tools_store.add_question(c, text))
    _changed()
    flash("Your question is saved. Your instructor will see it before the class.")
    return redirect(url_for("tools.index") + "#ask")


@bp.post("/plans/questions/<qid>/remove")
def remove_question(qid: str) -> Any:
    if not _ID.fullmatch(qid):
        abort(404)
    get_writer().call(lambda c: tools_store.remove_question(c, qid))
    _changed()
    flash("The question is removed.")
    return redirect(url_for("tools.index") + "#ask")


@bp.route("/plans/flare-up", methods=["GET", "POST"])
def flare_up() -> Any:
    conn = get_db()
    prog = programme()
    levels = progress_store.levels(conn)
    current = tools_store.flare_plan(conn)
    error = None
    form: dict[str, Any] = {}
    if request.method == "POST":
        chosen = [e for e in request.form.getlist("exercise") if e in prog.exercises]
        form = {
            "exercise": chosen,
            "heat_or_ice": request.form.get("heat_or_ice", ""),
            "do_less": request.form.get("do_less", ""),
            "ask": request.form.get("ask", ""),
            "note": request.form.get("note", ""),
        }
        try:
            plan = sm.build_flare_plan(
                chosen,
                levels,
                form["heat_or_ice"],
                form["do_less"],
                form["ask"],
                form["note"],
            )
        except sm.PlanError as exc:
            error = str(exc)
        else:
            get_writer().call(lambda c: tools_store.save_flare_plan(c, plan))
            _changed()
            flash("Your flare-up plan is saved.")
            return redirect(url_for("tools.index") + "#flare")
    elif current is not None:
        form = {
            "exercise": [s["exercise"] for s in current["step_back"]],
            "heat_or_ice": current["heat_or_ice"],
            "do_less": current["do_less"],
            "ask": current["ask"],
            "note": current["note"],
        }
    else:  # the app's suggestion: every exercise one level easier
        form = {"exercise": list(prog.exercises), "heat_or_ice": "", "ask": ""}
    exercises = [
        {
            "id": ex,
            "name": spec["name"],
            "back": sm.step_back(levels.get(ex, 1)),
            "back_name": prog.level(ex, sm.step_back(levels.get(ex, 1)))["name"],
            "at_first": levels.get(ex, 1) <= 1,
        }
        for ex, spec in prog.exercises.items()
    ]
    return render_template(
        "participant/flare_plan.html",
        exercises=exercises,
        form=form,
        error=error,
        heat_or_ice=sm.HEAT_OR_ICE,
        ask=sm.ASK,
        do_less_max=sm.DO_LESS_MAX,
        note_max=sm.NOTE_MAX,
        seek_help_now=sm.SEEK_HELP_NOW,
    ), (400 if error else 200)


def _minutes(name: str) -> int | None:
    text = request.form.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 4:
        raise sm.PlanError(f"Give the minutes as a number from 1 to {sm.MAX_MINUTES}.")
    return int(text)


@bp.route("/plans/pacing", methods=["GET", "POST"])
def pacing() -> Any:
    error = None
    form = {k: request.form.get(k, "") for k in ("activity", "usual", "goal")}
    if request.method == "POST":
        try:
            usual = _minutes("usual")
            if usual is None:
                raise sm.PlanError("Write how many minutes you can do on most days.")
            plan = sm.pacing_plan(form["activity"], usual, _minutes("goal"))
        except sm.PlanError as exc:
            error = str(exc)
        else:
            pid = get_writer().call(lambda c: tools_store.add_pacing_plan(c, plan))
            _changed()
            flash(f"Your plan for {plan.activity.lower()} is saved.")
            return redirect(url_for("tools.index") + f"#plan-{pid}")
    return render_template(
        "participant/pacing.html",
        form=form,
        error=error,
        max_minutes=sm.MAX_MINUTES,
    ), (400 if error else 200)


@bp.post("/plans/pacing/<pid>/remove")
def remove_pacing(pid: str) -> Any:
    if not _ID.fullmatch(pid):
        abort(404)
    get_writer().call(lambda c: tools_store.remove_pacing_plan(c, pid))
    _changed()
    flash("The pacing plan is removed.")
    return redirect(url_for("tools.index") + "#pacing")
