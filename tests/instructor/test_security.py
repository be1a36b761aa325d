"""Security review as tests: every route (enumerated from app.url_map, so a new route
cannot be missed) needs a login and refuses other instructors' cohorts; CSRF on every
form; login rate limiting; hashed passwords and tokens; headers; secrets."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from instructor_support import (
    PASSWORD,
    add_instructor,
    bearer,
    csrf_token,
    enrol,
    login,
)
from sqlalchemy import select, text

from escape_home import progress_log
from escape_home.instructor import create_app, db
from escape_home.instructor.models import Instructor
from escape_home.instructor.sample import make_log

REPO = Path(__file__).resolve().parents[2]
PUBLIC = {"auth.login", "api.enrol", "static"}
TOKEN_ONLY = {"api.upload_log", "api.live", "api.get_class", "plan_api.get_plan"}


class World:
    """Alice owns a cohort with one participant and data; Mallory owns nothing of it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        add_instructor(app, "alice")
        add_instructor(app, "mallory")
        self.alice = login(app, "alice")
        self.mallory = login(app, "mallory")
        self.cohort_id, self.code = self.alice.create_cohort("Alice's class")
        self.mallory_cohort, _ = self.mallory.create_cohort("Mallory's class")
        self.pid, self.token = enrol(app, self.code, "Ann")
        log = make_log(sessions=2)
        self.session_id = log["sessions"][0]["id"]  # one of Ann's sessions
        r = app.test_client().post(
            "/api/logs", data=progress_log.dumps(log), headers=bearer(self.token)
        )
        assert r.status_code == 201
        self.app.test_client().post(
            "/api/live", json={"reps": 1, "state": "joined"}, headers=bearer(self.token)
        )

    def url(self, rule: Any) -> str:
        values: dict[str, Any] = {}
        for arg in rule.arguments:
            if arg == "cohort_id":
                values[arg] = self.cohort_id
            elif arg == "public_id":
                values[arg] = self.pid
            elif arg == "session_id":
                values[arg] = self.session_id
            else:
                raise AssertionError(
                    f"route {rule.rule} has a parameter {arg!r} this test cannot fill: "
                    "teach World.url about it and check its ownership"
                )
        with self.app.test_request_context():
            from flask import url_for

            return url_for(rule.endpoint, **values)

    def snapshot(self) -> list[Any]:
        with self.app.app_context():
            s = db.session()
            return [
                s.execute(text(f"select * from {t} order by 1")).all()
                for t in ("cohort", "participant", "token", "exercise_session")
            ]


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)


def rules(app: Flask) -> list[tuple[Any, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule, method))
    return out


def test_every_route_is_classified(world: World) -> None:
    endpoints = {r.endpoint for r, _ in rules(world.app)}
    assert PUBLIC | TOKEN_ONLY <= endpoints
    assert len(endpoints - PUBLIC - TOKEN_ONLY) >= 10  # the instructor's pages


def test_every_instructor_route_needs_a_login(world: World) -> None:
    client = world.app.test_client()
    token = csrf_token(client)  # a logged-out visitor with a valid CSRF token
    before = world.snapshot()
    checked = 0
    for rule, method in rules(world.app):
        if rule.endpoint in TOKEN_ONLY:  # the app's routes: a token, never a cookie
            r = client.open(world.url(rule), method=method)
            assert r.status_code == 401, f"{method} {rule.rule}: {r.status_code}"
            continue
        if rule.endpoint in PUBLIC:
            continue
        url = world.url(rule)
        r = client.open(url, method=method, data={"csrf_token": token})
        assert r.status_code == 302, f"{method} {url} answered {r.status_code}"
        assert r.headers["Location"].startswith("/login"), f"{method} {url}"
        checked += 1
    assert checked >= 10
    assert world.snapshot() == before


def test_every_route_refuses_another_instructors_cohort(world: World) -> None:
    before = world.snapshot()
    targets = [
        (rule, method)
        for rule, method in rules(world.app)
        if rule.endpoint not in PUBLIC | TOKEN_ONLY and rule.arguments
    ]
    assert len(targets) >= 8
    for rule, method in targets:
        url = world.url(rule)
        token = csrf_token(world.mallory.client, "/")
        r = world.mallory.client.open(url, method=method, data={"csrf_token": token})
        assert r.status_code == 404, f"mallory {method} {url}: {r.status_code}"
        body = r.get_data(as_text=True)
        assert "Ann" not in body and world.code not in body
    assert world.snapshot() == before  # nothing changed
    # Routes without parameters show only one's own cohorts.
    home = world.mallory.client.get("/").get_data(as_text=True)
    assert "Mallory&#39;s class" in home and "Alice&#39;s class" not in home
    # ...while Alice, the owner, gets through on every one of them.
    for rule, method in targets:
        url = world.url(rule)
        token = csrf_token(world.alice.client, "/")
        r = world.alice.client.open(url, method=method, data={"csrf_token": token})
        # The class buttons refuse a POST without an action in plain words (400).
        ok = (400,) if rule.endpoint == "cohorts.lead_class" else (200, 302)
        assert r.status_code in ok, f"alice {method} {url}: {r.status_code}"


def test_every_form_needs_a_csrf_token(world: World) -> None:
    checked = 0
    before = world.snapshot()
    for rule, method in rules(world.app):
        if method != "POST" or rule.endpoint in TOKEN_ONLY | {"api.enrol"}:
            continue
        r = world.alice.client.post(world.url(rule), data={"name": "x"})
        assert r.status_code == 400, f"POST {rule.rule} without CSRF: {r.status_code}"
        checked += 1
    assert checked >= 5
    assert world.snapshot() == before


def test_token_routes_need_a_valid_token(world: World) -> None:
    c = world.app.test_client()
    for url in ("/api/logs", "/api/live"):
        assert c.post(url, json={}).status_code == 401
        assert c.post(url, json={}, headers=bearer("guess")).status_code == 401
    # An instructor's session cookie is not a token.
    assert world.alice.client.post("/api/live", json={"reps": 1}).status_code == 401


def test_tokens_are_random_and_only_hashes_are_stored(world: World) -> None:
    tokens = {enrol(world.app, world.code, f"P{i}")[1] for i in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 43 for t in tokens)
    with world.app.app_context():
        dump = " ".join(
            str(row) for row in db.session().execute(text("select * from token")).all()
        )
    assert not any(t in dump for t in tokens | {world.token})


def test_passwords_are_hashed_with_scrypt(world: World) -> None:
    with world.app.app_context():
        user = db.session().scalar(
            select(Instructor).where(Instructor.username == "alice")
        )
        assert user is not None
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash


def test_login_is_rate_limited(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    client = sqlite_app.test_client()
    codes = []
    for _ in range(12):
        r = client.post(
            "/login",
            data={
                "csrf_token": csrf_token(client),
                "username": "alice",
                "password": "wrong password",
            },
        )
        codes.append(r.status_code)
    assert codes[:10] == [200] * 10  # the form again, with a message
    assert codes[10:] == [429, 429]
    # Even the right password is refused while limited.
    r = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client),
            "username": "alice",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 429


def test_wrong_password_does_not_say_which_part_was_wrong(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    pages = []
    for name in ("alice", "nobody"):
        c = sqlite_app.test_client()
        r = c.post(
            "/login",
            data={
                "csrf_token": csrf_token(c),
                "username": name,
                "password": "wrong password",
            },
        )
        pages.append(re.sub(r'value="[^"]*"', "", r.get_data(as_text=True)))
    assert pages[0] == pages[1]


@pytest.mark.parametrize(
    "path", ["/login", "/", "/api/enrol", "/static/instructor/instructor.css"]
)
def test_security_headers(world: World, path: str) -> None:
    r = world.alice.client.get(path)
    csp = r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Frame-Options"] == "DENY"


def test_hsts_only_over_https(sqlite_app: Flask) -> None:
    c = sqlite_app.test_client()
    assert "Strict-Transport-Security" not in c.get("/login").headers
    r = c.get("/login", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_behind_a_proxy_rate_limits_count_real_clients(make_app: Any) -> None:
    app = make_app("sqlite", BEHIND_PROXY=True, ENROL_RATE_LIMIT="2 per minute")
    c = app.test_client()

    def enrol_from(ip: str) -> int:
        return c.post(
            "/api/enrol",
            json={"code": "AAAA-AAAA", "nickname": "x"},
            headers={"X-Forwarded-For": ip},
        ).status_code

    assert [enrol_from("203.0.113.1") for _ in range(3)] == [404, 404, 429]
    assert enrol_from("203.0.113.2") == 404  # another client is not blocked


def test_pages_are_not_cached(world: World) -> None:
    r = world.alice.client.get(f"/participants/{world.pid}")
    assert r.headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_script_or_style() -> None:
    for page in (REPO / "web" / "templates" / "instructor").glob("*.html"):
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name
        assert not re.search(r"\sstyle=|<style", html), page.name
        assert not re.search(r"\son[a-z]+=", html), page.name
        assert "|safe" not in html and "Markup(" not in html, page.name


def test_session_cookie_is_secure_httponly_samesite(tmp_path: Path) -> None:
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "k" * 32,
        }
    )
    add_instructor(app, "alice")
    c = app.test_client()
    r = c.post(
        "/login",
        data={"csrf_token": csrf_token(c), "username": "alice", "password": PASSWORD},
    )
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secret_key_comes_from_env_or_a_private_instance_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ESCAPE_HOME_SECRET_KEY", raising=False)
    config = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "INSTANCE_PATH": str(tmp_path),
    }
    a, b = create_app(config), create_app(config)
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (
        a.config["SECRET_KEY"] == b.config["SECRET_KEY"] == key_file.read_text().strip()
    )
    assert len(a.config["SECRET_KEY"]) >= 64
    monkeypatch.setenv("ESCAPE_HOME_SECRET_KEY", "from-the-environment")
    assert create_app(config).config["SECRET_KEY"] == "from-the-environment"


def test_no_secrets_in_the_repository() -> None:
    files = subprocess.run(
        ["git", "ls-files", "escape_home", "web", "tests/instructor", "docs"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not [f for f in files if "secret" in os.path.basename(f).lower()]
    pattern = re.compile(r"SECRET_KEY['\"]?\s*[:=]\s*['\"][^'\"]{8,}")
    for name in files:
        path = REPO / name
        if path.suffix in (".py", ".json", ".toml", ".cfg", ".ini", ".env"):
            text_ = path.read_text(errors="replace")
            assert not pattern.search(text_), f"hard-coded secret key in {name}"
