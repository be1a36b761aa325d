"""Following a class led live (issue 12 item 4): the app's view of message ``class``.

`ClassFollower` asks the instructor's server for the class (``GET /api/class``, message
``class``, validated here as the server validates what it sends) about three times a
second while someone is looking (Home or the session page asked within
``ACTIVE_S``), and keeps the latest good answer with the time it arrived. The session
page reads it through the app's own ``GET /api/class``; the benchmark
(`escape_home.bench_class`) runs the same follower against a real server, so what it
measures is what the app does.

Polling, not a held-open request: the server's threads are few (waitress), a poll is
one small read, and a follower that drops out and comes back needs nothing but its
next poll to land where the class is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from escape_home import messages

log = logging.getLogger(__name__)

POLL_S = 0.3
"""Between two asks while someone is looking."""
ACTIVE_S = 5.0
"""A page that asked within this long counts as looking."""
FRESH_S = 3.0
"""An answer older than this means the app has lost touch with the class."""

Fetch = Callable[[], tuple[int, Any]]
"""Asks the server once: (HTTP status, parsed JSON body); raises OSError-like
errors (the app's `RemoteError`) when the server cannot be reached."""


@dataclass(frozen=True)
class ClassView:
    """The latest class message kept, with when it arrived (monotonic clock)."""

    message: dict[str, Any]
    received_at: float

    @property
    def seq(self) -> int:
        return int(self.message["seq"])

    @property
    def phase(self) -> str:
        return str(self.message["phase"])

    @property
    def key(self) -> tuple[int | None, int, str]:
        """What identifies a move: the class run, its seq and the phase."""
        cid = self.message.get("class_id")
        return (None if cid is None else int(cid), self.seq, self.phase)

    @property
    def live(self) -> bool:
        return self.phase in messages.LIVE_PHASES


class ClassFollower:
    """Polls `fetch` and keeps the latest valid class message.

    Thread-safe: `poll_once` runs on the follower's thread, `latest` and `touch` on
    page requests. `on_change(view)` is called (on the polling thread) when the class
    run, ``seq`` or the phase changes (`ClassView.key`).
    """

    def __init__(
        self,
        fetch: Fetch,
        *,
        poll_s: float = POLL_S,
        on_change: Callable[[ClassView], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.poll_s = poll_s
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self._view: ClassView | None = None
        self._asked = 0  # asks started; the kept view's ask is `_view_ask`
        self._view_ask = 0
        self._looked_at = -1e9
        self.last_error: str | None = None

    def touch(self) -> None:
        """A page is looking: keep polling for the next `ACTIVE_S`."""
        with self._lock:
            self._looked_at = self._clock()

    def active(self) -> bool:
        with self._lock:
            return self._clock() - self._looked_at < ACTIVE_S

    def latest(self) -> ClassView | None:
        with self._lock:
            return self._view

    def fresh(self, max_age_s: float = FRESH_S) -> bool:
        """The latest answer arrived within `max_age_s`."""
        view = self.latest()
        return view is not None and self._clock() - view.received_at < max_age_s

    def forget(self) -> None:
        """Drop what is kept (the computer was unlinked)."""
        with self._lock:
            self._view = None

    def poll_once(self) -> ClassView | None:
        """Ask once; keep and return the answer if it is a valid class message.

        Offline, an error status or an invalid body keep the last answer (which then
        grows stale: see `fresh`) and set `last_error`. An answer that comes after
        the answer to a later ask (two asks at once, one slow) is not kept.
        """
        with self._lock:
            self._asked += 1
            ask = self._asked
        try:
            status, body = self._fetch()
        except Exception as exc:  # the server cannot be reached: try again later
            self.last_error = str(exc) or type(exc).__name__
            return None
        if status != 200:
            self.last_error = f"the server answered {status}"
            return None
        try:
            message = messages.validate("class", body)
        except messages.InvalidMessage as exc:
            self.last_error = f"the server's class message was refused ({exc})"
            log.warning("class message refused: %s", exc)
            return None
        view = ClassView(messages.with_defaults("class", message), self._clock())
        with self._lock:
            if ask < self._view_ask:  # a later ask's answer is kept: this is older
                return self._view
            before = self._view
            self._view, self._view_ask = view, ask
        self.last_error = None
        changed = before is None or before.key != view.key
        if changed and self._on_change is not None:
            self._on_change(view)
        return view

    def run(self, stop: threading.Event, linked: Callable[[], bool]) -> None:
        """Poll while a page looks and the computer is linked, until `stop`."""
        while not stop.is_set():
            if linked() and self.active():
                started = self._clock()
                self.poll_once()
                stop.wait(max(0.0, self.poll_s - (self._clock() - started)))
            else:
                stop.wait(self.poll_s)
