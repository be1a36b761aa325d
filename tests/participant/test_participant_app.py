"""The participant app's pages and API through Flask's test client (no camera)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from participant_support import Person

from escape_home import progress_log
from escape_home.participant import create_app


def test_first_visit_goes_to_the_profile(client: FlaskClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/profile"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"nickname": "", "joint": "knee", "age_band": "65-69"},
            "first name or nickname",
        ),
        ({"nickname": "A" * 41, "joint": "knee", "age_band": "65-69"}, "up to 40"),
        ({"nickname": "Ann", "joint": "elbow", "age_band": "65-69"}, "which joint"),
        ({"nickname": "Ann", "joint": "hip", "age_band": "30-34"}, "age group"),
        ({"nickname": "Ann", "joint": "hip", "age_band": "65-69", "sex": "x"}, "sex"),
    ],
)
def test_profile_validation(
    client: FlaskClient, form: dict[str, str], message: str
) -> None:
    resp = client.post("/profile", data=form)
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)


def test_a_yes_in_the_safety_check_stops_with_advice(
    client: FlaskClient, person: Person, app: Flask
) -> None:
    person.sign_up()
    page = client.get("/safety").get_data(as_text=True)
    assert "chest pain" in page
    keys = [k.split('"')[0] for k in page.split('name="')[1:] if 'value="no"' in k]
    answers = {k: "no" for k in keys if k != "csrf_token"}
    answers["chest_pain"] = "yes"
    resp = client.post("/safety", data=answers)
    text = resp.get_data(as_text=True)
    assert "Please do not exercise today" in text
    assert "999" in text and "111" in text
    conn = sqlite3.connect(app.config["DATABASE"])
    status, any_yes = conn.execute("SELECT status, any_yes FROM session").fetchone()
    assert (status, any_yes) == ("stopped_safety", 1)


def test_brief_check_after_the_first_session(
    client: FlaskClient, person: Person
) -> None:
    person.sign_up()
    person.start_session()
    brief = client.get("/safety").get_data(as_text=True)
    assert "chest pain" in brief
    assert "unexplained" not in brief and "without trying" not in brief


def test_whole_session_without_camera_lands_in_the_log(
    client: FlaskClient, person: Person, app: Flask
) -> None:
    person.sign_up()
    sid = person.start_session()
    assert (
        client.post(f"/session/{sid}/pain-before", data={"pain": "2"}).status_code
        == 302
    )
    plan = app.extensions["escape_home.programme"].plan(1, {})
    index = next(i for i, s in enumerate(plan) if s["kind"] == "exercise")
    started = client.post(
        f"/api/session/{sid}/set/start", json={"step": index}
    ).get_json()
    assert started["tracking"] is False  # no camera in this app
    end = client.post(
        f"/api/session/{sid}/set/{started['set_id']}/end", json={"outcome": "done"}
    )
    assert end.status_code == 200
    resp = client.post(f"/session/{sid}/after", data={"pain": "7", "exertion": "6"})
    assert resp.headers["Location"].endswith("/summary")
    summary = client.get(f"/session/{sid}/summary").get_data(as_text=True)
    assert "Red" in summary
    log = json.loads(client.get("/progress/export").get_data())
    progress_log.validate(log)
    assert log["sessions"][0]["status"] == "completed"
    assert log["sessions"][0]["pain_after"] == 7
    assert log["sessions"][0]["sets"][0]["exercise"] == plan[index]["exercise"]
    assert "1 of 12" in client.get("/progress").get_data(as_text=True)


def test_bad_api_input_is_refused_with_a_reason(
    client: FlaskClient, person: Person
) -> None:
    person.sign_up()
    sid = person.start_session()
    resp = client.post(f"/api/session/{sid}/set/start", json={"step": 0})
    assert resp.status_code == 400
    assert "exercise" in resp.get_json()["error"]
    assert client.post(f"/api/session/{sid}/step", json={"step": -1}).status_code == 400
    assert client.get("/session/nope/play").status_code == 404


def test_interrupted_session_can_be_resumed_or_closed(tmp_path: Path) -> None:
    config = {
        "TESTING": True,
        "DATABASE": str(tmp_path / "l.sqlite3"),
        "WTF_CSRF_ENABLED": False,
    }
    first = create_app(config)
    c = first.test_client()
    Person(c).sign_up()
    sid = Person(c).start_session()
    first.extensions["escape_home.writer"].close()
    first.extensions["escape_home.remote"].stop()

    second = create_app(config)  # the restart after a crash
    c = second.test_client()
    home = c.get("/").get_data(as_text=True)
    assert "was not finished" in home
    assert c.post(f"/session/{sid}/resume").headers["Location"].endswith("/camera")
    assert c.get(f"/session/{sid}/play").status_code == 200
    second.extensions["escape_home.writer"].close()
    second.extensions["escape_home.remote"].stop()

    third = create_app(config)
    c = third.test_client()
    c.post(f"/session/{sid}/close")
    assert "was not finished" not in c.get("/").get_data(as_text=True)
    log = json.loads(c.get("/progress/export").get_data())
    assert log["sessions"][0]["status"] == "interrupted"
    third.extensions["escape_home.writer"].close()
    third.extensions["escape_home.remote"].stop()


def test_forms_need_the_csrf_token_and_pages_send_a_strict_csp(tmp_path: Path) -> None:
    app = create_app({"DATABASE": str(tmp_path / "l.sqlite3")})
    c = app.test_client()
    resp = c.post(
        "/profile", data={"nickname": "Ann", "joint": "knee", "age_band": "65-69"}
    )
    assert resp.status_code == 400
    assert "expired" in resp.get_data(as_text=True)
    csp = c.get("/profile").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    app.extensions["escape_home.writer"].close()
    app.extensions["escape_home.remote"].stop()


def test_next_day_pain_is_asked_at_the_next_launch(
    client: FlaskClient, person: Person, app: Flask
) -> None:
    app.config["NEXT_DAY_HOURS"] = 0
    person.sign_up()
    sid = person.start_session()
    client.post(f"/session/{sid}/after", data={"pain": "3", "exertion": "4"})
    assert "How is your pain today?" in client.get("/").get_data(as_text=True)
    client.post("/next-day-pain", data={"session_id": sid, "pain": "2"})
    assert "How is your pain today?" not in client.get("/").get_data(as_text=True)
    conn = sqlite3.connect(app.config["DATABASE"])
    assert conn.execute("SELECT pain_next_day FROM session").fetchone()[0] == 2


def test_levels_follow_the_confirmed_choice(
    client: FlaskClient, person: Person, app: Flask
) -> None:
    person.sign_up()
    sid = person.start_session()
    plan = app.extensions["escape_home.programme"].plan(1, {})
    index = next(i for i, s in enumerate(plan) if s["kind"] == "exercise")
    ex = plan[index]["exercise"]
    set_id = client.post(
        f"/api/session/{sid}/set/start", json={"step": index}
    ).get_json()["set_id"]
    client.post(f"/api/session/{sid}/set/{set_id}/end", json={"outcome": "done"})
    client.post(f"/session/{sid}/after", data={"pain": "1", "exertion": "3"})
    client.post(f"/session/{sid}/summary", data={f"choice_{ex}": "up"})
    plan2 = app.extensions["escape_home.programme"].plan(
        2, {ex: 2}
    )  # what the app should now use
    conn = sqlite3.connect(app.config["DATABASE"])
    level = conn.execute("SELECT level FROM level WHERE exercise = ?", (ex,)).fetchone()
    assert level == (2,)
    assert next(s for s in plan2 if s.get("exercise") == ex)["level"] == 2


def test_requests_for_other_host_names_are_refused(client: FlaskClient) -> None:
    assert client.get("/profile").status_code == 200
    assert client.get("/profile", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    evil = client.get("/live/state", headers={"Host": "attacker.example"})
    assert evil.status_code == 400


def test_migrations_upgrade_an_old_log_and_keep_its_rows(tmp_path: Path) -> None:
    from importlib import resources

    from escape_home.participant.db import migrate, open_database

    path = str(tmp_path / "old.sqlite3")
    first = (
        resources.files("escape_home.participant") / "migrations" / "0001_initial.sql"
    ).read_text()
    conn = sqlite3.connect(path)
    conn.executescript(first + "\nPRAGMA user_version = 1;")
    conn.execute("INSERT INTO session (id, number, started_at) VALUES ('s', 1, 'x')")
    conn.execute(
        "INSERT INTO exercise_set (session_id, exercise, started_at)"
        " VALUES ('s', 'squat', 'x')"
    )
    conn.commit()
    conn.close()
    open_database(path)
    conn = sqlite3.connect(path)
    latest = len(
        [
            f
            for f in (
                resources.files("escape_home.participant") / "migrations"
            ).iterdir()
            if f.name.endswith(".sql")
        ]
    )
    assert latest >= 2
    assert conn.execute("PRAGMA user_version").fetchone()[0] == latest
    row = conn.execute(
        "SELECT exercise, partial_reps, warnings FROM exercise_set"
    ).fetchone()
    assert row == ("squat", None, "[]")
    assert migrate(conn) == latest  # running again changes nothing
    conn.close()


def test_a_faulty_write_fails_alone_and_later_writes_go_through(app: Flask) -> None:
    writer = app.extensions["escape_home.writer"]
    with pytest.raises(sqlite3.OperationalError):
        writer.call(lambda c: c.execute("INSERT INTO nowhere VALUES (1)"))
    assert writer.error is None
    writer.call(lambda c: c.execute("INSERT INTO setting VALUES ('k', 'v')"))
    conn = sqlite3.connect(app.config["DATABASE"])
    assert conn.execute("SELECT value FROM setting WHERE key = 'k'").fetchone() == (
        "v",
    )


def test_port_in_use_gives_a_clear_message(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import socket

    from escape_home.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(
            [
                "run",
                "--port",
                str(port),
                "--no-browser",
                "--source",
                str(tmp_path / "no-such-video.mp4"),
                "--database",
                str(tmp_path / "l.sqlite3"),
            ]
        )
    err = capfd.readouterr().err
    assert code == 2
    assert f"try --port {port + 1}" in err and "Traceback" not in err


def test_a_standing_red_flag_blocks_carrying_on_an_unfinished_session(
    client: FlaskClient, person: Person
) -> None:
    """An unfinished session from before a "yes" at the safety check cannot be
    carried on (carrying on skips the check) until the person says it is dealt with."""
    person.sign_up()
    first = person.start_session()
    assert first
    person.start_session(answer="yes")  # the next check: a "yes" stops that one
    home = client.get("/").get_data(as_text=True)
    assert 'id="red-flag"' in home
    assert "was not finished" in home and "Carry on with session" not in home
    r = client.post(f"/session/{first}/resume")
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
    assert "Please get advice before you carry on" in client.get("/").get_data(
        as_text=True
    )
    # Dealt with: carrying on works again.
    flagged = re.search(r'name="session_id" value="([^"]+)"', home)
    assert flagged is not None
    client.post("/safety/seen", data={"session_id": flagged.group(1)})
    home = client.get("/").get_data(as_text=True)
    assert "Carry on with session" in home
    r = client.post(f"/session/{first}/resume")
    assert r.status_code == 302 and f"/session/{first}/" in r.headers["Location"]
