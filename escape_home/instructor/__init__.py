"""The instructor's review server: cohorts, uploaded progress logs, a live class board.

`create_app(config)` builds the Flask app. Settings come, in rising priority, from the
defaults below, the environment (``DATABASE_URL``, ``ESCAPE_HOME_DB_SCHEMA`` (a
PostgreSQL schema), ``ESCAPE_HOME_SECRET_KEY``, ``ESCAPE_HOME_INSTANCE``,
``ESCAPE_HOME_SECURE_COOKIES``, ``ESCAPE_HOME_RATELIMIT_STORAGE``,
``ESCAPE_HOME_UPLOAD_RATE_LIMIT``, ``ESCAPE_HOME_MAX_SESSIONS_PER_PARTICIPANT``) and
the `config` mapping.
No secret lives in the repository: without ``ESCAPE_HOME_SECRET_KEY`` a random key is
made once and kept (mode 0600) in the instance folder.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import platformdirs
from flask import Flask, jsonify, render_template, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from escape_home.instructor import db
from escape_home.instructor.models import Instructor
from escape_home.instructor.security import (
    add_headers,
    client_key,
    session_user,
    upload_key,
)
from escape_home.participant.programme import NUM_SESSIONS

WEB = Path(__file__).resolve().parents[2] / "web"

DEFAULTS: dict[str, Any] = {
    "AUTO_MIGRATE": True,
    "DATABASE_SCHEMA": None,
    "MAX_LOG_BYTES": 5_000_000,
    # The whole request (a log in a multipart form has some overhead).
    "MAX_CONTENT_LENGTH": 5_100_000,
    "LOGIN_RATE_LIMIT": "10 per minute",
    "ENROL_RATE_LIMIT": "30 per minute",
    # Log uploads per participant token: the app sends after each session and
    # retries every few minutes; a device flooding the server gets 429 (with
    # Retry-After) and slows no one else down.
    "UPLOAD_RATE_LIMIT": "6 per minute; 60 per hour",
    # What one participant can store: the programme's sessions, each redone or
    # interrupted up to 10 times; and the test results one valid log can hold.
    # An upload that would go beyond either is refused whole (422 naming the limit).
    "MAX_SESSIONS_PER_PARTICIPANT": 10 * NUM_SESSIONS,
    "MAX_TESTS_PER_PARTICIPANT": 200,
    # The live board shows the current class: news from today (local time) within
    # the last hour (a class is about an hour); older cards are an earlier class.
    "LIVE_WINDOW_S": 3600,
    "LIVE_STALE_S": 15,
    "DISPLAY_TIMEZONE": "Europe/London",
    "UPLOAD_CONCURRENCY": 2,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_NAME": "escape_home_instructor",
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_HEADER_RETRY_AFTER_VALUE": "delta-seconds",  # Retry-After: 42
    # Where rate-limit counts live. memory:// is one process's memory (reset on
    # restart); several processes share counts through e.g. redis://host:6379.
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_KEY_PREFIX": "escape-home",
    # Address of the one reverse proxy whose X-Forwarded-For/-Proto/-Host/-Port are
    # believed (None: no proxy; every X-Forwarded-* header is dropped).
    "TRUSTED_PROXY": None,
    # Flask-WTF's HTTPS Referer check cannot work with `Referrer-Policy:
    # no-referrer` (browsers send no Referer); the CSRF token bound to the session
    # and SameSite=Lax cookies are the defence.
    "WTF_CSRF_SSL_STRICT": False,
}

PROXY_HEADERS = frozenset(
    {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"}
)


def default_instance() -> Path:
    """Where the database and secret key live unless told otherwise."""
    env = os.environ.get("ESCAPE_HOME_INSTANCE")
    return (
        Path(env)
        if env
        else Path(platformdirs.user_data_dir("escape-home")) / "instructor"
    )


def _secret_key(instance: Path) -> str:
    env = os.environ.get("ESCAPE_HOME_SECRET_KEY")
    if env:
        return env
    path = instance / "secret_key"
    if not path.exists():
        db.private_dir(instance)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _configure(app: Flask, config: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    if os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if os.environ.get("ESCAPE_HOME_BEHIND_PROXY", "0") not in ("", "0"):
        app.config["BEHIND_PROXY"] = True
    if os.environ.get("ESCAPE_HOME_TRUSTED_PROXY"):
        app.config["TRUSTED_PROXY"] = os.environ["ESCAPE_HOME_TRUSTED_PROXY"].strip()
    for key in (
        "LOGIN_RATE_LIMIT",
        "ENROL_RATE_LIMIT",
        "UPLOAD_RATE_LIMIT",
        "LIVE_STALE_S",
        "LIVE_WINDOW_S",
        "MAX_SESSIONS_PER_PARTICIPANT",
    ):
        if os.environ.get(f"ESCAPE_HOME_{key}"):
            app.config[key] = os.environ[f"ESCAPE_HOME_{key}"]
    for env, key in (
        ("ESCAPE_HOME_RATELIMIT_STORAGE", "RATELIMIT_STORAGE_URI"),
        ("ESCAPE_HOME_RATELIMIT_PREFIX", "RATELIMIT_KEY_PREFIX"),
    ):
        if os.environ.get(env):
            app.config[key] = os.environ[env]
    if os.environ.get("ESCAPE_HOME_DB_SCHEMA"):
        app.config["DATABASE_SCHEMA"] = os.environ["ESCAPE_HOME_DB_SCHEMA"]
    secure = os.environ.get("ESCAPE_HOME_SECURE_COOKIES")
    if secure is not None:
        flag = secure.lower() not in ("0", "false", "no")
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = (
            flag
        )
    app.config.update(config or {})
    if app.config.get("BEHIND_PROXY") and not app.config.get("TRUSTED_PROXY"):
        app.config["TRUSTED_PROXY"] = "127.0.0.1"  # the older setting: a local proxy
    instance = Path(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        db.private_dir(instance)  # 0700: it holds the database and the secret key
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'instructor.sqlite3'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the instructor server.

    Args:
        config: Settings overriding the defaults and the environment, e.g.
            ``{"DATABASE_URL": "sqlite:///x.db", "SECRET_KEY": "..."}``.

    Returns:
        The Flask app, with its database migrated to the latest schema.
    """
    instance = (config or {}).get("INSTANCE_PATH") or default_instance()
    app = Flask(
        __name__,
        instance_path=str(Path(instance).resolve()),
        template_folder=str(WEB / "templates"),
        static_folder=str(WEB / "static"),
    )
    _configure(app, config)
    db.init_app(app)
    app.extensions["escape_home_upload_slots"] = threading.BoundedSemaphore(
        int(app.config["UPLOAD_CONCURRENCY"])
    )

    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = "Please sign in to see your classes."
    login.session_protection = "strong"

    @login.user_loader
    def _load(user_id: str) -> Instructor | None:
        return session_user(user_id)  # server-side: sign-out really ends it

    csrf = CSRFProtect(app)
    from escape_home.instructor import api, views_cohorts, views_lessons, views_main

    app.register_blueprint(views_main.bp)
    app.register_blueprint(views_cohorts.bp)
    app.register_blueprint(views_lessons.bp)
    from escape_home.instructor import views_dashboard

    app.register_blueprint(views_dashboard.bp)  # alert reviews, notes, session pages
    from escape_home.instructor import views_plan

    views_plan.init_app(app)  # the exercise plan's pages and GET /api/plan
    from escape_home.instructor import views_replay

    app.register_blueprint(views_replay.bp)  # movement replays (stick figures)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the token API: no cookies, so no CSRF

    # One limiter per app: with memory storage apps made by tests never share counts;
    # with a shared store (Redis) every server process counts against one limit.
    # If the store stops answering, each process falls back to its own memory
    # (still limited) rather than failing every sign-in.
    limiter = Limiter(
        client_key,
        app=app,
        storage_uri=str(app.config["RATELIMIT_STORAGE_URI"]),
        key_prefix=str(app.config["RATELIMIT_KEY_PREFIX"]),
        in_memory_fallback_enabled=True,
    )
    app.extensions["escape_home_limiter"] = limiter
    for endpoint, setting, said in (
        (
            "auth.login",
            "LOGIN_RATE_LIMIT",
            "Too many sign-in attempts from this address. Please wait {wait}, "
            "then try again.",
        ),
        (
            "api.enrol",
            "ENROL_RATE_LIMIT",
            "enrol: too many attempts from this address; nothing was stored, "
            "try again in {wait}",
        ),
    ):
        app.view_functions[endpoint] = _limited(
            limiter,
            app,
            setting,
            app.view_functions[endpoint],
            error_message=_retry_message(limiter, said),
        )
    app.view_functions["api.upload_log"] = _limited(
        limiter,
        app,
        "UPLOAD_RATE_LIMIT",
        app.view_functions["api.upload_log"],
        key_func=upload_key,
        error_message=_upload_limit_message(limiter, app),
    )

    proxy = app.config.get("TRUSTED_PROXY")
    if proxy and not app.config.get("PROXY_HEADERS_BY_SERVER"):
        # One trusted reverse proxy: from its connections only, take the client
        # address and https from X-Forwarded-*, so rate limits count real clients
        # and cookies/HSTS know the scheme. Anyone else's X-Forwarded-* is dropped.
        # The same code waitress runs when `serve` hands it the setting.
        from waitress.proxy_headers import proxy_headers_middleware

        app.wsgi_app = proxy_headers_middleware(  # type: ignore[method-assign]
            app.wsgi_app,
            trusted_proxy=proxy,
            trusted_proxy_count=1,
            trusted_proxy_headers=set(PROXY_HEADERS),
            clear_untrusted=True,
        )
    app.after_request(add_headers)
    app.add_template_filter(_local_time(app.config["DISPLAY_TIMEZONE"]), "local")
    _error_pages(app)
    return app


def _limited(
    limiter: Limiter, app: Flask, setting: str, view: Any, **options: Any
) -> Any:
    def limit() -> str:
        return str(app.config[setting])

    return limiter.limit(limit, methods=["POST"], **options)(view)


def _seconds_left(limiter: Limiter) -> int | None:
    current = limiter.current_limit
    return None if current is None else max(1, int(current.reset_at - time.time()))


def _retry_message(limiter: Limiter, text: str) -> Any:
    """A 429's message saying when to try again (the Retry-After header's wait)."""

    def message() -> str:
        seconds = _seconds_left(limiter)
        if seconds is None:
            wait = "a minute"
        elif seconds < 120:
            wait = f"{seconds} second{'s' if seconds != 1 else ''}"
        else:
            wait = f"{round(seconds / 60)} minutes"
        return text.format(wait=wait)

    return message


def _upload_limit_message(limiter: Limiter, app: Flask) -> Any:
    def message() -> str:
        current = limiter.current_limit
        wait = "later"
        if current is not None:
            seconds = max(1, int(current.reset_at - time.time()))
            wait = f"in {seconds} s"
        return (
            "uploads: too many from this device (the limit is "
            f"{app.config['UPLOAD_RATE_LIMIT']}); nothing was stored, send again "
            f"{wait}"
        )

    return message


def _local_time(zone: str) -> Any:
    """Jinja filter: a stored UTC time shown in the instructor's time zone."""
    tz = ZoneInfo(zone)

    def local(when: datetime, fmt: str = "%a %-d %b, %H:%M") -> str:
        return when.astimezone(tz).strftime(fmt)

    return local


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def _error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        return render_template(
            "instructor/error.html",
            code=400,
            message="The form had expired or was not sent from this site. "
            "Go back, reload the page and try again.",
        ), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        code = exc.code or 500
        message = exc.description or exc.name
        if code == 404 and exc.description == type(exc).description:
            message = "There is nothing here, or it belongs to another instructor."
        if code == 413 and exc.description == type(exc).description:
            # No route-specific limit given: the log-upload limit applies.
            message = (
                f"The upload is too large: the limit is "
                f"{app.config['MAX_LOG_BYTES']} bytes."
            )
        if _wants_json():
            return jsonify(error=message), code
        return render_template(
            "instructor/error.html", code=code, message=message
        ), code
