"""The participant app's API on SQLite and PostgreSQL: enrol, idempotent and atomic
uploads, conflicts, revoked tokens, live updates."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from instructor_support import Web, bearer, enrol
from sqlalchemy import func, select

from escape_home import progress_log
from escape_home.instructor import db
from escape_home.instructor.models import (
    LiveStatus,
    Participant,
    SessionRecord,
    TestResult,
    Token,
    Upload,
)
from escape_home.instructor.sample import make_log


def post_log(app: Flask, token: str, log: Any) -> Any:
    body = log if isinstance(log, bytes) else progress_log.dumps(log).encode()
    return app.test_client().post(
        "/api/logs", data=body, headers=bearer(token), content_type="application/json"
    )


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        s = db.session()
        return {
            m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
            for m in (Participant, SessionRecord, TestResult, Upload, Token)
        }


def test_enrol_gives_a_token_that_is_stored_only_as_a_hash(
    app: Flask, web: Web
) -> None:
    _, code = web.create_cohort()
    pid, token = enrol(app, code.lower().replace("-", " "))  # typed sloppily
    assert len(token) >= 40
    with app.app_context():
        rows = db.session().scalars(select(Token)).all()
        assert len(rows) == 1
        assert token not in rows[0].token_hash
        assert rows[0].participant.public_id == pid


def test_enrol_refuses_unknown_code_and_bad_nickname(app: Flask, web: Web) -> None:
    _, code = web.create_cohort()
    c = app.test_client()
    r = c.post("/api/enrol", json={"code": "ZZZZ-ZZZZ", "nickname": "Jo"})
    assert r.status_code == 404 and r.get_json()["error"].startswith("code:")
    r = c.post("/api/enrol", json={"code": code, "nickname": ""})
    assert r.status_code == 400 and r.get_json()["error"].startswith("nickname:")
    r = c.post("/api/enrol", json={"code": code})
    assert r.status_code == 400
    assert counts(app)["participant"] == 0


def test_same_log_twice_and_longer_log_never_duplicate(app: Flask, web: Web) -> None:
    _, code = web.create_cohort()
    _, token = enrol(app, code)
    full = make_log(sessions=5, seed=7)
    first = json.loads(json.dumps(full))
    first["sessions"] = first["sessions"][:3]
    r = post_log(app, token, first)
    assert r.status_code == 201
    assert r.get_json()["sessions_new"] == 3
    r = post_log(app, token, first)
    assert r.status_code == 200
    assert r.get_json() == {
        "sessions_new": 0,
        "sessions_updated": 0,
        "sessions_unchanged": 3,
        "sessions_stale": 0,
        "tests_new": 0,
    }
    r = post_log(app, token, full)
    assert r.get_json()["sessions_new"] == 2
    assert r.get_json()["sessions_unchanged"] == 3
    assert counts(app)["exercise_session"] == 5
    assert counts(app)["test_result"] == 1


def test_changed_session_is_updated_in_place_and_old_copy_is_ignored(
    app: Flask, web: Web
) -> None:
    _, code = web.create_cohort()
    _, token = enrol(app, code)
    log = make_log(sessions=2, seed=3)
    log["sessions"][1]["status"] = "in_progress"
    log["sessions"][1]["pain_next_day"] = None
    assert post_log(app, token, log).status_code == 201
    newer = json.loads(json.dumps(log))
    newer["sessions"][1]["status"] = "completed"
    newer["sessions"][1]["pain_next_day"] = 6
    r = post_log(app, token, newer)
    assert r.get_json()["sessions_updated"] == 1
    # A delayed retry of the older upload must not roll the session back.
    r = post_log(app, token, log)
    assert r.get_json()["sessions_stale"] == 1
    with app.app_context():
        rec = db.session().scalar(
            select(SessionRecord).where(SessionRecord.uuid == log["sessions"][1]["id"])
        )
        assert rec is not None
        assert (rec.status, rec.pain_next_day) == ("completed", 6)
    assert counts(app)["exercise_session"] == 2


def test_invalid_log_stores_nothing_and_names_the_field(app: Flask, web: Web) -> None:
    _, code = web.create_cohort()
    _, token = enrol(app, code)
    log = make_log(sessions=3)
    log["sessions"][2]["sets"][0]["reps"][0]["metrics"]["rom"] = "lots"
    before = counts(app)
    r = post_log(app, token, log)
    assert r.status_code == 422
    assert r.get_json()["error"].startswith("sessions[2].sets[0].reps[0].metrics.rom:")
    assert counts(app) == before


def test_session_of_another_participant_is_refused_whole(app: Flask, web: Web) -> None:
    _, code = web.create_cohort()
    _, tok_a = enrol(app, code, "Ann")
    _, tok_b = enrol(app, code, "Bob")
    log_a = make_log(sessions=2, seed=1)
    assert post_log(app, tok_a, log_a).status_code == 201
    # Bob's log reuses one of Ann's session IDs next to a genuinely new session.
    log_b = make_log(sessions=2, seed=2)
    log_b["sessions"][1]["id"] = log_a["sessions"][0]["id"]
    before = counts(app)
    r = post_log(app, tok_b, log_b)
    assert r.status_code == 409
    assert "sessions[1].id" in r.get_json()["error"]
    assert counts(app) == before  # Bob's first session was not stored either
    # Ann's log sent with Bob's token: the participant ID gives it away.
    r = post_log(app, tok_b, log_a)
    assert r.status_code == 409
    assert r.get_json()["error"].startswith("participant.id")


def test_revoked_or_wrong_token_is_401(app: Flask, web: Web) -> None:
    _, code = web.create_cohort()
    pid, token = enrol(app, code)
    log = make_log(sessions=1)
    assert post_log(app, token + "x", log).status_code == 401
    r = app.test_client().post("/api/logs", data=b"{}")
    assert r.status_code == 401
    r = web.post(f"/participants/{pid}/revoke")
    assert r.status_code == 302
    r = post_log(app, token, log)
    assert r.status_code == 401
    assert "enrol again" in r.get_json()["error"]
    assert counts(app)["exercise_session"] == 0


def test_live_updates_feed_the_board_and_survive_rejoin(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code, "Ann")
    c = app.test_client()
    update = {
        "exercise": "squat",
        "reps": 4,
        "cue": "Keep your chest up",
        "state": "exercising",
        "ts": 1_790_000_000.5,
    }
    assert c.post("/api/live", json=update, headers=bearer(token)).status_code == 204
    board = web.client.get(f"/cohorts/{cohort_id}/live.json").get_json()
    (card,) = board["participants"]
    assert (card["nickname"], card["reps"], card["cue"]) == (
        "Ann",
        4,
        "Keep your chest up",
    )
    c.post("/api/live", json={**update, "state": "left"}, headers=bearer(token))
    c.post(
        "/api/live",
        json={
            **update,
            "reps": 0,
            "exercise": "step_up",
            "state": "joined",
            "cue": None,
        },
        headers=bearer(token),
    )
    board = web.client.get(f"/cohorts/{cohort_id}/live.json").get_json()
    (card,) = board["participants"]
    assert (card["exercise"], card["reps"], card["state"]) == ("step_up", 0, "joined")
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(LiveStatus)) == 1


def test_live_update_validation(app: Flask, web: Web) -> None:
    _, code = web.create_cohort()
    _, token = enrol(app, code)
    c = app.test_client()
    bad = [
        ({"exercise": "moonwalk"}, "exercise"),
        ({"reps": -1}, "reps"),
        ({"reps": True}, "reps"),
        ({"cue": "x" * 201}, "cue"),
        ({"state": "dancing"}, "state"),
        ({"ts": "yesterday"}, "ts"),
        ({"video": "AAAA"}, "unexpected field"),
    ]
    for body, word in bad:
        r = c.post("/api/live", json=body, headers=bearer(token))
        assert r.status_code == 400, body
        assert word in r.get_json()["error"], (body, r.get_json())
    r = c.post("/api/live", data=b'{"reps": NaN}', headers=bearer(token))
    assert r.status_code == 400
