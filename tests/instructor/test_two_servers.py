"""Issue 11's "Done when": two real server processes (``escape-home instructor``,
waitress) on one PostgreSQL database, with rate limits shared through Redis. Shown
here: concurrent uploads to both processes lose and duplicate nothing; the sign-in
and enrolment limits hold across both; a device revoked on one process and
re-linked through the other reaches the same participant."""

from __future__ import annotations

import re
import secrets
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from instructor_support import PASSWORD, _config, _drop, add_instructor
from sqlalchemy import func, select
from test_ratelimit_shared import REDIS, _redis_up

from escape_home import progress_log
from escape_home.instructor import create_app, db
from escape_home.instructor.harness import Client, Server, start_server
from escape_home.instructor.models import Participant, SessionRecord, Upload
from escape_home.instructor.sample import make_log

pytestmark = pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")


@dataclass
class Deployment:
    app: Flask  # the same database, for checking what was stored
    servers: list[Server]
    prefix: str


@pytest.fixture
def deployment(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Deployment]:
    config = _config(tmp_path, "postgresql")  # skips without PostgreSQL
    app = create_app(config)  # migrates the schema once
    add_instructor(app, "alice")
    prefix = "escape-home-two-" + secrets.token_hex(6)
    env = {
        "ESCAPE_HOME_SECRET_KEY": secrets.token_hex(32),  # one deployment, one key
        "ESCAPE_HOME_RATELIMIT_STORAGE": REDIS,
        "ESCAPE_HOME_RATELIMIT_PREFIX": prefix,
        "ESCAPE_HOME_LOGIN_RATE_LIMIT": "8 per hour",
        "ESCAPE_HOME_ENROL_RATE_LIMIT": getattr(request, "param", "40 per hour"),
        "ESCAPE_HOME_UPLOAD_RATE_LIMIT": "1000 per hour",
    }
    servers: list[Server] = []
    try:
        for n in (0, 1):
            servers.append(
                start_server(
                    config["DATABASE_URL"],
                    tmp_path / f"i{n}",
                    schema=config["DATABASE_SCHEMA"],
                    env=env,
                    threads=6,
                )
            )
        yield Deployment(app, servers, prefix)
    finally:
        for s in servers:
            s.stop()
        import redis

        r = redis.Redis.from_url(REDIS)
        for key in r.scan_iter(f"*{prefix}*"):
            r.delete(key)
        r.close()
        _drop(app)


def _sign_in(server: Server, password: str = PASSWORD) -> tuple[int, Client]:
    c = Client(server.port, timeout=60)
    status, _ = c.form(
        "/login", {"username": "alice", "password": password}, page="/login"
    )
    return status, c


def _new_class(web: Client) -> str:
    status, headers = web.form(
        "/cohorts",
        {
            "name": "Two servers class",
            "start_date": date.today().isoformat(),
            "schedule": "",
            "sessions_per_week": "2",
        },
    )
    assert status == 302, status
    _, html, _ = web.request("GET", urllib.parse.urlsplit(headers["location"]).path)
    code = re.search(r'id="enrol-code">([A-Z0-9-]+)<', html.decode())
    assert code is not None
    return code.group(1)


def _enrol(server: Server, code: str, name: str) -> tuple[int, Any]:
    return Client(server.port, timeout=60).json(
        "POST", "/api/enrol", {"code": code, "nickname": name}
    )


def _upload(server: Server, token: str, log: dict[str, Any]) -> int:
    status, _ = Client(server.port, timeout=120).json(
        "POST", "/api/logs", log, token=token
    )
    return status


def test_concurrent_uploads_to_both_lose_and_duplicate_nothing(
    deployment: Deployment,
) -> None:
    a, b = deployment.servers
    status, web = _sign_in(a)
    assert status == 302
    code = _new_class(web)
    people = []
    for i in range(6):
        status, body = _enrol((a, b)[i % 2], code, f"P{i}")
        assert status == 201, body
        people.append((body["participant_id"], body["token"]))
    # Every participant's app sends its log as it grows (1..6 sessions), each copy
    # to both processes at once: as retries after a lost reply would.
    jobs = []
    logs = {}
    for n, (pid, token) in enumerate(people):
        app_id = progress_log.new_id()
        for sessions in range(1, 7):
            log = make_log(participant_id=app_id, sessions=sessions, seed=100 + n)
            logs[pid] = log
            jobs += [(server, token, log) for server in (a, b)]
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(len(jobs))

    def send(server: Server, token: str, log: dict[str, Any]) -> None:
        start.wait()
        status = _upload(server, token, log)
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=send, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sum(statuses.values()) == len(jobs)
    assert set(statuses) <= {200, 201}, statuses  # no 409, no 5xx
    with deployment.app.app_context():
        s = db.session()
        for pid, log in logs.items():
            stored = s.scalars(
                select(SessionRecord.uuid)
                .join(Participant)
                .where(Participant.public_id == pid)
            ).all()
            assert sorted(stored) == sorted(x["id"] for x in log["sessions"])
        total = s.scalar(select(func.count()).select_from(SessionRecord))
        assert total == 36  # 6 people x 6 sessions, each once
        assert s.scalar(select(func.count()).select_from(Participant)) == 6
        new = s.scalar(select(func.sum(Upload.sessions_new)))
        assert new == 36  # the audit trail counts each session new exactly once


@pytest.mark.parametrize("deployment", ["6 per hour"], indirect=True)
def test_login_and_enrolment_limits_hold_across_both(
    deployment: Deployment,
) -> None:
    a, b = deployment.servers
    # Sign-in: 8 attempts in all (the right password counts too), whichever process.
    logins = [_sign_in((a, b)[i % 2], "not the password")[0] for i in range(7)]
    assert logins == [200] * 7, logins  # the form again, with a message
    status, web = _sign_in(b)  # the 8th: the right password still gets in
    assert status == 302
    after = [_sign_in(s)[0] for s in (a, b, a, b)]
    assert after == [429] * 4, after  # even with the right password, on both
    # Enrolment: 6 in all across both processes.
    code = _new_class(web)
    enrols = [_enrol((a, b)[i % 2], code, f"E{i}")[0] for i in range(10)]
    assert enrols == [201] * 6 + [429] * 4, enrols
    with deployment.app.app_context():
        count = db.session().scalar(select(func.count()).select_from(Participant))
        assert count == 6


def test_a_revoked_device_re_linked_through_the_other_server_is_the_same_person(
    deployment: Deployment,
) -> None:
    a, b = deployment.servers
    _, web_a = _sign_in(a)
    _, web_b = _sign_in(b)
    code = _new_class(web_a)
    status, ann = _enrol(a, code, "Ann")
    assert status == 201
    pid, token = ann["participant_id"], ann["token"]
    app_id = progress_log.new_id()
    assert _upload(a, token, make_log(participant_id=app_id, sessions=2)) == 201
    # The device is lost: revoked on the other process; its token fails on both.
    status, _ = web_b.form(f"/participants/{pid}/revoke", {})
    assert status == 302
    assert _upload(a, token, make_log(participant_id=app_id, sessions=2)) == 401
    assert _upload(b, token, make_log(participant_id=app_id, sessions=2)) == 401
    # A re-link code issued on B, used by the new device on A.
    status, headers = web_b.form(f"/participants/{pid}/relink", {})
    assert status == 302
    _, page, _ = web_b.request("GET", urllib.parse.urlsplit(headers["location"]).path)
    relink = re.search(
        r"Re-link code for [^:]+: ([A-Z0-9]{4}-[A-Z0-9]{4})", page.decode()
    )
    assert relink is not None
    status, again = _enrol(a, relink.group(1), "whatever the new app says")
    assert status == 201 and again["participant_id"] == pid
    # The new device's first upload (through B) carries on Ann's record.
    new_app = progress_log.new_id()
    fresh = make_log(participant_id=new_app, sessions=1, seed=42)
    assert _upload(b, again["token"], fresh) == 201
    with deployment.app.app_context():
        s = db.session()
        assert s.scalar(select(func.count()).select_from(Participant)) == 1
        row = s.scalar(select(Participant).where(Participant.public_id == pid))
        assert row is not None and row.nickname == "Ann"
        assert row.app_uuid == new_app
        assert len(row.sessions) == 3  # two from the lost device, one from the new
