"""The dashboard a physiotherapist needs (issue 11): alerts reviewed with a note,
alert thresholds per class, a note per participant, and a page per session.

Every view needs a signed-in instructor and goes through `owned_cohort` /
`owned_participant`, which answer 404 for anything not theirs.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from escape_home.errors import EscapeHomeError
from escape_home.exercises import get_exercise
from escape_home.instructor import db
from escape_home.instructor.alerts import (
    REVIEW_STATES,
    Thresholds,
    question_text,
    reviews_for,
    safety_answers,
    summarise_participant,
)
from escape_home.instructor.models import AlertReview, SessionRecord, utcnow
from escape_home.instructor.security import owned_cohort, owned_participant
from escape_home.instructor.text import clean_name
from escape_home.participant.programme import load_programme

bp = Blueprint("dashboard", __name__)

NOTE_MAX = 1000
REVIEW_NOTE_MAX = 500
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def clean_note(value: str | None) -> str | None:
    """A free-text note: each line cleaned like a name (no bidi or control
    characters), line breaks kept, at most one empty line in a row."""
    if value is None:
        return None
    lines = [clean_name(line) for line in value.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


class AlertReviewForm(FlaskForm):  # type: ignore[misc]
    key = HiddenField(validators=[DataRequired(), Length(max=120)])
    status = RadioField(
        "What you did",
        choices=[
            ("acknowledged", "Seen: I am following it up"),
            ("resolved", "Resolved"),
        ],
        validators=[InputRequired(message="choose seen or resolved")],
    )
    note = TextAreaField(
        "Note",
        filters=[clean_note],
        validators=[
            DataRequired(message="write a short note: what you did or will do"),
            Length(max=REVIEW_NOTE_MAX),
        ],
    )


class NoteForm(FlaskForm):  # type: ignore[misc]
    note = TextAreaField(
        "Your note about this participant",
        filters=[clean_note],
        validators=[Length(max=NOTE_MAX)],
        description="Only instructors see it (never sent to the app). For example: "
        "uses a walking stick; prefers to be called Peggy.",
    )


def _whole(label: str, low: int, high: int) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(message=f"give a whole number from {low} to {high}"),
            NumberRange(min=low, max=high, message=f"from {low} to {high}"),
        ],
    )


class ThresholdsForm(FlaskForm):  # type: ignore[misc]
    pain_above = _whole("Pain after exercise above (0-10)", 0, 10)
    pain_rise = _whole("or this many points above the pain before", 1, 10)
    next_day_sessions = _whole(
        "Next-day pain above the pain before, sessions in a row", 1, 12
    )
    behind = _whole("Sessions behind the schedule", 1, 12)
    fault_percent = _whole("Form fault on this share of reps (%)", 1, 100)


_COLUMNS = {
    "pain_above": "alert_pain_above",
    "pain_rise": "alert_pain_rise",
    "next_day_sessions": "alert_next_day_sessions",
    "behind": "alert_behind",
    "fault_percent": "alert_fault_percent",
}


def _flash_errors(form: FlaskForm, what: str) -> None:
    for name, errors in form.errors.items():
        if name == "csrf_token":
            flash("The form had expired: please try again.", "error")
            continue
        label = getattr(form, name).label.text if name != "key" else "Alert"
        flash(f"{what}: {label}: {'; '.join(errors)}. Nothing was changed.", "error")


@bp.route("/participants/<public_id>/alerts/review", methods=["POST"])
@login_required
def review_alert(public_id: str) -> Any:
    """Acknowledge or resolve one open alert, with a note."""
    p = owned_participant(public_id)
    back = redirect(url_for("cohorts.participant", public_id=p.public_id) + "#alerts")
    form = AlertReviewForm()
    if not form.validate_on_submit():
        _flash_errors(form, "Alert not updated")
        return back
    today = datetime.now(UTC).date()
    reviews = reviews_for(db.session(), [p.id])[p.id]
    row = summarise_participant(p, p.cohort, today, reviews)
    alert = next((a for a in row.alerts + row.reviewed if a.key == form.key.data), None)
    if alert is None:
        flash(
            "That alert is no longer there (the data changed): nothing saved.", "error"
        )
        return back
    status = form.status.data
    assert status in REVIEW_STATES
    with db.writing() as s:
        r = s.scalar(
            select(AlertReview).where(
                AlertReview.participant_id == p.id, AlertReview.key == alert.key
            )
        )
        if r is None:
            r = AlertReview(participant_id=p.id, key=alert.key)
            s.add(r)
        r.status = status
        r.note = form.note.data
        r.evidence = json.dumps(sorted(alert.evidence))
        r.instructor_id = current_user.id
        r.reviewed_at = utcnow()
    word = "resolved" if status == "resolved" else "marked as seen"
    flash(
        f"Alert {word}. It comes back only if new data trigger it again.",
        "ok",
    )
    return back


@bp.route("/participants/<public_id>/note", methods=["POST"])
@login_required
def save_note(public_id: str) -> Any:
    p = owned_participant(public_id)
    form = NoteForm()
    if form.validate_on_submit():
        with db.writing():
            p.note = form.note.data or None
        flash("Note saved." if p.note else "Note removed.", "ok")
    else:
        _flash_errors(form, "Note not saved")
    return redirect(url_for("cohorts.participant", public_id=p.public_id) + "#note")


@bp.route("/cohorts/<int:cohort_id>/thresholds", methods=["POST"])
@login_required
def save_thresholds(cohort_id: int) -> Any:
    c = owned_cohort(cohort_id)
    form = ThresholdsForm()
    if form.validate_on_submit():
        with db.writing():
            for name, column in _COLUMNS.items():
                setattr(c, column, int(getattr(form, name).data))
        flash("Alert thresholds saved for this class.", "ok")
    else:
        _flash_errors(form, "Thresholds not saved")
    return redirect(url_for("cohorts.cohort", cohort_id=c.id) + "#thresholds")


def thresholds_form(cohort: Any) -> ThresholdsForm:
    """The thresholds form filled with the class's current values."""
    t = Thresholds.of(cohort)
    return ThresholdsForm(
        formdata=None,
        pain_above=t.pain_above,
        pain_rise=t.pain_rise,
        next_day_sessions=t.next_day_sessions,
        behind=t.behind,
        fault_percent=t.fault_percent,
    )


def current_levels(sessions: list[SessionRecord]) -> list[tuple[str, int]]:
    """(exercise name, level) from the latest session with each exercise."""
    levels: dict[str, int] = {}
    for rec in sessions:  # oldest first: later levels win
        for st in json.loads(rec.data).get("sets", []):
            levels[st["exercise"]] = int(st["level"])
    return [(_exercise_name(ex), lv) for ex, lv in levels.items()]


def _exercise_name(ex: str) -> str:
    try:
        return get_exercise(ex).name
    except EscapeHomeError:
        return ex.replace("_", " ").capitalize()


def _level_name(ex: str, level: int) -> str | None:
    prog = load_programme()
    if ex not in prog.exercises:
        return None
    name = prog.level(ex, level).get("name")
    return str(name) if name else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _set_rows(sets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the session page shows per set: targets, level, reps, faults."""
    rows = []
    for st in sets:
        reps = st["reps"]
        faults: dict[str, dict[str, Any]] = {}
        for item in reps + st["holds"]:
            for f in item["faults"]:
                entry = faults.setdefault(
                    f["key"],
                    {
                        "cue": f["cue"],
                        "n": 0,
                        "values": [],
                        "threshold": f["threshold"],
                        "unit": f["unit"],
                    },
                )
                entry["n"] += 1
                entry["values"].append(f["value"])
        started = datetime.fromisoformat(st["started_at"])
        ended = datetime.fromisoformat(st["ended_at"]) if st.get("ended_at") else None
        rows.append(
            {
                "exercise": st["exercise"],
                "name": _exercise_name(st["exercise"]),
                "level": st["level"],
                "level_name": _level_name(st["exercise"], st["level"]),
                "side": st.get("side"),
                "target_reps": st.get("target_reps"),
                "target_s": st.get("target_s"),
                "reps": len(reps),
                "partial_reps": st.get("partial_reps", 0),
                "holds": len(st["holds"]),
                "hold_s": round(sum(h["duration_s"] for h in st["holds"]), 1),
                "rom": _mean(
                    [r["metrics"]["rom"] for r in reps if "rom" in r["metrics"]]
                ),
                "minutes": None
                if ended is None
                else round((ended - started).total_seconds() / 60, 1),
                "faults": faults,
                "warnings": st.get("warnings", []),
                "rep_list": reps,
            }
        )
    return rows


@bp.route("/participants/<public_id>/sessions/<session_id>", methods=["GET"])
@login_required
def session_detail(public_id: str, session_id: str) -> Any:
    """One session: sets, targets, levels, reps, faults, pain and exertion."""
    p = owned_participant(public_id)
    if not _UUID.match(session_id):
        abort(404)
    rec = db.session().scalar(
        select(SessionRecord).where(
            SessionRecord.uuid == session_id, SessionRecord.participant_id == p.id
        )
    )
    if rec is None:
        abort(404)
    data: dict[str, Any] = json.loads(rec.data)
    answers = safety_answers(rec)
    return render_template(
        "instructor/session.html",
        p=p,
        s=rec,
        sets=_set_rows(data.get("sets", [])),
        safety=[(question_text(k), v) for k, v in answers.items()],
        checked=data.get("safety_check") is not None,
    )
