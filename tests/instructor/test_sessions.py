"""Sign-in sessions are kept on the server (issue 11, item 3): sign-out, a password
change and a disabled account end them, so a copied cookie replayed later fails,
from this browser or any other."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from instructor_support import PASSWORD, add_instructor, csrf_token, login

from escape_home import cli
from escape_home.instructor import create_app
from escape_home.instructor.cli import main as instructor_main

COOKIE = "escape_home_instructor"


def stolen(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie.value)
    return thief


def signed_in(client: FlaskClient) -> bool:
    r = client.get("/")
    return r.status_code == 200 and "Sign out" in r.get_data(as_text=True)


def test_a_copied_cookie_fails_after_sign_out(app: Flask) -> None:
    add_instructor(app, "alice")
    web = login(app, "alice")
    thief = stolen(app, web.client)
    assert signed_in(thief), "the copy works while the owner is signed in"
    before = web.client.get_cookie(COOKIE)
    assert before is not None
    r = web.post("/logout")
    assert r.status_code == 302
    assert not signed_in(web.client)
    assert not signed_in(thief), "a cookie copied before sign-out still worked"
    # Replaying the exact old cookie in the original browser fails too.
    again = app.test_client()
    again.set_cookie(COOKIE, before.value)
    r = again.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_a_password_change_ends_every_other_session(app: Flask) -> None:
    add_instructor(app, "alice")
    web = login(app, "alice")
    laptop = login(app, "alice").client
    thief = stolen(app, web.client)
    new = "a brand new password"
    r = web.post("/account", {"current": PASSWORD, "new": new, "again": new})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert signed_in(web.client), "the browser that changed it stays signed in"
    assert not signed_in(laptop)
    assert not signed_in(thief)
    login(app, "alice", new)  # the new password works...
    c = app.test_client()
    r = c.post(
        "/login",
        data={"csrf_token": csrf_token(c), "username": "alice", "password": PASSWORD},
    )
    assert r.status_code == 200  # ...and the old one no longer does


def test_a_wrong_current_password_changes_nothing(app: Flask) -> None:
    add_instructor(app, "alice")
    web = login(app, "alice")
    new = "a brand new password"
    r = web.post("/account", {"current": "not it at all", "new": new, "again": new})
    assert "current password is not right" in r.get_data(as_text=True)
    login(app, "alice")


def test_disabling_an_account_ends_its_sessions_and_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'i.db'}"
    monkeypatch.setenv("ESCAPE_HOME_INSTANCE", str(tmp_path))
    app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), "TESTING": True}
        | {"SESSION_COOKIE_SECURE": False}
    )
    add_instructor(app, "alice")
    web = login(app, "alice")
    thief = stolen(app, web.client)

    def run(*argv: str) -> int:
        args = cli.build_parser().parse_args(["instructor", "--database", url, *argv])
        return instructor_main(args)

    assert run("disable-user", "alice") == 0
    assert "1 signed-in session(s) ended" in capsys.readouterr().out
    assert not signed_in(web.client)
    assert not signed_in(thief)
    c = app.test_client()
    r = c.post(
        "/login",
        data={"csrf_token": csrf_token(c), "username": "alice", "password": PASSWORD},
    )
    assert r.status_code == 200 and "disabled" in r.get_data(as_text=True)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run("enable-user", "alice") == 0
    assert signed_in(login(app, "alice").client)


def test_only_a_hash_of_the_session_id_is_stored(app: Flask) -> None:
    from sqlalchemy import select

    from escape_home.instructor import db
    from escape_home.instructor.models import LoginSession

    add_instructor(app, "alice")
    web = login(app, "alice")
    cookie = web.client.get_cookie(COOKIE)
    assert cookie is not None
    with app.app_context():
        rows = db.session().scalars(select(LoginSession)).all()
    assert len(rows) == 1 and len(rows[0].token_hash) == 64
    assert rows[0].token_hash not in cookie.value
