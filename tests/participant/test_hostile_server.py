"""The participant app against a broken or hostile instructor server (issue 12 item
1's plan fetch, and the upload): an oversized, malformed, too deeply nested or
schema-violating plan, a redirect, an answer that trickles in for ever. Each time the
app keeps its last good plan and Home says so in a plain note; the fetch ends (it
runs on the uploader thread, and a page request is never held by it); a redirect
never carries the upload token elsewhere.

The servers are real HTTP servers on loopback (http.server), so urllib's own
redirect and reading behaviour is what is tested."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from participant_support import Person

from escape_home.participant import create_app, plan_store, remote, store
from escape_home.participant.db import connect

TOKEN = "t0ken-for-the-real-server"
GOOD = {
    "version": 1,
    "updated_at": "2026-11-30T10:00:00+00:00",
    "items": {"squat": {"target_reps": 12, "note": "chair against the wall"}},
}

Answer = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """A loopback HTTP server whose answer the test sets; it records the requests."""

    def __init__(self) -> None:
        self.answer: Answer = lambda h: _json(h, GOOD)
        self.seen: list[tuple[str, str, str | None]] = []  # method, path, auth
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                auth = self.headers.get("Authorization")
                outer.seen.append((self.command, self.path, auth))
                try:
                    outer.answer(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the app hung up, as it should

            do_GET = do_POST = _any

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _json(h: BaseHTTPRequestHandler, body: Any, status: int = 200) -> None:
    _raw(h, json.dumps(body).encode(), status)


def _raw(h: BaseHTTPRequestHandler, raw: bytes, status: int = 200) -> None:
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(raw)))
    h.end_headers()
    h.wfile.write(raw)


@pytest.fixture
def servers() -> Iterator[tuple[Server, Server]]:
    main, elsewhere = Server(), Server()
    yield main, elsewhere
    main.close()
    elsewhere.close()


@pytest.fixture
def linked(
    tmp_path: Path,
    servers: tuple[Server, Server],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Flask, remote.RemoteClient]]:
    """A signed-up app linked to the test server, holding the GOOD plan."""
    monkeypatch.setenv("ESCAPE_HOME_KEYRING", "0")
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "p.sqlite3"),
            "REMOTE_RETRY_S": 3600.0,  # the test syncs by hand
        }
    )
    Person(app.test_client()).sign_up()
    conn = connect(app.config["DATABASE"])
    with conn:
        store.set_setting(conn, "server", servers[0].url)
        store.set_setting(conn, "token", TOKEN)
    conn.close()
    sync: remote.RemoteClient = app.extensions["escape_home.remote"]
    assert sync.fetch_plan()  # the last good plan
    try:
        yield app, sync
    finally:
        sync.stop()
        app.extensions["escape_home.writer"].close()


def _kept(app: Flask) -> dict[str, Any]:
    return plan_store.current(connect(app.config["DATABASE"]))


def _note(app: Flask) -> str:
    home = app.test_client().get("/").get_data(as_text=True)
    assert "latest plan could not be used" in home, home[-2000:]
    return home


def _redirect(to: str) -> Answer:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", f"{to}{h.path}")
        h.send_header("Content-Length", "0")
        h.end_headers()

    return answer


def _big(h: BaseHTTPRequestHandler) -> None:
    pad = b"x" * (8 * 1024 * 1024)
    _raw(h, b'{"version": 2, "updated_at": null, "items": {}, "pad": "' + pad + b'"}')


HOSTILE: dict[str, tuple[Answer, str]] = {
    # name: (the server's answer, words in the note on Home)
    "oversized (8 MB)": (_big, "bigger than 1000000 bytes"),
    "not JSON": (lambda h: _raw(h, b"<html>Gateway</html>"), "could not be used ("),
    "nested 100,000 deep": (
        lambda h: _raw(h, b"[" * 100_000 + b"]" * 100_000),
        "could not be used (",
    ),
    "a version past any integer column": (
        lambda h: _json(h, {**GOOD, "version": 10**30}),
        "version",
    ),
    "a level the programme lacks": (
        lambda h: _json(h, {**GOOD, "version": 2, "items": {"squat": {"level": 9}}}),
        "Mini squat has levels 1 to 4",
    ),
    "a note that turns the card's text around": (
        lambda h: _json(
            h, {**GOOD, "version": 2, "items": {"squat": {"note": "\u202eevil"}}}
        ),
        "Mini squat, note: has control or text-direction characters",
    ),
    "an exercise not in the catalogue": (
        lambda h: _json(h, {**GOOD, "version": 2, "items": {"backflip": {"sets": 2}}}),
        "backflip",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_a_bad_plan_keeps_the_last_good_one_with_a_plain_note(
    linked: tuple[Flask, remote.RemoteClient],
    servers: tuple[Server, Server],
    case: str,
) -> None:
    app, sync = linked
    before = _kept(app)
    assert before["items"] == GOOD["items"]
    servers[0].answer, words = HOSTILE[case]
    assert not sync.fetch_plan()
    assert _kept(app) == before
    home = _note(app)
    assert words in home
    assert "keeps your last plan" in home
    # The good plan comes back: the note goes.
    servers[0].answer = lambda h: _json(h, {**GOOD, "version": 3})
    assert sync.fetch_plan()
    assert "could not be used" not in app.test_client().get("/").get_data(as_text=True)


def test_a_redirect_is_not_followed_and_the_token_stays_home(
    linked: tuple[Flask, remote.RemoteClient],
    servers: tuple[Server, Server],
) -> None:
    app, sync = linked
    main, elsewhere = servers
    elsewhere.answer = lambda h: _json(h, {**GOOD, "version": 7, "items": {}})
    main.answer = _redirect(elsewhere.url)
    before = _kept(app)
    assert not sync.fetch_plan()
    assert "sent the app to another address" in _note(app)
    assert _kept(app) == before
    # The upload too: not sent elsewhere, not taken as done, said plainly.
    assert not sync.upload_now()
    assert sync.last_error and "another address" in sync.last_error
    assert elsewhere.seen == [], elsewhere.seen  # no request, so no token, went there
    assert [m for m, _, _ in main.seen][-2:] == ["GET", "POST"]


def test_an_answer_that_trickles_in_is_given_up_and_pages_still_answer(
    linked: tuple[Flask, remote.RemoteClient],
    servers: tuple[Server, Server],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A byte every 50 ms never trips the 10 s wait for each byte; the whole
    exchange has a deadline (made 1 s here)."""
    app, sync = linked
    monkeypatch.setattr(remote, "DEADLINE_S", 1.0, raising=False)
    dripping = threading.Event()
    stop = threading.Event()

    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.end_headers()
        h.wfile.write(b'{"version": 2, "items": {}, "updated_at": null, "pad": "')
        h.wfile.flush()
        dripping.set()
        while not stop.is_set():
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.05)

    servers[0].answer = trickle
    before = _kept(app)
    result: list[bool] = []
    worker = threading.Thread(target=lambda: result.append(sync.fetch_plan()))
    worker.start()
    try:
        assert dripping.wait(30)
        # While the fetch waits, a page request is answered from what is kept.
        r = app.test_client().get("/")
        assert r.status_code == 200
        worker.join(60)  # a liveness bound, not a timing: without a deadline, never
        assert not worker.is_alive(), "the fetch never gave up"
    finally:
        stop.set()
        worker.join(30)
    assert result == [False]
    assert "took longer than 1 seconds" in _note(app)
    assert _kept(app) == before
