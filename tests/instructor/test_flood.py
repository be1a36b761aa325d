"""One enrolled participant flooding the server (issue 11, item 5): uploads are
limited per token (429 with Retry-After, others unaffected), and what one
participant can store is bounded (422 naming the limit, nothing stored)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from flask import Flask
from instructor_support import Web, bearer, enrol
from sqlalchemy import func, select

from escape_home import progress_log
from escape_home.instructor import db
from escape_home.instructor.models import SessionRecord, TestResult, Upload
from escape_home.instructor.sample import make_log


def flood_log(sessions: int, *, seed: int = 1, tests: int = 1) -> dict[str, Any]:
    """A valid log with `sessions` sessions, each a fresh ID (numbers 1-12 repeat)."""
    log = make_log(sessions=12, reps=2, seed=seed)
    base = log["sessions"]
    log["sessions"] = [
        dict(copy.deepcopy(base[i % 12]), id=str(uuid.uuid4())) for i in range(sessions)
    ]
    log["tests"] = [
        dict(copy.deepcopy(log["tests"][0]), id=str(uuid.uuid4())) for _ in range(tests)
    ]
    return log


def post(app: Flask, token: str, log: dict[str, Any]) -> Any:
    return app.test_client().post(
        "/api/logs",
        data=progress_log.dumps(log).encode(),
        headers=bearer(token),
        content_type="application/json",
    )


def stored(app: Flask) -> dict[str, int]:
    with app.app_context():
        s = db.session()
        return {
            m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
            for m in (SessionRecord, TestResult, Upload)
        }


def test_200_new_session_ids_are_refused_whole_naming_the_limit(
    app: Flask, web: Web
) -> None:
    _, code = web.create_cohort()
    _, token = enrol(app, code)
    r = post(app, token, flood_log(200))
    assert r.status_code == 422, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error.startswith("sessions: ") and "at most 120 per participant" in error
    assert "200 new" in error and "nothing was stored" in error
    assert stored(app) == {"exercise_session": 0, "test_result": 0, "upload": 0}
    # Up to the limit is fine (a participant redoing and interrupting sessions);
    # the same log again changes nothing; one more new session is refused.
    full = flood_log(120)
    assert post(app, token, full).status_code == 201
    again = post(app, token, full)
    assert again.status_code == 200 and again.get_json()["sessions_unchanged"] == 120
    more = copy.deepcopy(full)
    more["sessions"].append(dict(full["sessions"][0], id=str(uuid.uuid4())))
    r = post(app, token, more)
    assert r.status_code == 422 and "121 sessions (1 new)" in r.get_json()["error"]
    assert stored(app)["exercise_session"] == 120
    # Another participant is not affected by the first one's sessions.
    _, other = enrol(app, code, "Sam")
    assert post(app, other, make_log(sessions=12, seed=5)).status_code == 201


def test_test_results_per_participant_are_bounded(make_app: Any) -> None:
    from instructor_support import add_instructor, login

    app = make_app("sqlite", MAX_TESTS_PER_PARTICIPANT=3)
    add_instructor(app, "alice")
    _, code = login(app, "alice").create_cohort()
    _, token = enrol(app, code)
    assert post(app, token, flood_log(2, tests=3)).status_code == 201
    r = post(app, token, flood_log(2, tests=1))
    assert r.status_code == 422
    assert (
        r.get_json()["error"].startswith("tests: ")
        and "at most 3" in r.get_json()["error"]
    )
    assert stored(app) == {"exercise_session": 2, "test_result": 3, "upload": 1}


def test_rapid_uploads_from_one_token_get_429_and_others_still_upload(
    app: Flask, web: Web
) -> None:
    """The default limit (6 a minute per token): the 7th quick upload is refused
    with Retry-After in seconds; another participant's upload goes through."""
    _, code = web.create_cohort()
    _, flooder = enrol(app, code, "Flood")
    _, other = enrol(app, code, "Sam")
    app_id = str(uuid.uuid4())
    codes = [
        post(app, flooder, make_log(participant_id=app_id, sessions=1 + i)).status_code
        for i in range(6)
    ]
    assert codes == [201] * 6
    uploads = stored(app)["upload"]
    r = post(app, flooder, make_log(participant_id=app_id, sessions=7))
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    error = r.get_json()["error"]
    assert error.startswith("uploads: too many from this device")
    assert "6 per minute" in error and "send again in" in error
    assert stored(app)["upload"] == uploads  # nothing parsed or stored
    assert post(app, other, make_log(sessions=2, seed=3)).status_code == 201


def test_upload_limit_is_configurable(make_app: Any) -> None:
    from instructor_support import add_instructor, login

    app = make_app("sqlite", UPLOAD_RATE_LIMIT="2 per minute")
    add_instructor(app, "alice")
    _, code = login(app, "alice").create_cohort()
    _, token = enrol(app, code)
    codes = [post(app, token, make_log(sessions=2)).status_code for _ in range(3)]
    assert codes == [201, 200, 429]
