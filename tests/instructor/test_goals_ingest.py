"""Goals on the instructor server (issue 10, go beyond): a minor-2 log's goals are kept
in the participant's self-management JSON and shown on the participant page; a log
without them (an older app) leaves the goals kept as they were."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from instructor_support import add_instructor, bearer, enrol, login

from escape_home import progress_log
from escape_home.instructor import db
from escape_home.instructor.models import Participant
from escape_home.instructor.sample import make_log


def _at(minutes_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(
        timespec="seconds"
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


def test_goals_are_kept_and_shown_and_an_old_log_keeps_them(sqlite_app: Flask) -> None:
    app = sqlite_app
    add_instructor(app, "alice")
    web = login(app, "alice")
    _, code = web.create_cohort()
    _, token = enrol(app, code, "Jo")
    pid = progress_log.new_id()
    old = make_log(participant_id=pid, sessions=1)
    _upload(app, token, old)
    public_id = _kept(app).public_id
    page = web.client.get(f"/participants/{public_id}").get_data(as_text=True)
    assert "No goals from Jo yet" in page

    goals = [
        {
            "id": progress_log.new_id(),
            "set_at": _at(60),
            "text": "Climb the stairs at my daughter's house",
            "done_at": _at(5),
        },
        {
            "id": progress_log.new_id(),
            "set_at": _at(30),
            "text": "Walk to the shops and back",
            "done_at": None,
        },
    ]
    new = progress_log.build_progress_log(
        participant_id=pid,
        joint="knee",
        sessions=old["sessions"],
        exported_at=datetime.now(UTC) - timedelta(minutes=1),
        goals=goals,
    )
    _upload(app, token, new)
    page = web.client.get(f"/participants/{public_id}").get_data(as_text=True)
    stairs = page.index("Climb the stairs at my daughter&#39;s house")
    shops = page.index("Walk to the shops and back")
    assert stairs < shops  # in the order they were set
    assert page.count("<strong>done</strong>") == 1

    assert "goals" not in old
    _upload(app, token, old)  # an older app's log: the goals stay
    assert "Walk to the shops" in (_kept(app).self_management or "")
    # A log from an app of minor version 1: tools, but no goals field at all.
    minor1 = progress_log.build_progress_log(
        participant_id=pid,
        joint="knee",
        sessions=old["sessions"],
        class_questions=[
            {"id": progress_log.new_id(), "asked_at": _at(2), "text": "Ice or heat?"}
        ],
    )
    del minor1["goals"]
    minor1["minor_version"] = 1
    _upload(app, token, minor1)
    kept = _kept(app).self_management or ""
    assert "Ice or heat?" in kept and "Walk to the shops" in kept
