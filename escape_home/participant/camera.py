"""The capture thread: keeps the newest frame, notices camera faults, recovers.

It reads the source as fast as the source delivers (a video file at its own speed)
and keeps one slot: the newest frame. Faults are told in plain words through
`status()`: the camera is gone (retried every few seconds, so tracking resumes by
itself when it is back), frames stopped arriving, or frames are black or frozen.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, TypedDict

import cv2
import numpy as np

from escape_home.errors import SourceError

log = logging.getLogger(__name__)

STALL_S = 2.0  # no frame for this long: "stopped sending pictures"
BLACK_LEVEL = 8.0
BLACK_S = 1.0
FROZEN_S = 3.0
RETRY_S = 2.0
IDLE_CHECK_S = 0.2

MESSAGES = {
    "ok": "",
    "starting": "Starting the camera...",
    "idle": "The camera is off until a page needs it.",
    "lost": "I can't find the camera. Check it is plugged in and that no other "
    "program is using it. I will keep trying.",
    "stalled": "The camera has stopped sending pictures. I will keep trying.",
    "black": "The camera picture is black. Is the lens covered, or the light off?",
    "frozen": "The camera picture is not changing. It may have frozen. I will "
    "keep trying.",
}


class CameraStatus(TypedDict):
    """What `Capture.status()` says: a fault name (a key of MESSAGES) and its words."""

    status: str
    message: str


def open_source(spec: str) -> Any:
    """Open the camera or video file through the shared sources module."""
    from escape_home.sources import open_source as _open

    return _open(spec, realtime=True)


class Capture:
    """Owns the frame source on its own thread.

    Args:
        spec: Camera index ("0") or video file path. Files loop at the end.
        opener: Function opening a source from `spec` (tests may inject faults).
        wanted: Returns False when nobody needs pictures: the camera is then
            released (its light goes off) until it is wanted again.
    """

    def __init__(
        self, spec: str, opener: Any = open_source, wanted: Any = lambda: True
    ) -> None:
        self.spec = spec
        self._opener = opener
        self._wanted = wanted
        self.t0 = time.monotonic()
        self._lock = threading.Condition()
        self._frame: tuple[int, Any, float] | None = None
        self._count = 0
        self._last_t = time.monotonic()
        self._fault = "starting"
        self._black_since: float | None = None
        self._frozen_since: float | None = None
        self._prev_small: Any = None
        self._rewind = threading.Event()
        self._stop = threading.Event()
        self.dropped = 0
        self._taken = 0
        self._thread = threading.Thread(target=self._run, name="capture", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def rewind(self) -> None:
        """Ask a video-file source to start again from the top (no-op for cameras)."""
        if not self.spec.isdigit():
            self._rewind.set()

    def latest(self, after: int, timeout: float) -> tuple[int, Any, float] | None:
        """Wait for a frame newer than number `after`; None on timeout."""
        with self._lock:
            self._lock.wait_for(
                lambda: (
                    (self._frame is not None and self._frame[0] != after)
                    or self._stop.is_set()
                ),
                timeout,
            )
            if self._frame is None or self._frame[0] == after:
                return None
            self._taken = self._frame[0]
            return self._frame

    def status(self) -> CameraStatus:
        with self._lock:
            fault = self._fault
            if fault == "starting" and time.monotonic() - self._last_t > 10 * STALL_S:
                fault = "stalled"  # opened, but never sent a picture
            if fault == "ok" and time.monotonic() - self._last_t > STALL_S:
                fault = "stalled"
        return {"status": fault, "message": MESSAGES[fault]}

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._wanted():
                self._set_fault("idle")
                self._stop.wait(IDLE_CHECK_S)
                continue
            try:
                source = self._opener(self.spec)
            except SourceError as exc:
                log.info("camera unavailable: %s", exc)
                self._set_fault("lost")
                self._stop.wait(RETRY_S)
                continue
            with self._lock:
                if self._fault in ("idle", "lost"):
                    self._fault = "starting"
                    self._last_t = time.monotonic()
            try:
                self._read(source)
            except SourceError as exc:
                log.info("camera failed: %s", exc)
                self._set_fault("lost")
                self._stop.wait(RETRY_S)
            finally:
                source.close()

    def _read(self, source: Any) -> None:
        """Read until the source ends, fails, or a rewind/stop is asked."""
        while not self._stop.is_set():
            self._rewind.clear()
            for frame in source:
                if self._stop.is_set() or self._rewind.is_set():
                    break
                if not self._wanted():
                    return  # release the camera; _run reopens it when wanted
                self._offer(frame.image)
            if self._stop.is_set():
                return
            if not self._rewind.is_set():
                if self.spec.isdigit():
                    return  # camera iteration ended: reopen it
                self._stop.wait(0.5)  # a video file ended: play it again

    def _offer(self, image: Any) -> None:
        now = time.monotonic()
        small = cv2.cvtColor(cv2.resize(image, (32, 24)), cv2.COLOR_BGR2GRAY)
        small = small.astype(np.float32)
        black = float(small.mean()) < BLACK_LEVEL
        same = (
            self._prev_small is not None
            and float(np.abs(small - self._prev_small).mean()) < 0.01
        )
        self._prev_small = small
        self._black_since = (self._black_since or now) if black else None
        self._frozen_since = (self._frozen_since or now) if same else None
        fault = "ok"
        if self._black_since is not None and now - self._black_since > BLACK_S:
            fault = "black"
        elif self._frozen_since is not None and now - self._frozen_since > FROZEN_S:
            fault = "frozen"
        with self._lock:
            if self._frame is not None and self._taken != self._frame[0]:
                self.dropped += 1  # the pipeline never took the previous frame
            self._count += 1
            self._frame = (self._count, image, now)
            self._last_t = now
            self._fault = fault
            self._lock.notify_all()

    def _set_fault(self, fault: str) -> None:
        with self._lock:
            self._fault = fault
