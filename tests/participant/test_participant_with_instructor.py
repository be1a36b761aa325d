"""The participant app against the real instructor server (in this process, on
loopback): enrol with a cohort's code, upload the log after a session, twice
(idempotent), and send live-board numbers."""

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
from participant_support import Person

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
