"""Talking to the instructor's server: enrolment, log upload, live class board.

Nothing here runs on the frame path. Uploads happen on a background thread: after
each session the log is marked as waiting; the thread sends the whole log (the
server stores it idempotently) and keeps retrying, at start-up and every few
minutes, until the server says it has it. A server asking it to slow down (429) is
left alone for as long as its Retry-After says; a log the server refuses for good
(another 4xx, e.g. more sessions than a participant can have) is not resent until
something new is logged, and the person is told in a plain sentence. The live board
gets numbers only, from a second thread that coalesces changes (the newest state
wins; nothing queues). Each round of the uploader also fetches the instructor's
exercise plan (GET /api/plan, message ``plan``) and keeps it for offline use. A third
thread follows a class led live (GET /api/class, `classes`, a `ClassFollower`) while
a page of the app looks at it; in a session joined to that class, the live-board
thread sends the last state again within every `HEARTBEAT_S` so the person stays "here".
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask

from escape_home import messages, plans
from escape_home.errors import EscapeHomeError, InvalidProgressLog
from escape_home.participant import db, export, plan_store, store
from escape_home.participant.class_follow import ClassFollower

if TYPE_CHECKING:
    from escape_home.participant.live import LiveWorker

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
DEADLINE_S = 30.0
"""A whole exchange (connecting, then every byte of the answer) ends within this;
`TIMEOUT_S` alone bounds each wait, so a server sending a byte every few seconds
would hold the uploader (or a page that sends at once) for ever."""
MAX_RESPONSE_BYTES = 1_000_000
"""Longer answers are not read: the server's are a few kB (a plan is at most about
100 kB); a broken or hostile server could otherwise fill the memory."""
LIVE_MIN_INTERVAL_S = 0.5
NO_CLASS_BACKOFF_S = 30.0
RETRY_AFTER_DEFAULT_S = 60.0
RETRY_AFTER_MAX_S = 3600.0
HEARTBEAT_S = 10.0
"""In a class led live, the last live state is sent again at least this often, so a
resting participant still counts as here (the server's `others`: heard from within
30 s) and stays on the board."""
CLASS_SEEN_S = 30.0
"""The class counts as on for the heartbeat while its latest answer is this fresh
(a page asks while it is open; a closed page lets the heartbeat stop)."""
CLASS_SESSION = "class_session"
"""Setting: JSON {"sid", "class_id", "stations", "leader"} of the session joined to a
class led live (stored by the safety check's "Join the class")."""
CLASS_SHARE = "class_share"
"""Setting: "1" when the person chose to show their name and count to the others in
their class (Settings; off by default)."""


class RemoteError(EscapeHomeError):
    """The server could not be reached or refused (message is for the person)."""


class BadAnswer(RemoteError):
    """The server's answer could not be used: too big, too slow or sent elsewhere."""


class TryLater(RemoteError):
    """The server asked for fewer requests (429); `retry_after` is in seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        minutes = round(retry_after / 60)
        when = "about a minute" if minutes <= 1 else f"about {minutes} minutes"
        super().__init__(
            "The server is busy with this device's uploads; your progress is kept "
            f"here and will be sent again in {when}."
        )


def retry_after_s(value: str | None) -> float:
    """Seconds from a Retry-After header (seconds or an HTTP date), within 1 s to
    an hour; a minute if it is missing or unreadable."""
    if not value:
        return RETRY_AFTER_DEFAULT_S
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return RETRY_AFTER_DEFAULT_S
    if seconds != seconds:  # NaN
        return RETRY_AFTER_DEFAULT_S
    return min(max(seconds, 1.0), RETRY_AFTER_MAX_S)


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
    """POST JSON; return (status, parsed body or None).

    Raises:
        TryLater: The server answered 429 (its Retry-After is kept).
        RemoteError: The server could not be reached.
    """
    data = json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    return _send(req, token)


def get_json(url: str, token: str | None = None) -> tuple[int, Any]:
    """GET JSON; return (status, parsed body or None). Raises as `post_json`."""
    return _send(urllib.request.Request(url, method="GET"), token)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would send the upload token on to
    wherever the answer points (another host, or plain http). A 3xx comes back as
    the answer's status, which every caller treats as not done."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def _read(resp: Any, deadline: float) -> bytes:
    """The answer's body, at most `MAX_RESPONSE_BYTES`, by `deadline`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise BadAnswer(
                f"The server took longer than {DEADLINE_S:g} seconds to answer."
            )
        chunk = getattr(resp, "read1", resp.read)(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise BadAnswer(
                f"The server's answer was bigger than {MAX_RESPONSE_BYTES} bytes."
            )
        chunks.append(chunk)


def _send(req: urllib.request.Request, token: str | None) -> tuple[int, Any]:
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    deadline = time.monotonic() + DEADLINE_S
    try:
        with _OPENER.open(req, timeout=TIMEOUT_S) as resp:
            status = int(resp.status)
            raw = _read(resp, deadline)
    except urllib.error.HTTPError as exc:
        if exc.code == 429:
            raise TryLater(retry_after_s(exc.headers.get("Retry-After"))) from None
        status = int(exc.code)
        try:
            raw = _read(exc, deadline)
        except (OSError, ValueError):
            raw = b""
        finally:
            exc.close()
    except BadAnswer:
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise RemoteError(f"The server could not be reached ({exc}).") from exc
    try:
        parsed = json.loads(raw) if raw else None
    except (ValueError, RecursionError):  # not JSON, or nested past Python's stack
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
        self._programme = app.extensions["escape_home.programme"]
        self.live: LiveWorker | None = None  # when there is a camera
        self._announced: dict[str, Any] | None = None
        self.last_error: str | None = None
        self.last_upload: str | None = None
        self._hold_until = 0.0  # monotonic time before which nothing is sent (429)
        self._refused: str | None = None  # the waiting mark refused for good (4xx)
        self._wake = threading.Event()
        self._live_wake = threading.Event()
        self._stop = threading.Event()
        self.classes = ClassFollower(self._fetch_class)
        self._threads = [
            threading.Thread(target=self._upload_loop, name="upload", daemon=True),
            threading.Thread(target=self._live_loop, name="live-board", daemon=True),
            threading.Thread(
                target=self.classes.run,
                args=(self._stop, self._class_linked),
                name="class",
                daemon=True,
            ),
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
                for k in (
                    "server",
                    "token",
                    "upload_pending",
                    CLASS_SHARE,
                    CLASS_SESSION,
                )
            }
        finally:
            conn.close()

    def _fetch_class(self) -> tuple[int, Any]:
        """One ask for the class led live (message ``class``)."""
        s = self._settings()
        if not s["server"] or not s["token"]:
            raise RemoteError("This computer is not linked to an instructor.")
        return get_json(f"{s['server']}/api/class", s["token"])

    def _class_linked(self) -> bool:
        """Linked to an instructor; when not, what was kept of a class goes."""
        s = self._settings()
        linked = bool(s["server"] and s["token"])
        if not linked and self.classes.latest() is not None:
            self.classes.forget()
        return linked

    def _in_class(self, joined: str | None) -> bool:
        """The person's session is a class session and that class is on."""
        view = self.classes.latest()
        if joined is None or view is None or not view.live:
            return False
        if not self.classes.fresh(CLASS_SEEN_S):
            return False
        try:
            class_id = json.loads(joined).get("class_id")
        except (ValueError, AttributeError):
            return False
        return bool(class_id == view.message.get("class_id"))

    def upload_now(self) -> bool:
        """Send the whole log now; True when the server has it."""
        s = self._settings()
        if not s["server"] or not s["token"]:
            return False
        mark = s["upload_pending"]
        held = self._hold_until - time.monotonic()
        if held > 0:  # the server asked for a pause: do not knock again yet
            self.last_error = str(TryLater(held))
            return False
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
        except TryLater as exc:
            self._hold_until = time.monotonic() + exc.retry_after
            self.last_error = str(exc)
            return False
        except RemoteError as exc:
            self.last_error = str(exc)
            return False
        if 300 <= status < 400:
            self.last_error = (
                "The server sent the app to another address, so your progress "
                "was not sent; it is kept here. Please check the server address "
                "with your instructor."
            )
            return False
        if status >= 400:
            detail = reply.get("error") if isinstance(reply, dict) else None
            if 400 <= status < 500 and status != 408:
                # Sending the same log again would be refused the same way.
                self._refused = mark
                self.last_error = (
                    "The server did not accept your progress "
                    f"({detail or f'error {status}'}). It is kept here; please tell "
                    "your instructor. It is tried again when something new is recorded."
                )
            else:
                self.last_error = (
                    f"The server had a problem ({detail or f'error {status}'}); "
                    "your progress will be sent again in a few minutes."
                )
            return False
        self._refused = None
        self.last_error = None
        self.last_upload = db.now_iso()
        if mark is not None:
            # Clear the mark only if nothing new was logged while we uploaded;
            # otherwise the newer change is sent on the next round.
            self._writer.call(
                lambda c: store.clear_setting_if(c, "upload_pending", mark)
            )
        return True

    def fetch_plan(self) -> bool:
        """Fetch the instructor's plan (message ``plan``) and keep it if it can be
        followed; True when a new plan was kept. Offline, or a plan that does not
        pass `plans.check`: the last good plan stays (the latter with a plain note
        for Home)."""
        s = self._settings()
        if not s["server"] or not s["token"]:
            return False
        try:
            status, body = get_json(f"{s['server']}/api/plan", s["token"])
        except BadAnswer as exc:
            self._refuse_plan(str(exc).rstrip("."))
            return False
        except RemoteError:
            return False  # offline: the kept plan is followed
        if 300 <= status < 400:
            self._refuse_plan("the server sent the app to another address")
            return False
        if status != 200:
            return False
        try:
            plan = plans.check(body, self._programme)
        except messages.InvalidMessage as exc:
            self._refuse_plan(str(exc))
            return False
        changed: bool = self._writer.call(lambda c: plan_store.save(c, plan))
        return changed

    def _refuse_plan(self, why: str) -> None:
        problem = (
            f"Your instructor's latest plan could not be used ({why}). The app "
            "keeps your last plan; please tell your instructor."
        )
        self._writer.call(lambda c: plan_store.refuse(c, problem))

    def _upload_loop(self) -> None:
        while not self._stop.is_set():
            # Clear before looking, so a wake-up that comes while we upload is
            # not lost: the next wait returns at once.
            self._wake.clear()
            try:
                pending = self._settings()["upload_pending"]
                held = self._hold_until > time.monotonic()
                if pending and pending != self._refused and not held:
                    self.upload_now()
                if not held:  # each sync also fetches the instructor's plan
                    self.fetch_plan()
            except Exception:  # never let the uploader die; retry later
                log.exception("upload failed")
            held_s = self._hold_until - time.monotonic()
            self._wake.wait(held_s if held_s > 0 else self._retry_s)

    def _live_loop(self) -> None:
        backoff_until = 0.0
        last: dict[str, Any] | None = None  # the last update sent (heartbeat)
        sent_at = 0.0
        while not self._stop.is_set():
            self._live_wake.wait(HEARTBEAT_S / 4)
            self._live_wake.clear()
            worker = self.live
            announced, self._announced = self._announced, None
            if time.monotonic() < backoff_until:
                if announced is not None and self._announced is None:
                    self._announced = announced  # sent once the server answers
                continue
            if announced is not None:  # with or without a camera
                body = {**announced, "ts": time.time()}
            elif worker is not None and (
                (st := worker.peek()).mode == "exercise" and st.exercise is not None
            ):
                body = {
                    "exercise": st.exercise,
                    "reps": st.reps,
                    "cue": st.cue["text"] if st.cue is not None else None,
                    "state": messages.PAUSED if st.paused else messages.EXERCISING,
                    "ts": time.time(),
                }
            elif (
                last is not None
                and last["state"] not in (messages.FINISHED, messages.LEFT)
                and time.monotonic() - sent_at >= HEARTBEAT_S * 0.75
                and self._in_class(self._settings()[CLASS_SESSION])
            ):  # a class session's heartbeat: the same state, still here
                body = {**last, "ts": time.time()}
            else:
                continue
            if isinstance(body["cue"], str):
                body["cue"] = body["cue"][: messages.cue_limit()]
            s = self._settings()
            if not s["server"] or not s["token"]:
                continue
            body["share"] = s[CLASS_SHARE] == "1"
            try:
                body = messages.validate("live", body)
            except messages.InvalidMessage as exc:  # the server would refuse it
                log.error("live update not sent: %s", exc)
                continue
            try:
                status, _ = post_json(f"{s['server']}/api/live", body, s["token"])
            except RemoteError:
                status = 0
            last, sent_at = body, time.monotonic()
            if status in (0, 404, 409):  # offline or no class live: ask again later
                backoff_until = time.monotonic() + NO_CLASS_BACKOFF_S
            self._stop.wait(LIVE_MIN_INTERVAL_S)


def init_app(app: Flask) -> RemoteClient:
    client = RemoteClient(app)
    app.extensions["escape_home.remote"] = client
    return client
