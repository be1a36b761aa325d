"""The participant's real app and the instructor's real server together: enrol with
a class code, do a session, and the instructor sees it on the dashboard."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from escape_home.instructor import create_app, db
from escape_home.instructor.harness import Client, start_server
from escape_home.instructor.models import Cohort, Instructor, SessionRecord
from escape_home.instructor.security import hash_password

participant = pytest.importorskip("escape_home.participant")

PASSWORD = "correct horse battery"


def _wait(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def test_participant_app_upload_reaches_the_dashboard(tmp_path: Path) -> None:
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
    server = start_server(url, tmp_path)
    app = participant.create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "participant.sqlite3"),
            "REMOTE_RETRY_S": 0.2,
        }
    )
    try:
        client = app.test_client()
        client.post(
            "/profile",
            data={
                "nickname": "Ann",
                "joint": "knee",
                "age_band": "65-69",
                "sex": "female",
            },
        )
        page = client.post(
            "/settings",
            data={
                "action": "enrol",
                "server": f"http://127.0.0.1:{server.port}",
                "code": "test code",
            },
            follow_redirects=True,
        ).get_data(as_text=True)
        assert "now linked" in page
        safety = client.get("/safety").get_data(as_text=True)
        keys = re.findall(r'name="([a-z_]+)" value="no"', safety)
        r = client.post("/safety", data=dict.fromkeys(keys, "no"))
        assert r.status_code == 302
        sid = str(r.headers["Location"]).split("/")[2]
        client.post(f"/session/{sid}/after", data={"pain": "7", "exertion": "4"})

        def stored() -> bool:
            with server_app.app_context():
                return (
                    db.session().scalar(
                        select(SessionRecord).where(SessionRecord.uuid == sid)
                    )
                    is not None
                )

        _wait(stored)
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
        app.extensions["escape_home.remote"].stop()
        app.extensions["escape_home.writer"].close()
        server.stop()
