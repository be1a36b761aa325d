"""The participant's real app and the instructor's real server together: enrol with
a class code, do a session, and the instructor sees it on the dashboard; and when the
server goes down mid-programme, the app's retries deliver the session exactly once."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from escape_home.instructor import create_app, db
from escape_home.instructor.harness import Client, start_server
from escape_home.instructor.models import Cohort, Instructor, SessionRecord
from escape_home.instructor.security import hash_password

participant = pytest.importorskip("escape_home.participant")

PASSWORD = "correct horse battery"


def _wait(check: Callable[[], bool], app: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    remote = app.extensions["escape_home.remote"]
    raise AssertionError(
        f"timed out waiting; the app's last upload error: {remote.last_error!r}"
    )


def _server_app(tmp_path: Path) -> tuple[str, Any]:
    """The server's database with an instructor and a class (code TEST-CODE)."""
    url = f"sqlite:///{tmp_path / 'instructor.sqlite3'}"
    server_app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 40}
    )
    with server_app.app_context(), db.writing() as s:
        teacher = Instructor(username="alice", password_hash=hash_password(PASSWORD))
        s.add(teacher)
        s.flush()
        s.add(
            Cohort(
                instructor_id=teacher.id,
                name="Tuesday",
                start_date=date.today(),
                schedule="Tue, Fri",
                sessions_per_week=2,
                enrol_code="TEST-CODE",
            )
        )
    return url, server_app


def _participant(tmp_path: Path, port: int) -> tuple[Any, Any]:
    """The participant's app, with a profile, enrolled in the class."""
    app = participant.create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "participant.sqlite3"),
            "REMOTE_RETRY_S": 0.2,
        }
    )
    client = app.test_client()
    client.post(
        "/profile",
        data={"nickname": "Ann", "joint": "knee", "age_band": "65-69", "sex": "female"},
    )
    page = client.post(
        "/settings",
        data={
            "action": "enrol",
            "server": f"http://127.0.0.1:{port}",
            "code": "test code",  # typed loosely
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "now linked" in page
    return app, client


def _do_session(client: Any, pain_after: int) -> str:
    safety = client.get("/safety").get_data(as_text=True)
    keys = re.findall(r'name="([a-z_]+)" value="no"', safety)
    r = client.post("/safety", data=dict.fromkeys(keys, "no"))
    assert r.status_code == 302
    sid = str(r.headers["Location"]).split("/")[2]
    client.post(
        f"/session/{sid}/after", data={"pain": str(pain_after), "exertion": "4"}
    )
    return sid


def _copies(server_app: Any, sid: str) -> int:
    with server_app.app_context():
        rows = db.session().scalars(
            select(SessionRecord).where(SessionRecord.uuid == sid)
        )
        return len(rows.all())


def _stop(app: Any) -> None:
    app.extensions["escape_home.remote"].stop()
    app.extensions["escape_home.writer"].close()


def test_participant_app_upload_reaches_the_dashboard(tmp_path: Path) -> None:
    url, server_app = _server_app(tmp_path)
    server = start_server(url, tmp_path)
    app, client = _participant(tmp_path, server.port)
    try:
        sid = _do_session(client, pain_after=7)
        _wait(lambda: _copies(server_app, sid) == 1, app)
        web = Client(server.port)
        web.form("/login", {"username": "alice", "password": PASSWORD}, "/login")
        status, html, _ = web.request("GET", "/")
        cohort = re.search(r'href="(/cohorts/\d+)"', html.decode())
        assert status == 200 and cohort is not None
        status, html, _ = web.request("GET", cohort.group(1))
        text = html.decode()
        assert status == 200 and ">Ann</a>" in text
        assert "Pain 7/10 after session 1" in text  # the alert
        _, csv, _ = web.request("GET", cohort.group(1) + "/export.csv")
        assert sid in csv.decode()
    finally:
        _stop(app)
        server.stop()


def test_server_down_then_back_the_session_lands_exactly_once(tmp_path: Path) -> None:
    url, server_app = _server_app(tmp_path)
    server = start_server(url, tmp_path)
    port = server.port
    app, client = _participant(tmp_path, port)
    try:
        first = _do_session(client, pain_after=3)
        _wait(lambda: _copies(server_app, first) == 1, app)
        server.stop(kill=True)
        second = _do_session(client, pain_after=4)  # finished while the server is away
        time.sleep(1.0)  # a few failed retries
        server = start_server(url, tmp_path, port=port)  # back at the same address
        _wait(lambda: _copies(server_app, second) == 1, app)
        time.sleep(1.0)  # later retries or resends must not add copies
        assert _copies(server_app, first) == 1
        assert _copies(server_app, second) == 1
    finally:
        _stop(app)
        server.stop()
