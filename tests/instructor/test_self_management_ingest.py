"""The server and the self-management tools (issue 14 item 3): old logs (no tools,
minor version 0) and new ones are accepted; the newest log's tools replace what is
kept, an older or tool-less log leaves them; the participant page shows the
questions for class newest first and the flare-up plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from instructor_support import add_instructor, bearer, enrol, login

from escape_home import progress_log
from escape_home import self_management as sm
from escape_home.instructor import db
from escape_home.instructor.models import Participant
from escape_home.instructor.sample import make_log


def _at(minutes_ago: int) -> str:
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return when.isoformat(timespec="seconds")


def _log(pid: str, exported: int, questions: list[tuple[int, str]]) -> dict[str, Any]:
    old = make_log(participant_id=pid, sessions=1)
    plan = sm.build_flare_plan(["squat"], {"squat": 3}, "ice", "gardening", "gp", "")
    return progress_log.build_progress_log(
        participant_id=pid,
        joint="knee",
        sessions=old["sessions"],
        exported_at=datetime.now(UTC) - timedelta(minutes=exported),
        flare_plan={"updated_at": _at(exported + 1), **plan},
        pacing_plans=[
            {
                "id": progress_log.new_id(),
                "created_at": _at(exported + 1),
                **sm.pacing_plan("Walking", 20, 30).to_log(),
            }
        ],
        class_questions=[
            {"id": progress_log.new_id(), "asked_at": _at(ago), "text": text}
            for ago, text in questions
        ],
    )


def _upload(app: Flask, token: str, log: dict[str, Any]) -> None:
    r = app.test_client().post(
        "/api/logs", data=progress_log.dumps(log), headers=bearer(token)
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)


def _kept(app: Flask) -> Participant:
    with app.app_context():
        p = db.session().query(Participant).one()
        db.session().expunge(p)
        return p


def test_old_and_new_logs_and_the_participant_page(sqlite_app: Flask) -> None:
    app = sqlite_app
    add_instructor(app, "alice")
    web = login(app, "alice")
    _, code = web.create_cohort()
    _, token = enrol(app, code, "Jo")
    pid = progress_log.new_id()
    old = make_log(participant_id=pid, sessions=1)
    _upload(app, token, old)  # an older app: no tools at all
    assert _kept(app).self_management is None
    public_id = _kept(app).public_id
    page = web.client.get(f"/participants/{public_id}").get_data(as_text=True)
    assert "Before the next class" in page and "No flare-up plan yet" in page

    new = _log(
        pid, 10, [(60 * 24, "Is swimming good for knees?"), (30, "Ice or heat?")]
    )
    _upload(app, token, new)
    page = web.client.get(f"/participants/{public_id}").get_data(as_text=True)
    first, second = page.index("Ice or heat?"), page.index("Is swimming good")
    assert first < second  # newest first
    assert "Mini squat: use level 2." in page
    assert "I will ask my GP" in page and "I will do less of: gardening" in page
    assert "Walking" in page and "16, 18, 20" in page

    _upload(app, token, old)  # an old log again: the tools stay
    assert "Ice or heat?" in (_kept(app).self_management or "")
    stale = _log(pid, 60, [(90, "An old question")])
    _upload(app, token, stale)  # a delayed, older upload: skipped
    assert "An old question" not in (_kept(app).self_management or "")
    newer = _log(pid, 1, [(2, "Can I dance?")])  # the others were removed
    _upload(app, token, newer)
    kept = _kept(app).self_management or ""
    assert "Can I dance?" in kept and "Ice or heat?" not in kept
