"""A class led live (issue 12 item 4), the server's side: GET /api/class answers every
participant's app with message ``class`` (phase none when no class is on), the
instructor's moves go gathering -> station -> rest -> ... -> ended with ``seq`` going up
at each, ``others`` counts who else is here and ``shown`` only those who chose to
share (never the asker), another class sees nothing, an ended class becomes ``none``
after 10 minutes, and migration 0009 goes up and down on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from flask import Flask
from instructor_support import Web, bearer, enrol
from sqlalchemy import inspect, select

from escape_home import messages
from escape_home.instructor import db, live_class
from escape_home.instructor.models import Base, Cohort, LiveStatus, utcnow
from escape_home.participant.programme import load_programme


def _class(app: Flask, token: str) -> dict[str, Any]:
    r = app.test_client().get("/api/class", headers=bearer(token))
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"
    return messages.validate("class", r.get_json())  # what the app checks too


def _live(app: Flask, token: str, **body: Any) -> None:
    r = app.test_client().post("/api/live", json=body, headers=bearer(token))
    assert r.status_code == 204, r.get_data(as_text=True)


def _start(app: Flask, cohort_id: int, leader: str = "Alice", number: int = 1) -> Any:
    with app.app_context():
        return live_class.start(db.session().get(Cohort, cohort_id), leader, number)


def _move(app: Flask, cohort_id: int, action: str) -> Any:
    with app.app_context():
        return live_class.move(db.session().get(Cohort, cohort_id), action)


def test_no_class_is_phase_none_and_the_token_is_needed(app: Flask, web: Web) -> None:
    _, code = web.create_cohort()
    _, token = enrol(app, code)
    body = _class(app, token)
    assert body["phase"] == messages.NO_CLASS
    assert body["seq"] == 0
    assert messages.with_defaults("class", body)["class_id"] is None
    for headers in ({}, bearer("not-a-token")):
        r = app.test_client().get("/api/class", headers=headers)
        assert r.status_code == 401
        messages.validate("error", r.get_json())


def test_the_phases_in_order_with_seq_going_up(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code)
    circuit = load_programme().session(3)["circuit"]
    run = _start(app, cohort_id, "  Alice\u202e  ", 3)
    got = _class(app, token)
    assert got["phase"] == messages.GATHERING
    assert got["class_id"] == run.id
    assert got["leader"] == "Alice"  # cleaned like a name
    assert got["stations"] == circuit
    assert got["station"] is None and got["exercise"] is None
    assert got["next_exercise"] == circuit[0]
    seqs = [got["seq"]]
    expected = [
        ("next", messages.STATION, 0, circuit[0], circuit[1]),
        ("rest", messages.REST, 0, None, circuit[1]),
        ("next", messages.STATION, 1, circuit[1], circuit[2]),
        ("next", messages.STATION, 2, circuit[2], circuit[3]),
    ]
    for action, phase, station, exercise, after in expected:
        _move(app, cohort_id, action)
        got = _class(app, token)
        assert (got["phase"], got["station"]) == (phase, station), action
        assert (got["exercise"], got["next_exercise"]) == (exercise, after), action
        assert got["changed_at"] <= got["server_time"]
        seqs.append(got["seq"])
    for _ in range(len(circuit) - 3):
        _move(app, cohort_id, "next")
    last = _class(app, token)
    assert last["station"] == len(circuit) - 1 and last["next_exercise"] is None
    with pytest.raises(live_class.ClassError, match="last station"):
        _move(app, cohort_id, "next")
    _move(app, cohort_id, "end")
    got = _class(app, token)
    assert got["phase"] == messages.ENDED and got["exercise"] is None
    assert got["class_id"] == run.id
    seqs.append(got["seq"])
    assert seqs == sorted(set(seqs)) and seqs[0] == 1
    with pytest.raises(live_class.ClassError, match="No class is on"):
        _move(app, cohort_id, "next")
    # A new class carries on from the last seq: an app never sees it go back.
    again = _start(app, cohort_id)
    assert again.id != run.id
    assert _class(app, token)["seq"] == got["seq"] + 1


def test_starting_twice_is_refused_and_rest_needs_a_station(
    app: Flask, web: Web
) -> None:
    cohort_id, _ = web.create_cohort()
    _start(app, cohort_id)
    with pytest.raises(live_class.ClassError, match="already on"):
        _start(app, cohort_id)
    with pytest.raises(live_class.ClassError, match="Rest comes after a station"):
        _move(app, cohort_id, "rest")
    _move(app, cohort_id, "next")
    _move(app, cohort_id, "rest")
    with pytest.raises(live_class.ClassError, match="already resting"):
        _move(app, cohort_id, "rest")


def test_others_and_shown(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    tokens = {name: enrol(app, code, name)[1] for name in ("Ann", "Bob", "Cy")}
    _, lone = enrol(app, web.create_cohort("Friday class")[1], "Dee")
    _start(app, cohort_id)
    _live(app, tokens["Ann"], state="joined")  # share is off by default
    _live(app, tokens["Bob"], state="exercising", exercise="squat", reps=7, share=True)
    _live(app, tokens["Cy"], state="exercising", exercise="squat", reps=3, share=False)
    _live(app, lone, state="exercising", exercise="squat", reps=9, share=True)
    with app.app_context():
        rows = db.session().execute(select(LiveStatus.reps, LiveStatus.share))
        shares = {reps: share for reps, share in rows}
    assert shares == {0: False, 7: True, 3: False, 9: True}  # stored by POST /api/live
    bob = {"nickname": "Bob", "reps": 7, "exercise": "squat"}
    ann = _class(app, tokens["Ann"])
    assert (ann["others"], ann["shown"]) == (2, [bob])
    cy = _class(app, tokens["Cy"])
    assert (cy["others"], cy["shown"]) == (2, [bob])
    seen_by_bob = _class(app, tokens["Bob"])
    assert (seen_by_bob["others"], seen_by_bob["shown"]) == (2, [])  # never themselves
    # Another class sees no class at all, and nobody of this one.
    other = _class(app, lone)
    assert other["phase"] == messages.NO_CLASS and other["others"] == 0
    # Saying no stops sharing at the next update; a finished session is not here.
    _live(app, tokens["Bob"], state="resting", exercise="squat", reps=7)
    _live(app, tokens["Cy"], state="finished")
    ann = _class(app, tokens["Ann"])
    assert (ann["others"], ann["shown"]) == (1, [])


def test_someone_not_heard_from_for_30_s_is_not_here(
    app: Flask, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort_id, code = web.create_cohort()
    _, ann = enrol(app, code, "Ann")
    _, bob = enrol(app, code, "Bob")
    _live(app, bob, state="exercising", share=True)  # before the class: not counted
    _start(app, cohort_id)
    assert _class(app, ann)["others"] == 0
    _live(app, bob, state="exercising", share=True)
    assert _class(app, ann)["others"] == 1
    later = utcnow() + timedelta(seconds=live_class.HERE_S + 1)
    monkeypatch.setattr(live_class, "utcnow", lambda: later)
    assert _class(app, ann)["others"] == 0


def test_an_ended_class_becomes_none_after_10_minutes(
    app: Flask, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code)
    _start(app, cohort_id)
    ended = _move(app, cohort_id, "end")
    at = ended.ended_at + timedelta(seconds=live_class.ENDED_SHOWN_S - 1)
    monkeypatch.setattr(live_class, "utcnow", lambda: at)
    assert _class(app, token)["phase"] == messages.ENDED
    at = ended.ended_at + timedelta(seconds=live_class.ENDED_SHOWN_S + 1)
    monkeypatch.setattr(live_class, "utcnow", lambda: at)
    body = _class(app, token)
    assert body["phase"] == messages.NO_CLASS and body["seq"] == ended.seq


def test_a_class_left_on_for_hours_is_over(
    app: Flask, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code)
    run = _start(app, cohort_id)
    later = run.changed_at + timedelta(seconds=live_class.ABANDONED_S + 1)
    monkeypatch.setattr(live_class, "utcnow", lambda: later)
    assert _class(app, token)["phase"] == messages.NO_CLASS
    with pytest.raises(live_class.ClassError, match="No class is on"):
        _move(app, cohort_id, "next")
    again = _start(app, cohort_id)  # not refused as "already on"
    assert _class(app, token)["class_id"] == again.id


def _alembic(engine: Any, target: str, down: bool = False) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def test_migration_0009_down_and_up(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code)
    _live(app, token, state="joined", share=True)
    _start(app, cohort_id)
    engine = app.extensions["escape_home_db"]["engine"]
    _alembic(engine, "0008", down=True)
    look = inspect(engine)
    assert "class_run" not in look.get_table_names()
    assert "share" not in {c["name"] for c in look.get_columns("live_status")}
    _alembic(engine, "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    body = _class(app, token)  # the live row kept, share back to its default
    assert body["phase"] == messages.NO_CLASS
    with app.app_context():
        row = db.session().scalar(select(LiveStatus))
        assert row is not None and row.share is False
