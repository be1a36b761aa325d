"""A change logged while an upload is under way is never lost: the uploader clears
its "waiting" mark only if nothing new was logged meanwhile (regression test for a
race found by the end-to-end test: a session finished during an upload of the log
without it was never sent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from escape_home.participant import create_app, remote, store
from escape_home.participant.db import connect


def _pending(app: Any) -> str | None:
    conn = connect(app.config["DATABASE"])
    try:
        return store.get_setting(conn, "upload_pending")
    finally:
        conn.close()


def test_change_during_upload_keeps_the_log_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "p.sqlite3"),
            "REMOTE_RETRY_S": 3600.0,
        }
    )
    client = app.extensions["escape_home.remote"]
    client.stop()  # drive uploads by hand: no background round may interleave
    writer = app.extensions["escape_home.writer"]
    writer.call(lambda c: store.set_setting(c, "server", "http://127.0.0.1:9"))
    writer.call(lambda c: store.set_setting(c, "token", "t"))
    client.upload_soon()
    writer.call(lambda c: None)  # the mark is written
    sent: list[Any] = []

    def post_json(url: str, body: Any, token: str | None = None) -> tuple[int, Any]:
        sent.append(body)
        if len(sent) == 1:
            client.upload_soon()  # a session finishes while the first upload runs
            writer.call(lambda c: None)
        return 201, {"sessions_new": 0}

    monkeypatch.setattr(remote, "post_json", post_json)
    monkeypatch.setattr(remote.export, "build_log", lambda conn: {"log": len(sent)})
    try:
        assert client.upload_now() is True
        assert _pending(app) is not None, "the newer change must still be waiting"
        assert client.upload_now() is True
        assert _pending(app) is None, "after a quiet upload nothing is waiting"
        assert len(sent) == 2
    finally:
        writer.close()


def test_upload_starts_at_once_even_when_the_mark_is_written_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The uploader must not be woken before the "waiting" mark is on disk: woken
    early it found nothing waiting and slept its whole retry interval (5 minutes in
    the app), so an upload arrived up to 5 minutes late."""
    import threading
    import time

    sent = threading.Event()

    def post_json(url: str, body: Any, token: str | None = None) -> tuple[int, Any]:
        sent.set()
        return 201, {"sessions_new": 1}

    real_set = store.set_setting

    def slow_set(conn: Any, key: str, value: str | None) -> None:
        if key == "upload_pending":
            time.sleep(0.5)  # a busy writer: the mark lands after the wake-up
        real_set(conn, key, value)

    monkeypatch.setattr(remote, "post_json", post_json)
    monkeypatch.setattr(remote.export, "build_log", lambda conn: {"log": 1})
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "p.sqlite3"),
            "REMOTE_RETRY_S": 3600.0,
        }
    )
    client = app.extensions["escape_home.remote"]
    writer = app.extensions["escape_home.writer"]
    try:
        writer.call(lambda c: store.set_setting(c, "server", "http://127.0.0.1:9"))
        writer.call(lambda c: store.set_setting(c, "token", "t"))
        time.sleep(0.3)  # the uploader's start-up round is over; it is asleep
        monkeypatch.setattr(remote.store, "set_setting", slow_set)
        t0 = time.monotonic()
        client.upload_soon()
        assert sent.wait(5.0), "the upload did not start within 5 s"
        assert time.monotonic() - t0 < 2.0
    finally:
        client.stop()
        writer.close()
