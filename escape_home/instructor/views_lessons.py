"""The instructor's view of the twelve lessons and their clinical sign-off (issue 14).

A lesson whose ``reviewed_by`` (data/lessons.toml) is empty shows as "awaiting
clinical review"; the page lists every lesson's sources and questions so a
physiotherapist can check them before signing. The participant page's lessons and
beliefs partials read `instructor.education` through ``participant_education(p)``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import login_required

from escape_home.beliefs import NOT_VALIDATED
from escape_home.instructor.education import Education, education
from escape_home.instructor.models import Participant
from escape_home.lessons import BELIEFS, load_lessons

bp = Blueprint("lesson_review", __name__)


@bp.app_template_global("participant_education")
def participant_education(p: Participant) -> Education:
    """For the participant page's partials (_beliefs.html, _lessons_read.html)."""
    return education(p)


@bp.app_context_processor
def _not_validated() -> dict[str, Any]:
    return {"not_validated": NOT_VALIDATED}


@bp.route("/lessons", methods=["GET"])
@login_required
def index() -> Any:
    lessons = load_lessons()
    return render_template(
        "instructor/lessons.html",
        lessons=lessons,
        beliefs=BELIEFS,
        awaiting=sum(not lesson.reviewed for lesson in lessons),
    )
