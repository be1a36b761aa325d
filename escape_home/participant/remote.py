"""Talking to the instructor's server: enrolment, log upload, live class board.

Nothing here runs on the frame path. Uploads happen on a background thread: after
each session the log is marked as waiting; the thread sends the whole log (the
server stores it idempotently) and keeps retrying, at start-up and every few
minutes, until the server says it has it. The live board gets numbers only, from a
second thread that coalesces changes (the newest state wins; nothing queues).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask

from escape_home import messages
from escape_home.errors import EscapeHomeError, InvalidProgressLog
from escape_home.participant import db, export, store

if TYPE_CHECKING:
    from escape_home.participant.live import LiveWorker

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
LIVE_MIN_INTERVAL_S = 0.5
NO_CLASS_BACKOFF_S = 30.0


class RemoteError(EscapeHomeError):
    """The server could not be reached or refused (message is for the person)."""


def check_server(address: str) -> str:
    """Normalise a server address typed by a person; raise RemoteError if unusable."""
    address = address.strip().rstrip("/")
    if "://" not in address:
        address = "https://" + address
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RemoteError(
            "That does not look like a web address. Check it and try again."
        )
    return address


def post_json(url: str, body: Any, token: str | None = None) -> tuple[int, Any]:
    """POST JSON; return (status, parsed body or None). Raise RemoteError if offline."""
    data = json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            raw = resp.read()
            status = int(resp.status)
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), int(exc.code)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise RemoteError(f"The server could not be reached ({exc}).") from exc
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, parsed


def enrol(server: str, code: str, nickname: str) -> tuple[str, str]:
    """Exchange an enrolment code for (participant_id, token).

    The request and the reply are checked against their schemas (data/messages).
    """
    try:
        request = messages.validate("enrol", {"code": code, "nickname": nickname})
    except messages.InvalidMessage as exc:
        raise RemoteError(f"That cannot be sent to the server ({exc}).") from None
    status, body = post_json(f"{server}/api/enrol", request)
    if status >= 400 or not isinstance(body, dict):
        reason = body.get("error") if isinstance(body, dict) else None
        raise RemoteError(
            f"The server did not accept the code ({reason or f'error {status}'}). "
            "Check the code with your instructor."
        )
    try:
        reply = messages.validate("enrol-reply", body)
    except messages.InvalidMessage:
        raise RemoteError(
            "The server sent an unexpected answer. Try again later."
        ) from None
    return str(reply["participant_id"]), str(reply["token"])


class RemoteClient:
    """Background uploader and live-board sender for one app."""

    def __init__(self, app: Flask) -> None:
        self._path = app.config["DATABASE"]
        self._writer = db.get_writer_of(app)
        self._retry_s = float(app.config["REMOTE_RETRY_S"])
        self.live: LiveWorker | None = None  # when there is a camera
        self._announced: dict[str, Any] | None = None
        self.last_error: str | None = None
        self.last_upload: str | None = None
        self._wake = threading.Event()
        self._live_wake = threading.Event()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._upload_loop, name="upload", daemon=True),
            threading.Thread(target=self._live_loop, name="live-board", daemon=True),
        ]
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._live_wake.set()
        for t in self._threads:
            t.join(timeout=TIMEOUT_S)

    def upload_soon(self) -> None:
        """Mark the log as waiting and wake the uploader.

        The mark is a fresh value each time, so an upload that was already under
        way (built before this change) cannot clear it: see `upload_now`.
        """
        mark = uuid.uuid4().hex
        done = self._writer.submit(
            lambda c: store.set_setting(c, "upload_pending", mark)
        )
        # Wake the uploader only once the mark is written: woken earlier it finds
        # nothing waiting and sleeps its whole retry interval.
        done.add_done_callback(lambda _f: self._wake.set())

    def live_changed(self) -> None:
        """Called from the pipeline: cheap, never blocks."""
        self._live_wake.set()

    def announce(self, state: str, exercise: str | None, reps: int) -> None:
        """Tell the live board about a change outside a set: `state` is one of
        `messages.live_states()` (JOINED, RESTING, FINISHED, LEFT)."""
        self._announced = {
            "exercise": exercise,
            "reps": reps,
            "cue": None,
            "state": state,
        }
        self._live_wake.set()

    def _settings(self) -> dict[str, str | None]:
        conn = db.connect(self._path)
        try:
            return {
                k: store.get_setting(conn, k)
                for k in ("server", "token", "upload_pending")
            }
        finally:
            conn.close()

    def upload_now(self) -> bool:
        """Send the whole log now; True when the server has it."""
        s = self._settings()
        if not s["server"] or not s["token"]:
            return False
        mark = s["upload_pending"]
        conn = db.connect(self._path)
        try:
            body = export.build_log(conn)
        except LookupError:
            return False
        except InvalidProgressLog as exc:
            # Validated before sending: the server would refuse it the same way.
            self.last_error = f"Your progress could not be sent ({exc})."
            return False
        finally:
            conn.close()
        try:
            status, reply = post_json(f"{s['server']}/api/logs", body, s["token"])
        except RemoteError as exc:
            self.last_error = str(exc)
            return False
        if status >= 400:
            detail = reply.get("error") if isinstance(reply, dict) else None
            self.last_error = f"The server refused the upload ({detail or status})."
            return False
        self.last_error = None
        self.last_upload = db.now_iso()
        if mark is not None:
            # Clear the mark only if nothing new was logged while we uploaded;
            # otherwise the newer change is sent on the next round.
            self._writer.call(
                lambda c: store.clear_setting_if(c, "upload_pending", mark)
            )
        return True

    def _upload_loop(self) -> None:
        while not self._stop.is_set():
            # Clear before looking, so a wake-up that comes while we upload is
            # not lost: the next wait returns at once.
            self._wake.clear()
            try:
                if self._settings()["upload_pending"]:
                    self.upload_now()
            except Exception:  # never let the uploader die; retry later
                log.exception("upload failed")
            self._wake.wait(self._retry_s)

    def _live_loop(self) -> None:
        backoff_until = 0.0
        while not self._stop.is_set():
            self._live_wake.wait(5.0)
            self._live_wake.clear()
            worker = self.live
            announced, self._announced = self._announced, None
            if time.monotonic() < backoff_until:
                if announced is not None and self._announced is None:
                    self._announced = announced  # sent once the server answers
                continue
            if announced is not None:  # with or without a camera
                body = {**announced, "ts": time.time()}
            elif worker is None:
                continue
            elif (st := worker.peek()).mode == "exercise" and st.exercise is not None:
                body = {
                    "exercise": st.exercise,
                    "reps": st.reps,
                    "cue": st.cue["text"] if st.cue is not None else None,
                    "state": messages.PAUSED if st.paused else messages.EXERCISING,
                    "ts": time.time(),
                }
            else:
                continue
            if isinstance(body["cue"], str):
                body["cue"] = body["cue"][: messages.cue_limit()]
            try:
                body = messages.validate("live", body)
            except messages.InvalidMessage as exc:  # the server would refuse it
                log.error("live update not sent: %s", exc)
                continue
            s = self._settings()
            if not s["server"] or not s["token"]:
                continue
            try:
                status, _ = post_json(f"{s['server']}/api/live", body, s["token"])
            except RemoteError:
                status = 0
            if status in (0, 404, 409):  # offline or no class live: ask again later
                backoff_until = time.monotonic() + NO_CLASS_BACKOFF_S
            self._stop.wait(LIVE_MIN_INTERVAL_S)


def init_app(app: Flask) -> RemoteClient:
    client = RemoteClient(app)
    app.extensions["escape_home.remote"] = client
    return client
