"""The client side of enrolment, log upload (with retries) and the live class board,
against a small stand-in instructor server on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from participant_support import Person, clip, fake_factories

from escape_home import progress_log
from escape_home.participant import create_app

PID = "00000000-0000-4000-8000-000000000001"
TOKEN = "secret-token-0123456789"


class FakeInstructor(ThreadingHTTPServer):
    """Records requests; fails the first `fail_logs` uploads with 503."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.fail_logs = 0
        self.log_replies: list[tuple[int, Any, dict[str, str]]] = []  # then 201
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: FakeInstructor

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, dict(self.headers), body))
        if self.path == "/api/enrol":
            if body["code"] != "ABC-123":
                self._reply(404, {"error": "code: no class has this enrolment code"})
            else:
                # The enrol-reply schema (data/messages): a UUID and a long token.
                self._reply(201, {"participant_id": PID, "token": TOKEN})
        elif self.path == "/api/logs":
            if self.server.log_replies:
                self._reply(*self.server.log_replies.pop(0))
            elif self.server.fail_logs > 0:
                self.server.fail_logs -= 1
                self._reply(503, {"error": "busy"})
            else:
                self._reply(201, {"sessions_new": 1})
        elif self.path == "/api/live":
            self._reply(204, None)

    def _reply(
        self, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def instructor() -> Iterator[FakeInstructor]:
    server = FakeInstructor()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def paths(server: FakeInstructor, path: str) -> list[tuple[str, dict[str, str], Any]]:
    return [r for r in server.requests if r[0] == path]


def test_enrol_then_upload_after_a_session_with_retries(
    tmp_path: Path, instructor: FakeInstructor
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "l.sqlite3"),
            "REMOTE_RETRY_S": 0.2,
        }
    )
    client = app.test_client()
    person = Person(client)
    person.sign_up()
    wrong = client.post(
        "/settings",
        data={"action": "enrol", "server": instructor.url, "code": "nope"},
        follow_redirects=True,
    )
    assert "did not accept the code" in wrong.get_data(as_text=True)
    ok = client.post(
        "/settings",
        data={"action": "enrol", "server": instructor.url, "code": "ABC-123"},
        follow_redirects=True,
    )
    assert "now linked" in ok.get_data(as_text=True)
    assert paths(instructor, "/api/enrol")[-1][2] == {
        "code": "ABC-123",
        "nickname": "Ann",
    }

    instructor.fail_logs = 2  # the server is down for the first two tries
    sid = person.start_session()
    client.post(f"/session/{sid}/after", data={"pain": "2", "exertion": "4"})
    wait_for(lambda: len(paths(instructor, "/api/logs")) >= 3)
    _, headers, body = paths(instructor, "/api/logs")[-1]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    progress_log.validate(body)
    assert body["sessions"][0]["id"] == sid
    wait_for(
        lambda: (
            "waiting to be sent" not in client.get("/settings").get_data(as_text=True)
        )
    )
    app.extensions["escape_home.remote"].stop()
    app.extensions["escape_home.writer"].close()


def test_429_waits_for_retry_after_and_a_refusal_is_not_resent(
    tmp_path: Path, instructor: FakeInstructor
) -> None:
    """Issue 11, item 5: a 429 holds every upload (even a new one) for its
    Retry-After; a permanent refusal (422) is shown in a plain sentence and not
    resent on the timer, only once something new is recorded."""
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "l.sqlite3"),
            "REMOTE_RETRY_S": 0.1,
        }
    )
    client = app.test_client()
    person = Person(client)
    person.sign_up()
    client.post(
        "/settings",
        data={"action": "enrol", "server": instructor.url, "code": "ABC-123"},
    )
    limit = "uploads: too many from this device (the limit is 6 per minute)"
    refusal = "sessions: the server keeps at most 120 per participant"
    instructor.log_replies = [
        (429, {"error": limit}, {"Retry-After": "2"}),
        (422, {"error": refusal}, {}),
    ]
    remote = app.extensions["escape_home.remote"]
    sid = person.start_session()
    client.post(f"/session/{sid}/after", data={"pain": "2", "exertion": "4"})
    wait_for(lambda: len(paths(instructor, "/api/logs")) == 1)
    t429 = time.monotonic()
    wait_for(lambda: remote.last_error is not None)
    assert "busy" in remote.last_error and "sent again in about a minute" in (
        remote.last_error
    )
    remote.upload_soon()  # something new: still held
    assert not remote.upload_now()
    time.sleep(1.0)
    assert len(paths(instructor, "/api/logs")) == 1, "no request during Retry-After"
    wait_for(lambda: len(paths(instructor, "/api/logs")) == 2)
    assert time.monotonic() - t429 >= 1.9
    wait_for(lambda: "did not accept" in (remote.last_error or ""))
    page = client.get("/settings").get_data(as_text=True)
    assert "The server did not accept your progress (sessions: the server keeps" in (
        page
    )
    time.sleep(1.0)  # ten retry intervals: the refused log is not resent
    assert len(paths(instructor, "/api/logs")) == 2
    remote.upload_soon()  # something new recorded: tried again (and accepted)
    wait_for(lambda: len(paths(instructor, "/api/logs")) == 3)
    wait_for(lambda: remote.last_error is None)
    remote.stop()
    app.extensions["escape_home.writer"].close()


def test_pending_upload_survives_a_restart(
    tmp_path: Path, instructor: FakeInstructor
) -> None:
    config = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "REMOTE_RETRY_S": 0.2,
        "DATABASE": str(tmp_path / "l.sqlite3"),
    }
    app = create_app(config)
    client = app.test_client()
    Person(client).sign_up()
    client.post(
        "/settings",
        data={"action": "enrol", "server": instructor.url, "code": "ABC-123"},
    )
    instructor.fail_logs = 10_000  # never accepted while this app runs
    sid = Person(client).start_session()
    client.post(f"/session/{sid}/after", data={"pain": "2", "exertion": "4"})
    wait_for(lambda: len(paths(instructor, "/api/logs")) >= 1)
    app.extensions["escape_home.remote"].stop()
    app.extensions["escape_home.writer"].close()

    instructor.fail_logs = 0
    before = len(paths(instructor, "/api/logs"))
    again = create_app(config)  # next launch: the waiting log goes out
    wait_for(lambda: len(paths(instructor, "/api/logs")) > before)
    assert paths(instructor, "/api/logs")[-1][2]["sessions"][0]["id"] == sid
    again.extensions["escape_home.remote"].stop()
    again.extensions["escape_home.writer"].close()


@pytest.mark.clips
def test_live_board_gets_numbers_only(
    tmp_path: Path, instructor: FakeInstructor
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "l.sqlite3"),
            "SOURCE": str(clip("squat__yuyoujiang__1.mp4")),
            "LIVE_FACTORIES": fake_factories(),
        }
    )
    client = app.test_client()
    Person(client).sign_up()
    client.post(
        "/settings",
        data={"action": "enrol", "server": instructor.url, "code": "ABC-123"},
    )
    sid = Person(client).start_session()
    set_id = client.post(f"/api/session/{sid}/set/start", json={"step": 7}).get_json()[
        "set_id"
    ]
    wait_for(lambda: any(r[2]["reps"] >= 2 for r in paths(instructor, "/api/live")))
    client.post(f"/api/session/{sid}/set/{set_id}/end", json={"outcome": "done"})
    wait_for(
        lambda: any(r[2]["state"] == "resting" for r in paths(instructor, "/api/live"))
    )
    for _, headers, body in paths(instructor, "/api/live"):
        assert set(body) == {"exercise", "reps", "cue", "state", "share", "ts"}
        assert body["share"] is False  # off unless the person says yes (Settings)
        assert isinstance(body["reps"], int) and isinstance(body["ts"], float)
        assert headers["Authorization"] == f"Bearer {TOKEN}"
    app.extensions["escape_home.live"].stop()
    app.extensions["escape_home.remote"].stop()
    app.extensions["escape_home.writer"].close()
