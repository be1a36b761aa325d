"""The lessons: the education half of each session (issue 14).

``/lessons`` lists the twelve lessons; ``/lessons/<n>`` plays one, screen by screen,
read aloud with the sentence being said highlighted, and ends with its "true or
not?" questions. Opened from a session's education card (``?session=<id>``), the
last screen leads back to that session. The content is data: ``data/lessons.toml``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for

from escape_home.lessons import BELIEFS, NUM_LESSONS, load_lessons, sentences

bp = Blueprint("lessons", __name__)

#: A session id as the app makes them (anything else is ignored, never echoed).
_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@bp.route("/lessons")
def index() -> Any:
    return render_template("participant/lessons.html", lessons=load_lessons())


@bp.route("/lessons/<int:number>")
def show(number: int) -> Any:
    if not 1 <= number <= NUM_LESSONS:
        abort(404, f"There is no lesson {number}. The lessons go from 1 to 12.")
    lesson = load_lessons()[number - 1]
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
