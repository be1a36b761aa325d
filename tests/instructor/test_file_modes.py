"""Stored data is private to the user running the server or app (issue 11, item 7):
databases and their -wal/-shm files 0600, folders made for them 0700, even under a
permissive umask."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from instructor_support import add_instructor, login

from escape_home.instructor import create_app

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("DATABASE_URL", raising=False)  # SQLite files are the point
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    yield
    os.umask(old)


def test_instructor_database_wal_shm_and_folders_are_private(tmp_path: Path) -> None:
    instance = tmp_path / "new" / "instance"
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SESSION_COOKIE_SECURE": False,
            "TESTING": True,
        }
    )
    db_file = instance / "instructor.sqlite3"
    add_instructor(app, "alice")
    login(app, "alice").create_cohort()  # writes, so the -wal and -shm exist
    files = {p.name: mode(p) for p in instance.iterdir()}
    assert {
        "instructor.sqlite3",
        "instructor.sqlite3-wal",
        "instructor.sqlite3-shm",
    } <= (set(files)), files
    assert files == {name: 0o600 for name in files}, {
        k: oct(v) for k, v in files.items()
    }
    assert mode(instance) == 0o700
    assert mode(instance.parent) == 0o700  # a parent it had to make too
    assert db_file.exists()
    app.extensions["escape_home_db"]["engine"].dispose()


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'i.sqlite3'}"
    config = {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "inst"),
        "SECRET_KEY": "x",
    }
    create_app(config).extensions["escape_home_db"]["engine"].dispose()
    os.chmod(tmp_path / "db" / "i.sqlite3", 0o644)
    create_app(config).extensions["escape_home_db"]["engine"].dispose()
    assert mode(tmp_path / "db" / "i.sqlite3") == 0o600
    assert mode(tmp_path / "db") == 0o700


def test_participant_database_and_folder_are_private(tmp_path: Path) -> None:
    from escape_home.participant import create_app as participant_app
    from escape_home.participant import store

    path = tmp_path / "p" / "progress.sqlite3"
    app = participant_app({"TESTING": True, "DATABASE": str(path)})
    writer = app.extensions["escape_home.writer"]
    try:
        writer.call(lambda c: store.set_setting(c, "token", "secret-token"))
        files = {p.name: mode(p) for p in path.parent.iterdir()}
        assert "progress.sqlite3" in files
        assert files == {n: 0o600 for n in files}, {k: oct(v) for k, v in files.items()}
        assert mode(path.parent) == 0o700
    finally:
        app.extensions["escape_home.remote"].stop()
        writer.close()
