"""The instructor's plan reaches the app (issue 12 item 1), against the real
instructor server on loopback: fetched at a sync and kept (offline too), told on Home
in plain words, followed in the session, stepped back from when pain says so (and
the instructor sees it), a plan the app cannot follow ignored with a plain note; and
in real Chromium, a change made on the instructor's page shown and followed by the
app. With no instructor linked, the steps are exactly the programme's."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from participant_support import ARTIFACTS, LiveServer, Person, axe_violations
from test_participant_with_instructor import _signed_in, instructor_server

from escape_home.participant import create_app, plan_store, remote
from escape_home.participant.db import connect

__all__ = ["instructor_server"]  # the fixture, used by name


def _app(tmp_path: Path, **extra: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "p.sqlite3"),
            "REMOTE_RETRY_S": 3600.0,  # the test syncs by hand
            **extra,
        }
    )


def _close(app: Flask) -> None:
    app.extensions["escape_home.remote"].stop()
    app.extensions["escape_home.writer"].close()


def _enrol(client: FlaskClient, url: str, code: str) -> None:
    Person(client).sign_up()
    page = client.post(
        "/settings",
        data={"action": "enrol", "server": url, "code": code},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "now linked" in page


def _public_id(server_app: Flask) -> str:
    from sqlalchemy import select

    from escape_home.instructor import db as instructor_db
    from escape_home.instructor.models import Participant

    with server_app.app_context():
        found = instructor_db.session().scalar(select(Participant.public_id))
    assert found is not None
    return str(found)


def _save_plan(web: Any, path: str, data: dict[str, str]) -> None:
    page = web.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    r = web.post(path, data={"csrf_token": token.group(1), **data})
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]


def _steps(client: FlaskClient, sid: str) -> list[dict[str, Any]]:
    page = client.get(f"/session/{sid}/play").get_data(as_text=True)
    m = re.search(r'<script type="application/json" id="plan">(.*?)</script>', page)
    assert m is not None
    steps: list[dict[str, Any]] = json.loads(m.group(1))
    return steps


def _squat_set(client: FlaskClient, sid: str) -> tuple[dict[str, Any], int]:
    steps = _steps(client, sid)
    index = next(i for i, s in enumerate(steps) if s.get("exercise") == "squat")
    r = client.post(f"/api/session/{sid}/set/start", json={"step": index})
    set_id = int(r.get_json()["set_id"])
    client.post(f"/api/session/{sid}/set/{set_id}/end", json={"outcome": "done"})
    return steps[index], set_id


def test_no_instructor_the_steps_are_the_programmes(tmp_path: Path) -> None:
    app = _app(tmp_path)
    try:
        client = app.test_client()
        person = Person(client)
        person.sign_up()
        sid = person.start_session()
        prog = app.extensions["escape_home.programme"]
        assert _steps(client, sid) == json.loads(json.dumps(prog.plan(1, {})))
        assert "changed your plan" not in client.get("/").get_data(as_text=True)
        assert not app.extensions["escape_home.remote"].fetch_plan()  # not linked
    finally:
        _close(app)


def test_the_plan_is_fetched_told_followed_and_stepped_back_from(
    tmp_path: Path,
    instructor_server: tuple[str, str, Flask],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, code, server_app = instructor_server
    app = _app(tmp_path)
    client = app.test_client()
    sync: remote.RemoteClient = app.extensions["escape_home.remote"]
    try:
        _enrol(client, url, code)
        assert not sync.fetch_plan()  # the server has no plan yet: nothing changes
        assert "changed your plan" not in client.get("/").get_data(as_text=True)

        web = _signed_in(server_app)
        who = f"/participants/{_public_id(server_app)}"
        _save_plan(
            web,
            f"{who}/plan",
            {
                "squat.level": "3",
                "squat.target_reps": "12",
                "squat.note": "keep the chair against the wall",
            },
        )
        assert sync.fetch_plan()
        home = client.get("/").get_data(as_text=True)
        assert "Your instructor changed your plan" in home
        assert "Mini squat: level 3 instead of level 1" in home
        assert "Mini squat: 12 repetitions instead of 8" in home
        assert "a note from your instructor: keep the chair against the wall" in home

        person = Person(client)
        sid = person.start_session()
        step, _ = _squat_set(client, sid)
        assert (step["level"], step["target_reps"]) == (3, 12)
        assert step["note"] == "keep the chair against the wall"
        assert "changed your plan" not in client.get("/").get_data(as_text=True)
        client.post(f"/session/{sid}/after", data={"pain": "7", "exertion": "5"})
        summary = client.get(f"/session/{sid}/summary").get_data(as_text=True)
        assert re.search(r'name="choice_squat" value="back"\s+checked', summary)
        client.post(f"/session/{sid}/summary", data={"choice_squat": "back"})

        # The pain rules win: level 2 while the plan says 3, and it is logged.
        other = person.start_session()
        step, _ = _squat_set(client, other)
        assert (step["level"], step["stepped_back_from"]) == (2, 3)
        assert step["target_reps"] == 12  # the plan's target still holds
        assert "Mini squat" in step["name"]
        client.post(f"/session/{other}/after", data={"pain": "3", "exertion": "4"})
        app.extensions["escape_home.writer"].flush()
        assert sync.upload_now(), sync.last_error
        page = web.get(who).get_data(as_text=True)
        assert "Mini squat: plan followed" in page
        assert "Mini squat: stepped back from level 3 to 2 (pain)" in page

        # From here the test fetches by hand only: the background rounds (woken by
        # the session's upload) stop, so none fetches the good plan again between
        # the refusal below and the look at Home (a race seen in CI).
        sync.stop()
        # A plan the app cannot follow is not used: the last good one stays.
        kept = plan_store.current(connect(app.config["DATABASE"]))
        bad = {**kept, "version": 99, "items": {"squat": {"level": 9}}}
        monkeypatch.setattr(remote, "get_json", lambda *a, **k: (200, bad))
        assert not sync.fetch_plan()
        home = client.get("/").get_data(as_text=True)
        assert "latest plan could not be used (Mini squat has levels 1 to 4" in home
        assert plan_store.current(connect(app.config["DATABASE"])) == kept

        # Offline: the kept plan is followed.
        def offline(*_a: Any, **_k: Any) -> Any:
            raise remote.RemoteError("The server could not be reached.")

        monkeypatch.setattr(remote, "get_json", offline)
        assert not sync.fetch_plan()
        third = person.start_session()
        assert _squat_set(client, third)[0]["plan_version"] == kept["version"]
    finally:
        _close(app)


def test_a_change_on_the_instructors_page_is_shown_and_followed_in_chromium(
    tmp_path: Path,
    instructor_server: tuple[str, str, Flask],
    browser: Any,
    fast_programme: Path,
) -> None:
    """Real app, real server, real Chromium: the instructor sets 5 squats (the
    programme says 3) on the participant's plan page; the app's Home says so at the
    next sync and the session's squat set counts towards 5."""
    from participant_support import seed_session

    url, code, server_app = instructor_server
    app = _app(tmp_path, PROGRAMME=str(fast_programme), REMOTE_RETRY_S=0.2)
    client = app.test_client()
    _enrol(client, url, code)
    who = f"/participants/{_public_id(server_app)}"
    inst_url = url  # the fixture serves the instructor app too
    srv = LiveServer(app)
    ctx = browser.new_context(viewport={"width": 1024, "height": 700})
    page = ctx.new_page()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(f"{inst_url}/login")
        page.fill("#username", "jo")
        page.fill("#password", "pw-long-enough-1")
        page.click("button[type=submit]")
        page.goto(f"{inst_url}{who}")
        page.click("#plan-link")
        page.wait_for_url(f"**{who}/plan")
        assert axe_violations(page) == []
        page.fill("#squat-target_reps", "500")  # impossible: refused, named, kept
        page.click("#save-plan")
        page.wait_for_selector("#plan-problems")
        assert "give 1 to 50" in page.inner_text("#squat-target_reps-error")
        assert page.input_value("#squat-target_reps") == "500"
        assert axe_violations(page) == []
        page.fill("#squat-target_reps", "5")
        page.fill("#squat-note", "keep the chair against the wall")
        page.click("#save-plan")
        page.wait_for_selector(".flash.ok")
        page.screenshot(path=str(ARTIFACTS / "instructor-plan.png"), full_page=True)

        home = ctx.new_page()
        deadline = time.monotonic() + 30  # the app syncs every 0.2 s here
        while True:
            home.goto(f"{srv.url}/")
            if home.locator("#plan-news").count():
                break
            assert time.monotonic() < deadline, "the plan never reached Home"
            home.wait_for_timeout(300)
        news = home.inner_text("#plan-news")
        assert "Your instructor changed your plan" in news
        assert "Mini squat: 5 repetitions instead of 3" in news
        assert axe_violations(home) == []
        home.screenshot(path=str(ARTIFACTS / "participant-plan-news.png"))

        steps = json.loads(
            json.dumps(app.extensions["escape_home.programme"].plan(1, {}))
        )
        squat = next(i for i, s in enumerate(steps) if s["kind"] == "exercise")
        sid = seed_session(app, step=squat)
        home.goto(f"{srv.url}/session/{sid}/play")
        home.wait_for_selector("#card .plan-note")
        card = home.inner_text("#card")
        assert "Aim for 5 repetitions." in card
        assert "A note from your instructor: keep the chair against the wall" in card
        home.click("#primary")  # Start
        home.wait_for_function(
            "() => document.getElementById('count-of').textContent.includes('5')"
        )
        assert home.inner_text("#count-of") == "of 5 repetitions"
        conn = connect(app.config["DATABASE"])
        row = conn.execute(
            "SELECT target_reps, plan_version FROM exercise_set"
        ).fetchone()
        conn.close()
        assert (row["target_reps"], row["plan_version"]) == (5, 1)
    finally:
        ctx.close()
        srv.close()


def test_moving_from_the_plans_level_lasts_until_the_instructor_names_another(
    tmp_path: Path,
) -> None:
    """A step back (pain) or up (the programme's rule) from the plan's level is
    what the next session uses; back at the plan's level, or a new level from the
    instructor, and the plan's level holds again."""
    app = _app(tmp_path)
    conn = connect(app.config["DATABASE"])
    try:
        plan = {"version": 1, "updated_at": None, "items": {"squat": {"level": 3}}}
        assert plan_store.save(conn, plan)
        assert plan_store.levels(conn)["squat"] == 3
        plan_store.chosen(conn, {"squat": ("up", 4), "marching": ("up", 2)})
        assert plan_store.levels(conn)["squat"] == 4  # up from the plan's level
        plan_store.chosen(conn, {"squat": ("back", 3)})
        assert plan_store.levels(conn)["squat"] == 3
        assert plan_store.step_backs(conn) == {}  # back at the plan's: nothing kept
        plan_store.chosen(conn, {"squat": ("back", 2)})
        assert plan_store.levels(conn)["squat"] == 2
        plan = {**plan, "version": 2, "items": {"squat": {"level": 4}}}
        plan_store.save(conn, plan)
        assert plan_store.levels(conn)["squat"] == 4  # the instructor's new level
        conn.commit()
    finally:
        conn.close()
        _close(app)
