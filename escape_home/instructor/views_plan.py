"""The instructor's exercise plan (issue 12 item 1): a form per class and per
participant, and ``GET /api/plan`` that the participant's app fetches at each sync.

A participant's item replaces the class item for that exercise; the app receives the
two merged (message ``plan``, data/messages/plan.v1.schema.json). Every item is
checked with `escape_home.plans.problems` against the packaged programme, the same
check the app makes, and a refused plan comes back on the form with each problem
beside its field and nothing saved.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required
from sqlalchemy import select

from escape_home import messages, plans
from escape_home.instructor import db
from escape_home.instructor.forms import ActionForm
from escape_home.instructor.models import (
    Cohort,
    ExercisePlan,
    Participant,
    utcnow,
)
from escape_home.instructor.security import (
    bearer_participant,
    owned_cohort,
    owned_participant,
)
from escape_home.instructor.text import clean_name
from escape_home.participant.programme import Programme, load_programme

bp = Blueprint("plan", __name__)
api = Blueprint("plan_api", __name__, url_prefix="/api")

NUMBER_FIELDS = ("level", "target_reps", "target_s", "sets")


@cache
def programme() -> Programme:
    """The programme the participant app ships with (data/programme.json)."""
    return load_programme()


def _row(s: Any, *, cohort: Cohort | None = None, p: Participant | None = None) -> Any:
    where = (
        ExercisePlan.cohort_id == cohort.id
        if cohort is not None
        else ExercisePlan.participant_id == (p.id if p is not None else -1)
    )
    return s.scalar(select(ExercisePlan).where(where))


def _items(row: ExercisePlan | None) -> plans.Items:
    if row is None:
        return {}
    items: plans.Items = json.loads(row.items)
    return items


def plan_for(p: Participant) -> dict[str, Any]:
    """The plan message for participant `p`: the class plan with theirs over it."""
    s = db.session()
    mine, theirs = _row(s, cohort=p.cohort), _row(s, p=p)
    rows = [r for r in (mine, theirs) if r is not None]
    when = max((r.updated_at for r in rows), default=None)
    return messages.validate(
        plans.NAME,
        {
            "version": sum(r.revision for r in rows),
            "updated_at": None if when is None else when.isoformat(timespec="seconds"),
            "items": plans.merge(_items(mine), _items(theirs)),
        },
    )


@api.route("/plan", methods=["GET"])
def get_plan() -> Any:
    """The participant's plan (Bearer token): message ``plan``."""
    return jsonify(plan_for(bearer_participant()))


def _read_form(
    prog: Programme,
) -> tuple[plans.Items, dict[str, dict[str, str]], list[plans.Problem]]:
    """The items typed on the form, the raw values (to show again) and the
    problems of typing (not a whole number)."""
    items: plans.Items = {}
    raw: dict[str, dict[str, str]] = {}
    found: list[plans.Problem] = []
    for ex_id in prog.exercises:
        name = prog.exercises[ex_id]["name"]
        values = {f: request.form.get(f"{ex_id}.{f}", "").strip() for f in plans.FIELDS}
        raw[ex_id] = values
        item: dict[str, Any] = {}
        if values["swap"]:
            item["swap"] = values["swap"]
        for f in NUMBER_FIELDS:
            text = values[f]
            if not text:
                continue
            try:
                item[f] = int(text)
            except ValueError:
                found.append(
                    plans.Problem(
                        ex_id, f, f"{name}, {plans.LABELS[f]}: give a whole number"
                    )
                )
        note = clean_name(values["note"])  # as names: no bidi or invisible marks
        if note:
            item["note"] = note
        if item:
            items[ex_id] = item
    return items, raw, found


def _raw_of(items: plans.Items) -> dict[str, dict[str, str]]:
    return {
        ex: {f: str(item.get(f, "")) for f in plans.FIELDS}
        for ex, item in items.items()
    }


def _edit(
    title: str,
    back: str,
    row_of: dict[str, Any],
    base: plans.Items,
    who: str,
) -> Any:
    """Show or save one plan (the class's or a participant's)."""
    prog = programme()
    form = ActionForm()
    saved = _items(_row(db.session(), **row_of))
    raw = _raw_of(saved)
    found: list[plans.Problem] = []
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            flash("This page had expired. Please try again.", "error")
            return redirect(request.url)
        items, raw, found = _read_form(prog)
        if not found:
            found = plans.problems(items, prog)
        if found:
            status = 422
        else:
            with db.writing() as s:
                row = _row(s, **row_of)
                if row is None:
                    owner = row_of.get("cohort") or row_of["p"]
                    key = "cohort_id" if "cohort" in row_of else "participant_id"
                    row = ExercisePlan(**{key: owner.id}, revision=0)
                    s.add(row)
                row.items = json.dumps(items, sort_keys=True)
                row.revision = (row.revision or 0) + 1
                row.updated_at = utcnow()
            flash(f"Plan saved. {who} at the next sync.", "ok")
            return redirect(request.url)
    errors: dict[str, dict[str, str]] = {}
    for problem in found:
        errors.setdefault(problem.exercise, {}).setdefault(problem.field, problem.text)
    return render_template(
        "instructor/plan.html",
        title=title,
        back=back,
        programme=prog,
        raw=raw,
        base=base,
        problems=found,
        errors=errors,
        form=form,
        fields=plans.FIELDS,
        bounds={f: plans.bounds(f) for f in NUMBER_FIELDS},
        note_limit=plans.note_limit(),
        describe=lambda items, ex: _describe(prog, items, ex),
    ), status


def _describe(prog: Programme, items: plans.Items, ex: str) -> str:
    """One item in plain words, for the participant form's class-plan hint."""
    item = items.get(ex)
    if not item:
        return ""
    words = []
    if "swap" in item:
        words.append(f"do {prog.exercises[item['swap']]['name']} instead")
    for f, unit in (
        ("level", "level"),
        ("target_reps", "repetitions"),
        ("target_s", "seconds"),
        ("sets", "sets"),
    ):
        if f in item:
            words.append(f"level {item[f]}" if f == "level" else f"{item[f]} {unit}")
    if "note" in item:
        words.append(f"note: {item['note']}")
    return ", ".join(words)


@bp.route("/cohorts/<int:cohort_id>/plan", methods=["GET", "POST"])
@login_required
def cohort_plan(cohort_id: int) -> Any:
    c = owned_cohort(cohort_id)
    return _edit(
        f"Exercise plan for the class {c.name}",
        url_for("cohorts.cohort", cohort_id=c.id),
        {"cohort": c},
        {},
        "Each participant's app picks it up",
    )


@bp.route("/participants/<public_id>/plan", methods=["GET", "POST"])
@login_required
def participant_plan(public_id: str) -> Any:
    p = owned_participant(public_id)
    class_items = _items(_row(db.session(), cohort=p.cohort))
    return _edit(
        f"Exercise plan for {p.nickname}",
        url_for("cohorts.participant", public_id=p.public_id),
        {"p": p},
        class_items,
        f"{p.nickname}'s app picks it up",
    )


def session_plan_notes(data: str) -> list[str]:
    """What the instructor's session row says about the plan, from the session's
    uploaded sets (progress log minor version 2 set fields)."""
    session = json.loads(data)
    prog = programme()

    def name(ex: str) -> str:
        return str(prog.exercises.get(ex, {}).get("name", ex.replace("_", " ")))

    out: list[str] = []
    for st in session.get("sets", []):
        if "plan_version" not in st:
            continue
        text = f"{name(st['exercise'])}: plan followed"
        if "swapped_from" in st:
            text += f" (instead of {name(st['swapped_from'])})"
        if "stepped_back_from" in st:
            text = (
                f"{name(st['exercise'])}: stepped back from level "
                f"{st['stepped_back_from']} to {st['level']} (pain)"
            )
        if text not in out:
            out.append(text)
    return out


def init_app(app: Any) -> None:
    """Register the form pages, the API route and the session-row filter."""
    app.register_blueprint(bp)
    app.register_blueprint(api)
    app.add_template_filter(session_plan_notes, "plan_notes")
