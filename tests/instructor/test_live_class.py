"""A class led live (issue 12 item 4), the server's side: GET /api/class answers every
participant's app with message ``class`` (phase none when no class is on), the
instructor's moves go gathering -> station -> rest -> ... -> ended with ``seq`` going up
at each, ``others`` counts who else is here and ``shown`` only those who chose to
share (never the asker), another class sees nothing, an ended class becomes ``none``
after 10 minutes, and migration 0009 goes up and down on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from flask import Flask
from instructor_support import Web, add_instructor, bearer, enrol, login
from sqlalchemy import delete, event, func, inspect, select

from escape_home import messages
from escape_home.instructor import db, live_class
from escape_home.instructor.models import (
    Base,
    ClassRun,
    Cohort,
    LiveStatus,
    utcnow,
)
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


# ---- The live board's "Lead the class" panel, through the real routes (CSRF on).


def _page(web: Web, cohort_id: int, query: str = "") -> str:
    r = web.client.get(f"/cohorts/{cohort_id}/live{query}")
    assert r.status_code == 200
    return str(r.get_data(as_text=True))


def _names(number: int) -> list[str]:
    prog = load_programme()
    return [prog.exercises[ex]["name"] for ex in prog.session(number)["circuit"]]


def test_leading_a_class_from_the_live_board_without_js(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code)
    url = f"/cohorts/{cohort_id}/class"
    page = _page(web, cohort_id)
    assert "Lead the class" in page and "Start the class" in page
    assert '<option value="1" selected>' in page  # no class yet: session 1
    assert 'name="leader" value="Alice"' in page  # the username, capital first
    names = _names(2)
    r = web.post(url, {"action": "start", "number": "2", "leader": "Alice B"})
    assert r.status_code == 303 and r.headers["Location"].endswith(
        f"/cohorts/{cohort_id}/live"
    )
    page = _page(web, cohort_id)
    assert "The class has started: session 2, led by Alice B." in page  # flash
    assert "Gathering: participants are doing their warm-up" in page
    assert f"First station: {names[0]}" in page and "End the class" in page
    assert ">Rest<" not in page  # no rest before a station
    body = _class(app, token)
    assert (body["phase"], body["leader"]) == (messages.GATHERING, "Alice B")
    seq = body["seq"]
    r = web.post(url, {"action": "next", "seq": str(seq)})
    assert r.status_code == 303
    page = _page(web, cohort_id)
    assert f"Station 1 of {len(names)}: {names[0]}" in page
    assert f"Next station: {names[1]}" in page and ">Rest<" in page
    assert 'aria-current="step" class="now">' + names[0] in page
    assert _class(app, token)["seq"] == seq + 1
    # A second click from the same (old) page does not move the class twice.
    r = web.post(url, {"action": "next", "seq": str(seq)})
    assert r.status_code == 409
    assert "had already moved on" in r.get_data(as_text=True)
    assert _class(app, token)["station"] == 0
    assert web.post(url, {"action": "rest", "seq": str(seq + 1)}).status_code == 303
    page = _page(web, cohort_id)
    assert f"Rest. Next: {names[1]}" in page
    assert _class(app, token)["phase"] == messages.REST
    # End asks to confirm first (a plain link back to the board, no JS needed).
    page = _page(web, cohort_id, "?confirm=end")
    assert "End the class for everyone?" in page and "Yes, end the class" in page
    assert _class(app, token)["phase"] == messages.REST  # asking changed nothing
    assert web.post(url, {"action": "end", "seq": str(seq + 2)}).status_code == 303
    page = _page(web, cohort_id)
    assert "The class has ended." in page and "Start the class" in page
    assert '<option value="3" selected>' in page  # the next session by default
    assert _class(app, token)["phase"] == messages.ENDED


def test_the_buttons_answer_json_for_live_js_and_live_json_has_the_class(
    app: Flask, web: Web
) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code, "Ann")
    _live(app, token, state="joined", share=True)
    live_json = web.client.get(f"/cohorts/{cohort_id}/live.json").get_json()
    assert live_json["class"] is None
    assert live_json["participants"][0]["share"] is True
    accept = {"Accept": "application/json"}
    r = web.post(f"/cohorts/{cohort_id}/class", {"action": "start"}, headers=accept)
    assert r.status_code == 200
    got = r.get_json()
    assert got["message"].startswith("The class has started: session 1, led by Alice")
    assert got["class"]["phase"] == messages.GATHERING
    assert got["class"]["buttons"][0]["action"] == "next"
    r = web.post(
        f"/cohorts/{cohort_id}/class", {"action": "rest", "seq": "1"}, headers=accept
    )
    assert r.status_code == 409
    assert r.get_json()["error"].startswith("Rest comes after a station")
    assert r.get_json()["class"]["seq"] == 1
    live_json = web.client.get(f"/cohorts/{cohort_id}/live.json").get_json()
    cls = live_json["class"]
    assert (cls["phase"], cls["seq"], cls["leader"]) == (messages.GATHERING, 1, "Alice")
    assert cls["stations"] == load_programme().session(1)["circuit"]
    assert cls["station_names"] == _names(1)
    assert cls["text"] == "Gathering: participants are doing their warm-up"


@pytest.mark.parametrize(
    "data,status,text",
    [
        ({"action": "dance"}, 400, "action: choose Start the class"),
        ({}, 400, "action: choose"),
        ({"action": "start", "number": "0"}, 400, "Session number: 0 is not"),
        ({"action": "start", "number": "13"}, 400, "Session number: 13 is not"),
        ({"action": "start", "number": "x"}, 400, "Session number: choose"),
        ({"action": "start", "number": "1", "leader": "A" * 81}, 400, "keep it to 80"),
        ({"action": "start", "number": "1", "leader": "B" * 200_000}, 400, "to 80"),
        ({"action": "next", "seq": "x"}, 400, "seq: reload the page"),
        ({"action": "next"}, 409, "No class is on now"),
        ({"action": "end"}, 409, "No class is on now"),
    ],
)
def test_hostile_or_impossible_moves_are_refused_in_plain_words(
    app: Flask, web: Web, data: dict[str, str], status: int, text: str
) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code)
    r = web.post(f"/cohorts/{cohort_id}/class", data)
    assert r.status_code == status
    page = r.get_data(as_text=True)
    assert text in page and 'role="alert"' in page
    assert "B" * 1000 not in page  # a huge name is not sent back
    assert _class(app, token)["phase"] == messages.NO_CLASS  # nothing started


def test_no_csrf_or_someone_elses_class_changes_nothing(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code)
    r = web.client.post(f"/cohorts/{cohort_id}/class", data={"action": "start"})
    assert r.status_code == 400  # no CSRF token
    assert _class(app, token)["phase"] == messages.NO_CLASS
    add_instructor(app, "mallory")
    mallory = login(app, "mallory")
    r = mallory.post(f"/cohorts/{cohort_id}/class", {"action": "start"})
    assert r.status_code == 404
    assert mallory.client.get(f"/cohorts/{cohort_id}/live").status_code == 404
    assert _class(app, token)["phase"] == messages.NO_CLASS
    web.post(f"/cohorts/{cohort_id}/class", {"action": "start"})
    r = mallory.post(f"/cohorts/{cohort_id}/class", {"action": "end"})
    assert r.status_code == 404
    assert _class(app, token)["phase"] == messages.GATHERING
    signed_out = app.test_client()
    r = signed_out.post(f"/cohorts/{cohort_id}/class", data={"action": "end"})
    assert r.status_code in (302, 400)  # to the sign-in page, or no CSRF
    assert _class(app, token)["phase"] == messages.GATHERING


def test_the_default_session_is_the_one_after_the_last_class(
    app: Flask, web: Web
) -> None:
    cohort_id, _ = web.create_cohort()
    for number in (11, 12):
        _start(app, cohort_id, number=number)
        _move(app, cohort_id, "end")
    assert '<option value="12" selected>' in _page(web, cohort_id)  # at most 12


def test_removing_a_participant_or_a_class_erases_what_the_class_shows(
    app: Flask, web: Web
) -> None:
    cohort_id, code = web.create_cohort()
    ann_id, ann = enrol(app, code, "Ann")
    _, bob = enrol(app, code, "Bob")
    _start(app, cohort_id)
    _live(app, ann, state="joined", share=True)
    assert _class(app, bob)["shown"][0]["nickname"] == "Ann"
    r = web.post(f"/participants/{ann_id}/remove", {"confirm": "y"})
    assert r.status_code == 302
    after = _class(app, bob)
    assert (after["others"], after["shown"]) == (0, [])  # gone from the class too
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(LiveStatus)) == 0
    with app.app_context(), db.writing() as s:
        s.execute(delete(Cohort).where(Cohort.id == cohort_id))  # FK cascade
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(ClassRun)) == 0


def test_starts_at_once_make_one_class_and_moves_at_once_move_it_once(
    app: Flask, web: Web
) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code)
    barrier = threading.Barrier(6)

    def at_once(fn: Any) -> list[str]:
        def one() -> str:
            barrier.wait()
            try:
                fn()
                return "ok"
            except live_class.ClassError as exc:
                return str(exc)

        with ThreadPoolExecutor(6) as pool:
            return list(pool.map(lambda _: one(), range(6)))

    started = at_once(lambda: _start(app, cohort_id))
    assert started.count("ok") == 1, started
    assert all("already on" in r for r in started if r != "ok")
    seq = _class(app, token)["seq"]

    def next_from_this_page() -> None:
        with app.app_context():
            cohort = db.session().get(Cohort, cohort_id)
            live_class.move(cohort, "next", seq=seq)

    moved = at_once(next_from_this_page)
    assert moved.count("ok") == 1, moved  # six clicks from one page: one move
    got = _class(app, token)
    assert (got["seq"], got["station"]) == (seq + 1, 0)


def test_a_poll_is_a_few_small_queries(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    tokens = [enrol(app, code, f"P{i}")[1] for i in range(5)]
    _start(app, cohort_id)
    for t in tokens:
        _live(app, t, state="exercising", reps=3, share=True)
    engine = app.extensions["escape_home_db"]["engine"]
    statements: list[str] = []

    def count(_conn: Any, _cur: Any, sql: str, *_: Any) -> None:
        statements.append(sql)

    event.listen(engine, "before_cursor_execute", count)
    try:
        body = _class(app, tokens[0])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (body["others"], len(body["shown"])) == (4, 4)
    # The token with its participant, the cohort's latest run, who else is here.
    assert len(statements) <= 3, statements
