"""The participant app: a guided ESCAPE-pain session at home.

`create_app(config)` builds the Flask app (flaskr-style factory); `run_app(...)` is
what `escape-home run` and ``python app.py`` call: it serves the app on 127.0.0.1
with waitress and opens the browser.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import webbrowser
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
from flask import Flask, Request, Response
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import BadRequest, HTTPException

from escape_home.errors import EscapeHomeError
from escape_home.participant import db, replay_store, store

log = logging.getLogger(__name__)

WEB = Path(__file__).resolve().parents[2] / "web"

#: Settings: (name, default, help). Defaults are derived from this list.
SETTINGS: tuple[tuple[str, Any, str], ...] = (
    ("DATABASE", None, "SQLite file of the progress log (default: user data folder)"),
    ("SOURCE", None, "camera index or video file; None runs without the camera"),
    ("MODEL", "full", "pose model: lite, full, heavy or a .task path"),
    ("PROGRAMME", None, "programme JSON file (default: the packaged programme)"),
    ("REMOTE_RETRY_S", 300.0, "seconds between retries of a failed upload"),
    ("NEXT_DAY_HOURS", 12.0, "hours after a session before next-day pain is asked"),
    (
        "FINISH_OFFER_S",
        20.0,
        "seconds without a counted rep before a set offers an 'I've finished' button",
    ),
    (
        "LIVE_FACTORIES",
        None,
        "tests only: dict of make_estimator / make_tracker / "
        "opener replacing the pose model, the engine or the camera",
    ),
)


class _Request(Request):
    """JSON nested past Python's stack (``[`` x 100,000 fits in the size limit) is
    malformed JSON like any other: None for ``silent``, else a plain 400, never the
    RecursionError (a 500) werkzeug lets through."""

    def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> Any:
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            raise BadRequest("The JSON sent is nested too deeply.") from None


def default_database() -> str:
    """The progress log's default place: the user's data folder."""
    return str(platformdirs.user_data_path("escape-home") / "progress.sqlite3")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the participant app.

    Args:
        config: Overrides of `SETTINGS` (and any Flask setting, e.g. TESTING).
    """
    app = Flask(
        __name__,
        template_folder=str(WEB / "templates"),
        static_folder=str(WEB / "static"),
    )
    app.request_class = _Request
    app.config.from_mapping({name: default for name, default, _ in SETTINGS})
    app.config.update(
        # Only answer requests addressed to this computer: a web page elsewhere
        # cannot reach the camera through DNS rebinding.
        TRUSTED_HOSTS=["127.0.0.1", "localhost", "::1"],
        MAX_CONTENT_LENGTH=1_000_000,
        SESSION_COOKIE_SAMESITE="Strict",
        WTF_CSRF_TIME_LIMIT=None,  # a session can last an hour; keep the form valid
    )
    if config:
        app.config.update(config)
    if not app.config["DATABASE"]:
        app.config["DATABASE"] = default_database()

    from escape_home.participant.programme import load_programme

    app.extensions["escape_home.programme"] = load_programme(app.config["PROGRAMME"])
    writer = db.init_app(app)
    writer.call(store.mark_interrupted)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = writer.call(_secret_key)
    CSRFProtect(app)

    from escape_home.participant import remote

    remote.init_app(app)
    if app.config["SOURCE"] is not None:
        _start_live(app)

    from escape_home.participant import (
        views_class,
        views_lessons,
        views_live,
        views_progress,
        views_replay,
        views_session,
        views_setup,
        views_tests,
        views_tools,
        views_week,
    )

    for bp in (
        views_setup.bp,
        views_session.bp,
        views_live.bp,
        views_progress.bp,
        views_tests.bp,
        views_lessons.bp,
        views_tools.bp,
        views_week.bp,
        views_replay.bp,
        views_class.bp,
    ):
        app.register_blueprint(bp)
    app.before_request(_own_pages_only)
    app.after_request(_security_headers)
    app.context_processor(_template_globals)
    app.jinja_env.filters["fromjson"] = json.loads
    app.register_error_handler(HTTPException, _http_error)
    return app


def _http_error(exc: HTTPException) -> Any:
    """One error path: JSON for the page scripts' API, a plain page for people."""
    from flask import jsonify, render_template, request

    message = exc.description or "Something went wrong."
    if isinstance(exc, CSRFError):
        message = "This page had expired. Please go back and try again."
    if request.path.startswith(("/api/", "/live/")):
        return jsonify(error=message), exc.code or 500
    return render_template("participant/error.html", message=message), exc.code or 500


def _secret_key(conn: Any) -> str:
    """Keep one random key per install, so forms stay valid across restarts."""
    key = store.get_setting(conn, "secret_key")
    if key is None:
        key = secrets.token_hex(32)
        store.set_setting(conn, "secret_key", key)
    return key


def _start_live(app: Flask) -> None:
    from escape_home.participant.live import LiveWorker
    from escape_home.participant.pipeline import Event

    writer = db.get_writer_of(app)
    remote_client = app.extensions["escape_home.remote"]

    def on_event(event: Event) -> None:
        # Runs on the pipeline thread: only queue work, never wait for the disk.
        if event.rep is not None:
            rep = event.rep
            writer.submit(lambda c: store.add_rep(c, event.set_id, rep))
        if event.hold is not None:
            hold = event.hold
            writer.submit(lambda c: store.add_hold(c, event.set_id, hold))
        if event.replay is not None:
            replay = event.replay
            writer.submit(lambda c: replay_store.add(c, event.set_id, replay))
        remote_client.live_changed()

    worker = LiveWorker(
        str(app.config["SOURCE"]),
        on_event,
        model=app.config["MODEL"],
        **(app.config["LIVE_FACTORIES"] or {}),
    )
    app.extensions["escape_home.live"] = worker
    remote_client.live = worker
    worker.start()


def _own_pages_only() -> Any:
    """Answer only the app's own pages.

    A page on any other origin (a public site, or another port of this computer)
    could otherwise switch the camera on with ``<img src=".../live/video.mjpg">``
    or an EventSource, and show the person their own picture inside it; the
    browser only hides the pixels from that page's script. Browsers say where a
    request comes from in ``Sec-Fetch-Site``: only ``same-origin`` and ``none``
    (typed, bookmarked, opened by ``escape-home run``) are answered. A link
    followed from elsewhere lands on the home page, which starts nothing. Clients
    that send no Sec-Fetch-Site (old browsers) are judged by ``Origin``.
    """
    from flask import abort, redirect, request, url_for

    site = request.headers.get("Sec-Fetch-Site")
    if site is None:
        origin = request.headers.get("Origin")
        if origin is None or origin == request.host_url.rstrip("/"):
            return None
        site = "cross-site"
    if site in ("same-origin", "none"):
        return None
    if (
        request.method == "GET"
        and request.headers.get("Sec-Fetch-Mode") == "navigate"
        and request.headers.get("Sec-Fetch-Dest") == "document"
    ):
        if request.path == "/":
            return None
        return redirect(url_for("setup.home"))
    abort(403, "This app only answers its own pages.")


def _security_headers(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    # No other origin may embed or read anything (the picture, the state, pages).
    resp.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    resp.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Frame-Options"] = "DENY"
    return resp


def _template_globals() -> dict[str, Any]:
    from flask import current_app

    writer: db.Writer = current_app.extensions["escape_home.writer"]
    return {"storage_error": writer.error}


def run_app(
    source: str | None = "0",
    port: int = 5000,
    open_browser: bool = True,
    model: str = "full",
    database: str | None = None,
    host: str = "127.0.0.1",
) -> int:
    """Serve the participant app until interrupted (the `escape-home run` command).

    Returns:
        The process exit code.
    """
    import waitress

    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    config: dict[str, Any] = {"SOURCE": source, "MODEL": model, "DATABASE": database}
    if host not in ("127.0.0.1", "localhost", "::1"):
        config["TRUSTED_HOSTS"] = None  # told to listen more widely
    app = create_app(config)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"
    # Enough threads for the MJPEG stream, the live-state stream and page requests.
    try:
        server = waitress.create_server(
            app, host=host, port=port, threads=12, ident="escape-home"
        )
    except OSError as exc:
        _shutdown(app)
        raise EscapeHomeError(
            f"Cannot listen on {host}:{port} ({exc.strerror}). Another program may "
            f"be using it; try --port {port + 1}."
        ) from exc
    log.info("escape-home is running at %s (press Ctrl+C to stop)", url)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    try:
        server.run()
    finally:
        _shutdown(app)
    return 0


def _shutdown(app: Flask) -> None:
    """Release the camera, stop the model and write whatever is still queued."""
    live = app.extensions.get("escape_home.live")
    if live is not None:
        live.stop()
    app.extensions["escape_home.remote"].stop()
    app.extensions["escape_home.writer"].close()
