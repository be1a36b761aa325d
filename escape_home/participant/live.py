"""The live worker: camera -> pose -> exercise tracker -> events, picture and state.

Two threads. The capture thread reads the source at its own pace and keeps only the
newest frame (older ones are dropped, never queued), so a slow model never builds up
lag. The pipeline thread takes the newest frame, runs pose estimation and the
tracker, hands events to a callback (which must not block: the app's callback puts
them on the database writer's queue), draws the overlay, encodes the JPEG for the
MJPEG stream and publishes the state (`LiveState`) that pages read: readers get a
copy taken under the lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from escape_home.errors import EscapeHomeError, UnknownExercise
from escape_home.landmarks import Pose
from escape_home.participant import camera
from escape_home.participant.camera import CameraStatus
from escape_home.participant.framing import assess
from escape_home.participant.live_state import LiveState, Mode, no_framing
from escape_home.participant.pipeline import (
    Estimator,
    Event,
    Tracker,
    apply_update,
    default_estimator,
    default_tracker,
    make_annotator,
)
from escape_home.replay import ReplayRecorder

log = logging.getLogger(__name__)

#: Frames without problems needed before the camera check says "ready" (~1 s).
READY_FRAMES = 12
#: Seconds without any page reading the picture or state (and no set running)
#: after which the camera is released and the model stops.
IDLE_S = 15.0
#: Poses kept during a standardised test (90 s at 30 fps): the tests last 30 s
#: (chair stand) or at most 60 s (five-times), so the cap is never reached in use.
TEST_POSES_MAX = 90 * 30


class LiveWorker:
    """Runs capture and the pipeline; pages read `state()` and `jpeg()`.

    Every read or change of the state holds the lock; readers get a copy.

    Args:
        source: Camera index ("0") or a video file (played at its own speed, looped).
        on_event: Called on the pipeline thread for every rep/hold; must not block.
        model: Pose model name or path.
        make_estimator: Factory for the pose estimator (tests may replace it).
        make_tracker: Factory for exercise trackers (tests may replace it).
        opener: Opens the frame source (tests may inject camera faults).
    """

    def __init__(
        self,
        source: str,
        on_event: Callable[[Event], None],
        model: str = "full",
        make_estimator: Callable[[str], Estimator] = default_estimator,
        make_tracker: Callable[[str], Tracker] = default_tracker,
        opener: Callable[[str], Any] = camera.open_source,
    ) -> None:
        self.camera = camera.Capture(source, opener, self._wanted)
        self._last_demand = time.monotonic()
        self._on_event = on_event
        self._model = model
        self._make_estimator = make_estimator
        self._make_tracker = make_tracker
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._tracker: Tracker | None = None
        self._recorder: ReplayRecorder | None = None
        self._outbox: list[Event] = []
        # During a test: its poses (scored at the end by `standard_tests`) and the
        # time of "go" on the poses' clock (seconds since the camera's t0).
        self._test_poses: deque[Pose] = deque(maxlen=TEST_POSES_MAX)
        self._test_go_s: float | None = None
        self._state = LiveState()
        self._jpeg: bytes | None = None
        self._jpeg_seq = 0
        self._good_frames = 0
        #: Per-frame times in ms when `keep_timings` is set (for the benchmark):
        #: age = capture to start of processing; total = capture to JPEG ready.
        self.timings: dict[str, list[float]] = {
            k: [] for k in ("age", "pose", "track", "draw", "encode", "total")
        }
        self.keep_timings = False
        self._thread = threading.Thread(target=self._run, name="live", daemon=True)

    # ----------------------------------------------------------------- control

    def start(self) -> None:
        self.camera.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._changed:
            self._changed.notify_all()  # streams waiting for news end now
        self.camera.stop()
        self._thread.join(timeout=5)

    @property
    def stopped(self) -> bool:
        """True once `stop()` was called (streams then end)."""
        return self._stop.is_set()

    def begin(
        self,
        mode: Mode,
        exercise: str | None = None,
        set_id: int | None = None,
        want_view: str | None = None,
        rewind: bool = True,
        replay: bool = False,
    ) -> bool:
        """Start a camera check, a set or a test; return True if reps are counted.

        With `replay` (the participant agreed to share movement replays), the set's
        first flagged and first good rep are also sent as landmark tracks
        (`Event.replay`, escape_home/replay.py): numbers only, never the picture.
        """
        tracker: Tracker | None = None
        if exercise is not None and mode in ("exercise", "test"):
            try:
                tracker = self._make_tracker(exercise)
            except (UnknownExercise, ImportError) as exc:
                log.warning("no tracker for %s: %s", exercise, exc)
        if rewind:
            self.camera.rewind()  # a video source starts again from its beginning
        recorder = (
            ReplayRecorder(exercise)
            if replay and tracker is not None and exercise and set_id is not None
            else None
        )
        with self._changed:
            self._flush_replays()
            self._tracker = tracker
            self._recorder = recorder
            self._test_poses.clear()
            begun = time.monotonic()
            self._test_go_s = begun - self.camera.t0 if mode == "test" else None
            self._good_frames = 0
            st = self._state
            st.mode = mode
            st.exercise = exercise
            st.set_id = set_id
            st.tracking = tracker is not None
            st.paused = False
            st.reps = 0
            st.reps_by_side = {}
            st.phase = "idle"
            st.cue = None
            st.warning = None
            st.hold_s = 0.0
            st.want_view = want_view
            st.rep_capture_t = None
            st.rep_times = []
            st.begun_t = begun
            st.framing = no_framing()
            self._publish()
        self._send_outbox()
        return tracker is not None

    def pause(self, paused: bool) -> None:
        with self._changed:
            self._state.paused = paused
            self._publish()

    @property
    def test_go_s(self) -> float | None:
        """When the current test started ("go"), on the poses' clock; else None."""
        with self._lock:
            return self._test_go_s

    def test_poses(self, timeout: float = 1.5) -> tuple[list[Pose], float | None]:
        """The current test's poses so far and the time of "go".

        First waits (up to `timeout`) until a frame captured now or later has been
        processed, so the poses reach the moment the test was ended: the pipeline
        runs a frame or so behind the camera.
        """
        now_s = time.monotonic() - self.camera.t0
        with self._changed:
            self._changed.wait_for(
                lambda: (
                    self._state.mode != "test"
                    or self._stop.is_set()
                    or (
                        bool(self._test_poses)
                        and self._test_poses[-1].timestamp_s >= now_s
                    )
                ),
                timeout,
            )
            return list(self._test_poses), self._test_go_s

    def end(self) -> dict[str, Any]:
        """Stop counting; return the tracker's summary (empty if none)."""
        with self._changed:
            tracker = self._end()
        self._send_outbox()
        return tracker.summary() if tracker is not None else {}

    def end_set(self, set_id: int) -> tuple[LiveState, dict[str, Any]] | None:
        """End set `set_id` if it is the one running (checked under the lock).

        Returns its last state and the tracker's summary (empty if none), or None
        (nothing ended) when another set, or none, is running.
        """
        with self._changed:
            if self._state.set_id != set_id:
                return None
            last = self._state.copy()
            tracker = self._end()
        self._send_outbox()
        return last, tracker.summary() if tracker is not None else {}

    def _end(self) -> Tracker | None:
        """Stop counting; return the tracker that was counting (caller locks)."""
        tracker, self._tracker = self._tracker, None
        self._flush_replays()
        self._test_poses.clear()
        self._test_go_s = None
        st = self._state
        st.mode, st.set_id, st.tracking, st.cue = "idle", None, False, None
        self._publish()
        return tracker

    def _flush_replays(self) -> None:
        """The set ends: move the replays still waiting to the outbox (caller locks)."""
        recorder, self._recorder = self._recorder, None
        set_id = self._state.set_id
        if recorder is not None and set_id is not None:
            self._outbox.extend(Event(set_id, replay=r) for r in recorder.flush())

    def _send_outbox(self) -> None:
        """Hand queued replay events to the callback, outside the lock."""
        with self._lock:
            out, self._outbox = self._outbox, []
        for event in out:
            self._on_event(event)

    # ------------------------------------------------------------------ output

    def _wanted(self) -> bool:
        """Is anyone using the camera? (Called by the capture thread.)"""
        with self._lock:
            if self._state.mode != "idle":
                return True
        return time.monotonic() - self._last_demand < IDLE_S

    def state(self) -> LiveState:
        """A copy of the state (a page is interested: keeps the camera on)."""
        self._last_demand = time.monotonic()
        return self.peek()

    def peek(self) -> LiveState:
        """A copy of the state, without counting as interest in the camera."""
        with self._lock:
            return self._state.copy()

    def wait_state(self, after_seq: int, timeout: float) -> LiveState:
        """Block until the state changes past `after_seq` (or the timeout)."""
        self._last_demand = time.monotonic()
        with self._changed:
            self._changed.wait_for(
                lambda: self._state.seq != after_seq or self._stop.is_set(), timeout
            )
            return self._state.copy()

    def jpeg(self, after_seq: int, timeout: float) -> tuple[bytes | None, int]:
        """Block until a newer annotated frame exists; return it with its number."""
        self._last_demand = time.monotonic()
        with self._changed:
            self._changed.wait_for(
                lambda: self._jpeg_seq != after_seq or self._stop.is_set(), timeout
            )
            return self._jpeg, self._jpeg_seq

    def _publish(self) -> None:
        """Bump the state number and wake readers (caller holds the lock)."""
        self._state.seq += 1
        self._changed.notify_all()

    # ---------------------------------------------------------------- pipeline

    def _run(self) -> None:
        try:
            estimator = self._make_estimator(self._model)
        except (EscapeHomeError, ImportError, RuntimeError, OSError) as exc:
            with self._changed:
                self._state.model_error = f"The pose model could not be loaded: {exc}"
                self._publish()
            estimator = None
        annotator = make_annotator()
        last_index = -1
        fps_t, fps_n = time.monotonic(), 0
        try:
            while not self._stop.is_set():
                grabbed = self.camera.latest(last_index, timeout=0.5)
                status = self.camera.status()
                if grabbed is None:
                    self._set_camera(status)
                    continue
                frame_no, image, capture_t = grabbed
                last_index = frame_no
                try:
                    self._step(estimator, annotator, image, capture_t, frame_no, status)
                except Exception:  # one bad frame must not stop the live view
                    log.exception("frame %d failed", frame_no)
                fps_n += 1
                if time.monotonic() - fps_t >= 2.0:
                    with self._lock:
                        self._state.fps = round(fps_n / (time.monotonic() - fps_t), 1)
                    fps_t, fps_n = time.monotonic(), 0
        finally:
            if estimator is not None:
                estimator.close()

    def _set_camera(self, status: CameraStatus) -> None:
        with self._changed:
            if self._state.camera != status:
                self._state.camera = status
                self._publish()

    def _step(
        self,
        estimator: Estimator | None,
        annotator: Any,
        image: Any,
        capture_t: float,
        frame_no: int,
        status: CameraStatus,
    ) -> None:
        t0 = time.perf_counter()
        ts = capture_t - self.camera.t0
        pose = (
            estimator.process(image, ts, frame_no)
            if estimator is not None
            else Pose.empty(ts, image.shape[1], image.shape[0], frame_no)
        )
        t1 = time.perf_counter()
        with self._lock:
            tracker = None if self._state.paused else self._tracker
            set_id = self._state.set_id
            want_view = self._state.want_view
            if self._test_go_s is not None:
                self._test_poses.append(pose)  # O(1); scored when the test ends
        update = tracker.update(pose) if tracker is not None else None
        if update is not None and set_id is not None and (update.rep or update.hold):
            self._on_event(Event(set_id, update.rep, update.hold))
        t2 = time.perf_counter()
        small = cv2.resize(image, (32, 24), interpolation=cv2.INTER_AREA)
        framing = assess(pose, float(np.mean(small)), want_view)
        with self._changed:
            st = self._state
            st.camera = status
            self._good_frames = self._good_frames + 1 if framing.ok else 0
            st.framing = {
                "ok": framing.ok,
                "ready": self._good_frames >= READY_FRAMES,
                "messages": framing.messages,
                "facing": framing.facing,
            }
            if update is not None and tracker is self._tracker:
                apply_update(st, update, capture_t)
                if self._recorder is not None and set_id is not None:
                    # With consent only: O(1) a frame, a cut once a rep has passed.
                    if update.rep is not None:
                        self._recorder.rep(update.rep)
                    self._outbox.extend(
                        Event(set_id, replay=r) for r in self._recorder.push(pose)
                    )
            self._publish()
            send = bool(self._outbox)
        if send:
            self._send_outbox()
        # The skeleton only: the page shows the count, tip and warnings in large
        # type, and a box of raw numbers would cover a narrow picture and lag.
        drawn = annotator.annotate(image, pose) if annotator else image
        t3 = time.perf_counter()
        ok, buf = cv2.imencode(".jpg", drawn, [cv2.IMWRITE_JPEG_QUALITY, 70])
        t4 = time.perf_counter()
        with self._changed:
            if ok:
                self._jpeg = buf.tobytes()
                self._jpeg_seq += 1
                self._changed.notify_all()
        if self.keep_timings:
            age = t0 - (capture_t - time.monotonic() + time.perf_counter())
            total = age + (t4 - t0)
            for key, dt in zip(
                ("age", "pose", "track", "draw", "encode", "total"),
                (age, t1 - t0, t2 - t1, t3 - t2, t4 - t3, total),
                strict=True,
            ):
                self.timings[key].append(dt * 1000)
