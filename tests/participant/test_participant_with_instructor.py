"""The participant app against the real instructor server (in this process, on
loopback): enrol with a cohort's code, upload the log after a session, twice
(idempotent), and send live-board numbers; every message on the wire checked
against its schema (data/messages) and every live state seen on the board."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from participant_support import Person, clip, fake_factories

from escape_home import messages, progress_log
from escape_home.participant import create_app


@pytest.fixture
def instructor_server(tmp_path: Path) -> Iterator[tuple[str, str, Flask]]:
    """The instructor app served by waitress, with one cohort; yields URL, code."""
    import waitress.server

    from escape_home.instructor import create_app as create_instructor
    from escape_home.instructor import db
    from escape_home.instructor.models import Instructor
    from escape_home.instructor.security import hash_password

    app = create_instructor(
        {
            "SECRET_KEY": uuid.uuid4().hex,
            "INSTANCE_PATH": str(tmp_path / "inst"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'instructor.sqlite3'}",
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )
    with app.app_context(), db.writing() as s:
        s.add(
            Instructor(username="jo", password_hash=hash_password("pw-long-enough-1"))
        )
    web = app.test_client()

    def token(path: str) -> str:
        page = web.get(path).get_data(as_text=True)
        m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert m is not None, f"no CSRF token on {path}"
        return m.group(1)

    r = web.post(
        "/login",
        data={
            "csrf_token": token("/login"),
            "username": "jo",
            "password": "pw-long-enough-1",
        },
    )
    assert r.status_code == 302
    r = web.post(
        "/cohorts",
        data={
            "csrf_token": token("/"),
            "name": "Tuesday",
            "start_date": date.today().isoformat(),
            "schedule": "Tue",
            "sessions_per_week": "2",
        },
    )
    cohort = r.headers["Location"].rstrip("/").split("/")[-1]
    page = web.get(f"/cohorts/{cohort}").get_data(as_text=True)
    code = re.search(r'id="enrol-code">([A-Z0-9-]+)<', page)
    assert code is not None
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}", code.group(1), app
    server.close()


def test_enrol_upload_and_live_with_the_real_server(
    tmp_path: Path, instructor_server: tuple[str, str, Flask]
) -> None:
    url, code, _ = instructor_server
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "p.sqlite3"),
            "REMOTE_RETRY_S": 0.2,
        }
    )
    client = app.test_client()
    person = Person(client)
    person.sign_up()
    page = client.post(
        "/settings",
        data={"action": "enrol", "server": url, "code": code},
        follow_redirects=True,
    )
    assert "now linked" in page.get_data(as_text=True)
    sid = person.start_session()
    client.post(f"/session/{sid}/after", data={"pain": "2", "exertion": "4"})
    remote: Any = app.extensions["escape_home.remote"]
    app.extensions["escape_home.writer"].flush()
    assert remote.upload_now(), remote.last_error
    assert remote.upload_now(), remote.last_error  # the same log again: accepted
    deadline = time.monotonic() + 5
    while "waiting to be sent" in client.get("/settings").get_data(as_text=True):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    from escape_home.participant.db import connect
    from escape_home.participant.remote import post_json
    from escape_home.participant.store import get_setting

    conn = connect(app.config["DATABASE"])
    token = get_setting(conn, "token")
    conn.close()
    status, _ = post_json(
        f"{url}/api/live",
        {
            "exercise": "squat",
            "reps": 3,
            "cue": None,
            "state": "exercising",
            "ts": time.time(),
        },
        token,
    )
    assert status == 204
    remote.stop()
    app.extensions["escape_home.writer"].close()


def _signed_in(app: Flask) -> Any:
    """A test client of the instructor app, signed in as the fixture's "jo"."""
    web = app.test_client()
    page = web.get("/login").get_data(as_text=True)
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert m is not None
    r = web.post(
        "/login",
        data={
            "csrf_token": m.group(1),
            "username": "jo",
            "password": "pw-long-enough-1",
        },
    )
    assert r.status_code == 302
    return web


def _reply_schema(path: str, status: int) -> str | None:
    if status >= 400:
        return "error"
    return {"/api/enrol": "enrol-reply", "/api/logs": "upload-reply"}.get(path)


@pytest.mark.clips
def test_every_message_and_live_state_against_the_real_server(
    tmp_path: Path,
    instructor_server: tuple[str, str, Flask],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Enrol, upload and each live state the app sends, from the app's own routes
    to the server's board. The end-of-session state used to be "done", which the
    server refused (400): the board went on showing a finished person as resting
    until they looked dropped."""
    from sqlalchemy import select

    from escape_home.instructor import db as instructor_db
    from escape_home.instructor.models import Cohort
    from escape_home.participant import remote as remote_mod

    url, code, server_app = instructor_server
    wire: list[tuple[str, Any, int, Any]] = []
    real_post = remote_mod.post_json

    def recording_post(url_: str, body: Any, token: str | None = None) -> Any:
        status, reply = real_post(url_, body, token)
        wire.append((url_.removeprefix(url), body, status, reply))
        return status, reply

    monkeypatch.setattr(remote_mod, "post_json", recording_post)
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "p.sqlite3"),
            "REMOTE_RETRY_S": 0.2,
            "SOURCE": str(clip("squat__yuyoujiang__1.mp4")),
            "LIVE_FACTORIES": fake_factories(),
        }
    )
    client = app.test_client()
    person = Person(client)
    person.sign_up()
    web = _signed_in(server_app)
    with server_app.app_context():
        cohort_id = instructor_db.session().scalar(select(Cohort.id))
    seen: list[str] = []

    def board_shows(state: str, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            board = web.get(f"/cohorts/{cohort_id}/live.json").get_json()
            cards = board["participants"]
            if cards and cards[0]["state"] == state:
                seen.append(state)
                card: dict[str, Any] = cards[0]
                return card
            rejected = [w for w in wire if w[0] == "/api/live" and w[2] >= 400]
            assert not rejected, rejected
            assert time.monotonic() < deadline, (state, cards, wire[-3:])
            time.sleep(0.1)

    try:
        page = client.post(
            "/settings",
            data={"action": "enrol", "server": url, "code": code},
            follow_redirects=True,
        )
        assert "now linked" in page.get_data(as_text=True)

        sid = person.start_session()  # pain before answered: the session starts
        assert board_shows(messages.JOINED)["nickname"] == "Ann"
        set_id = client.post(
            f"/api/session/{sid}/set/start", json={"step": 7}
        ).get_json()["set_id"]
        card = board_shows(messages.EXERCISING)
        assert card["exercise"] is not None
        client.post("/api/live/pause", json={"paused": True})
        board_shows(messages.PAUSED)
        client.post("/api/live/pause", json={"paused": False})
        board_shows(messages.EXERCISING)
        client.post(f"/api/session/{sid}/set/{set_id}/end", json={"outcome": "done"})
        board_shows(messages.RESTING)
        client.post(f"/session/{sid}/after", data={"pain": "2", "exertion": "4"})
        board_shows(messages.FINISHED)  # the end of the session, not a lost link
        deadline = time.monotonic() + 10
        while not any(w[0] == "/api/logs" and w[2] < 300 for w in wire):
            assert time.monotonic() < deadline, wire[-3:]
            time.sleep(0.1)
        page = web.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
        assert "Ann" in page

        other = person.start_session()
        board_shows(messages.JOINED)
        client.post(f"/session/{other}/close")
        board_shows(messages.LEFT)
    finally:
        app.extensions["escape_home.live"].stop()
        app.extensions["escape_home.remote"].stop()
        app.extensions["escape_home.writer"].close()

    assert set(seen) == set(messages.live_states())
    sent = {w[0] for w in wire}
    assert sent == {"/api/enrol", "/api/logs", "/api/live"}, sent
    for path, body, status, reply in wire:
        assert status < 400, (path, body, status, reply)
        if path == "/api/logs":
            progress_log.validate(body)
        else:
            messages.validate(path.removeprefix("/api/"), body)
        name = _reply_schema(path, status)
        if name is not None:
            messages.validate(name, reply)
        else:
            assert reply is None, (path, reply)  # 204 from /api/live
