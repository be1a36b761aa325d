"""Helpers for the instructor tests: app config on SQLite or PostgreSQL (found
automatically on 127.0.0.1:5432), a signed-in client with CSRF, enrolment."""

from __future__ import annotations

import os
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from escape_home.instructor import db
from escape_home.instructor.models import Instructor
from escape_home.instructor.security import hash_password

PASSWORD = "correct horse battery"
_CI_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)


def _find_postgres() -> str | None:
    """DATABASE_URL if set; else the CI server on 127.0.0.1:5432 if it answers."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=0.5).close()
    except OSError:
        return None
    for url in _CI_URLS:
        try:
            with create_engine(url).connect() as conn:
                conn.execute(text("select 1"))
            os.environ["DATABASE_URL"] = url  # so the README command covers PostgreSQL
            return url
        except Exception:
            continue
    return None


POSTGRES_URL = _find_postgres()


def _config(tmp_path: Path, backend: str, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "SECRET_KEY": "test-" + uuid.uuid4().hex,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
    }
    if backend == "sqlite":
        config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'instructor.sqlite3'}"
    else:
        if POSTGRES_URL is None:
            pytest.skip("no PostgreSQL: set DATABASE_URL or run one on 127.0.0.1:5432")
        config["DATABASE_URL"] = POSTGRES_URL
        config["DATABASE_SCHEMA"] = "t_" + uuid.uuid4().hex[:12]
    config.update(extra)
    return config


def _drop(app: Flask) -> None:
    schema = app.config.get("DATABASE_SCHEMA")
    engine = app.extensions["escape_home_db"]["engine"]
    if schema:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = _CSRF.search(page)
    if match is None:
        raise AssertionError(f"no CSRF token on {path}")
    return match.group(1) or match.group(2)


def add_instructor(app: Flask, name: str, password: str = PASSWORD) -> int:
    with app.app_context(), db.writing() as s:
        user = Instructor(username=name, password_hash=hash_password(password))
        s.add(user)
        s.flush()
        return user.id


@dataclass
class Web:
    """A signed-in instructor's browser session (cookies + CSRF tokens)."""

    client: FlaskClient
    name: str

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        token = csrf_token(self.client, "/")
        return self.client.post(path, data={"csrf_token": token, **(data or {})}, **kw)

    def create_cohort(self, name: str = "Tuesday class") -> tuple[int, str]:
        r = self.post(
            "/cohorts",
            {
                "name": name,
                "start_date": date.today().isoformat(),
                "schedule": "Tue and Fri 10:00",
                "sessions_per_week": "2",
            },
        )
        assert r.status_code == 302, r.get_data(as_text=True)
        cohort_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
        page = self.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
        code = re.search(r'id="enrol-code">([A-Z0-9-]+)<', page)
        assert code is not None
        return cohort_id, code.group(1)


def login(app: Flask, name: str, password: str = PASSWORD) -> Web:
    client = app.test_client()
    r = client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "username": name, "password": password},
    )
    assert r.status_code == 302, f"login failed: {r.status_code}"
    return Web(client, name)


def enrol(app: Flask, code: str, nickname: str = "Jo") -> tuple[str, str]:
    r = app.test_client().post("/api/enrol", json={"code": code, "nickname": nickname})
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    return body["participant_id"], body["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
