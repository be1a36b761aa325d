"""The lessons and the beliefs check: the education half of each session (issue 14).

``/lessons`` lists the twelve lessons; ``/lessons/<n>`` plays one, screen by screen,
read aloud with the sentence being said highlighted, and ends with its "true or
not?" questions. Opened from a session's education card (``?session=<id>``), the
last screen leads back to that session. The content is data: ``data/lessons.toml``.

Listening counts (item 5): opening a lesson page counts as opened; the page's
script says when the last screen is reached (``/api/lessons/<n>/finished``) and
each first answer (``/api/lessons/<n>/answer``; the server, not the page, says
whether it was right). A lesson whose session is done but which was not finished
is offered again on Home (``participant/_education_home.html``).

The beliefs and confidence check (item 4, ``data/beliefs.toml``, not a validated
measure): ``/check/<stage>/<n>`` asks one question per screen, saving each answer
as it is given; Home offers it before the sessions its stage lists, and My progress
shows the before and after (``participant/_beliefs_progress.html``).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from escape_home import beliefs
from escape_home.lessons import BELIEFS, NUM_LESSONS, load_lessons, sentences
from escape_home.participant import education_store, store
from escape_home.participant.db import get_db, get_writer

bp = Blueprint("lessons", __name__)

#: A session id as the app makes them (anything else is ignored, never echoed).
_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _changed() -> None:
    """Send the log soon when linked to a class, so the instructor has it."""
    if store.get_setting(get_db(), "token") is not None:
        current_app.extensions["escape_home.remote"].upload_soon()


def _lesson_number(number: int) -> int:
    if not 1 <= number <= NUM_LESSONS:
        abort(404, f"There is no lesson {number}. The lessons go from 1 to 12.")
    return number


@bp.route("/lessons")
def index() -> Any:
    return render_template(
        "participant/lessons.html",
        lessons=load_lessons(),
        finished=education_store.finished_lessons(get_db()),
    )


@bp.route("/lessons/<int:number>")
def show(number: int) -> Any:
    lesson = load_lessons()[_lesson_number(number) - 1]
    # Counted without waiting: a full disk must never stop a lesson being read
    # (the writer keeps the job and writes it when it can).
    get_writer().submit(lambda c: education_store.lesson_opened(c, number))
    sid = request.args.get("session", "")
    back = url_for("session.play", sid=sid) if _SID.fullmatch(sid) else None
    return render_template(
        "participant/lesson.html",
        lesson=lesson,
        total=NUM_LESSONS,
        back=back,
        sentences=sentences,
        beliefs=BELIEFS,
    )


@bp.post("/api/lessons/<int:number>/finished")
def finished(number: int) -> Any:
    _lesson_number(number)
    get_writer().submit(lambda c: education_store.lesson_finished(c, number))
    _changed()
    return jsonify(ok=True)


@bp.post("/api/lessons/<int:number>/answer")
def answer(number: int) -> Any:
    lesson = load_lessons()[_lesson_number(number) - 1]
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, 'Send the answer as JSON: {"question": 1, "answer": true}.')
    question, given = body.get("question"), body.get("answer")
    if (
        not isinstance(question, int)
        or isinstance(question, bool)
        or not 1 <= question <= len(lesson.questions)
    ):
        abort(
            400,
            f"question: lesson {number} has questions 1 to {len(lesson.questions)}.",
        )
    if not isinstance(given, bool):
        abort(400, "answer: must be true or false.")
    correct = given == lesson.questions[question - 1].answer
    get_writer().submit(
        lambda c: education_store.lesson_answered(c, number, question, given, correct)
    )
    _changed()
    return jsonify(correct=correct)


# --- what Home offers ------------------------------------------------------------


def _completed_numbers(conn: sqlite3.Connection) -> set[int]:
    return {
        r[0]
        for r in conn.execute("SELECT number FROM session WHERE status = 'completed'")
    }


def home_offers(conn: sqlite3.Connection) -> dict[str, Any]:
    """The beliefs check due before the next session, with how many of its
    questions are answered, and the lessons missed (their session is done, the
    lesson not finished), lowest first."""
    scale = beliefs.load_scale()
    next_number = store.next_session_number(conn)
    done = [c["stage"] for c in education_store.belief_checks(conn)]
    stage = beliefs.due_stage(next_number, done, scale)
    answered = 0
    if stage is not None:
        check = education_store.belief_check(conn, stage.key)
        answered = len(check["answers"]) if check else 0
    finished = education_store.finished_lessons(conn)
    lessons = load_lessons()
    missed = [
        lessons[n - 1] for n in sorted(_completed_numbers(conn)) if n not in finished
    ]
    return {
        "check": stage,
        "check_answered": answered,
        "check_items": len(scale.items),
        "missed": missed,
    }


def checks_table(conn: sqlite3.Connection) -> dict[str, Any]:
    """The finished checks as a before/after table (My progress, the last screen)."""
    scale = beliefs.load_scale()
    stages, rows = beliefs.before_after(education_store.belief_checks(conn), scale)
    return {"scale": scale, "stages": stages, "rows": rows}


@bp.app_context_processor
def _education_helpers() -> dict[str, Any]:
    """For the partials other pages include: ``education_home()`` on Home and
    ``education_checks()`` on My progress (called only where included)."""
    return {
        "education_home": lambda: home_offers(get_db()),
        "education_checks": lambda: checks_table(get_db()),
        "not_validated": beliefs.NOT_VALIDATED,
    }


# --- the beliefs and confidence check -------------------------------------------


def _stage_or_404(key: str) -> beliefs.Stage:
    try:
        return beliefs.load_scale().stage(key)
    except KeyError:
        abort(404, "There is no such check.")


@bp.route("/check/<stage>")
def check_start(stage: str) -> Any:
    st = _stage_or_404(stage)
    check = education_store.belief_check(get_db(), st.key)
    if check and check["finished_at"]:
        return redirect(url_for("lessons.check_done", stage=st.key))
    items = beliefs.load_scale().item_keys
    answered = check["answers"] if check else {}
    n = next((i for i, k in enumerate(items, 1) if k not in answered), 1)
    return redirect(url_for("lessons.check_question", stage=st.key, n=n))


@bp.route("/check/<stage>/<int:n>", methods=("GET", "POST"))
def check_question(stage: str, n: int) -> Any:
    scale = beliefs.load_scale()
    st = _stage_or_404(stage)
    if not 1 <= n <= len(scale.items):
        abort(404, f"The check has questions 1 to {len(scale.items)}.")
    conn = get_db()
    check = education_store.belief_check(conn, st.key)
    if check and check["finished_at"]:
        return redirect(url_for("lessons.check_done", stage=st.key))
    next_number = store.next_session_number(conn)
    if check is None and beliefs.due_stage(next_number, [], scale) != st:
        abort(
            404, f"This check is not due now. It comes before session {st.sessions[0]}."
        )
    item = scale.items[n - 1]
    answers: dict[str, int] = check["answers"] if check else {}
    error = None
    if request.method == "POST":
        raw = request.form.get("answer", "")
        if raw.isdigit() and beliefs.LOW <= int(raw) <= beliefs.HIGH:
            value = int(raw)
            last = all(k in answers for k in scale.item_keys if k != item.key)
            session_number = check["session_number"] if check else next_number
            get_writer().call(
                lambda c: education_store.save_answer(
                    c, st.key, session_number, item.key, value, last=last
                )
            )
            if last:
                _changed()
                return redirect(url_for("lessons.check_done", stage=st.key))
            following = next(
                (
                    i
                    for i, k in enumerate(scale.item_keys, 1)
                    if i > n and k not in answers
                ),
                None,
            ) or next(
                i
                for i, k in enumerate(scale.item_keys, 1)
                if k not in answers and k != item.key
            )
            return redirect(
                url_for("lessons.check_question", stage=st.key, n=following)
            )
        error = f"Please choose a number from {beliefs.LOW} to {beliefs.HIGH}."
    return render_template(
        "participant/check.html",
        scale=scale,
        stage=st,
        item=item,
        n=n,
        total=len(scale.items),
        value=answers.get(item.key),
        error=error,
    ), (400 if error else 200)


@bp.route("/check/<stage>/done")
def check_done(stage: str) -> Any:
    st = _stage_or_404(stage)
    check = education_store.belief_check(get_db(), st.key)
    if not check or not check["finished_at"]:
        return redirect(url_for("lessons.check_start", stage=st.key))
    return render_template("participant/check_done.html", stage=st)
