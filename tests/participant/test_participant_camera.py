"""Camera faults (issue 6, item 2): the camera goes away, stops sending, sends black
or frozen pictures. The state says so in plain words, reps so far are kept, and
counting carries on by itself when the camera is back."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
from participant_support import FakeEstimator, FakeTracker

from escape_home.errors import CameraUnavailable
from escape_home.participant import camera
from escape_home.participant.live import LiveWorker
from escape_home.participant.pipeline import Event
from escape_home.sources import Frame

FPS = 60.0


@pytest.fixture(autouse=True)
def quick_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(camera, "STALL_S", 0.4)
    monkeypatch.setattr(camera, "BLACK_S", 0.2)
    monkeypatch.setattr(camera, "FROZEN_S", 0.4)
    monkeypatch.setattr(camera, "RETRY_S", 0.1)


class ScriptedCamera:
    """A camera that plays a script: ('ok'|'black'|'frozen', n frames), ('stall', s),
    ('unplug', 0) which raises CameraUnavailable mid-stream."""

    def __init__(self, script: list[tuple[str, float]]) -> None:
        self.script = script

    def __iter__(self) -> Iterator[Frame]:
        rng = np.random.default_rng(0)
        still = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
        i = 0
        for kind, amount in self.script:
            if kind == "unplug":
                raise CameraUnavailable("unplugged")
            if kind == "stall":
                time.sleep(amount)
                continue
            for _ in range(int(amount)):
                if kind == "ok":
                    image = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
                elif kind == "black":
                    image = np.zeros((48, 64, 3), np.uint8)
                else:
                    image = still.copy()
                time.sleep(1 / FPS)
                yield Frame(image, i / FPS, i)
                i += 1

    def close(self) -> None:
        pass


class Opener:
    """Hands out scripted cameras; `None` in the list means 'no camera found'."""

    def __init__(self, cameras: list[ScriptedCamera | None]) -> None:
        self.cameras = cameras

    def __call__(self, spec: str) -> ScriptedCamera:
        cam = self.cameras.pop(0) if self.cameras else None
        if cam is None:
            raise CameraUnavailable("no camera")
        return cam


def run(
    cameras: list[ScriptedCamera | None], seconds: float
) -> tuple[list[str], list[Event], int]:
    """Run a counted set through the script; return statuses seen, events, reps."""
    events: list[Event] = []
    worker = LiveWorker(
        "0",
        events.append,
        make_estimator=lambda m: FakeEstimator(),
        make_tracker=lambda e: FakeTracker(e, every=10),
        opener=Opener(cameras),
    )
    worker.start()
    worker.begin("exercise", "squat", set_id=1)
    seen: list[str] = []
    messages: dict[str, str] = {}
    seq = -1
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        st = worker.wait_state(seq, 0.1)
        seq = st.seq
        status = st.camera["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
            messages[status] = st.camera["message"]
    reps = worker.state().reps
    worker.stop()
    for status in seen:
        if status not in ("ok", "starting"):
            assert "camera" in messages[status].lower(), messages[status]
    return seen, events, reps


def test_unplugged_camera_is_reported_and_counting_resumes() -> None:
    cameras = [
        ScriptedCamera([("ok", 30), ("unplug", 0)]),
        None,
        None,
        ScriptedCamera([("ok", 600)]),
    ]
    seen, events, reps = run(cameras, 3.5)
    assert "lost" in seen, seen
    assert seen[-1] == "ok", seen  # back by itself
    before = [e for e in events if e.rep is not None and e.rep.index <= 3]
    assert len(before) == 3  # the reps before the fault were handed to the log
    assert reps >= 6, reps  # and counting carried on after it


def test_stalled_black_and_frozen_pictures_are_reported() -> None:
    cameras = [
        ScriptedCamera(
            [
                ("ok", 20),
                ("stall", 0.8),
                ("ok", 20),
                ("black", 30),
                ("ok", 20),
                ("frozen", 50),
                ("ok", 600),
            ]
        )
    ]
    seen, _, reps = run(cameras, 4.5)
    for fault in ("stalled", "black", "frozen"):
        assert fault in seen, seen
    assert seen[-1] == "ok", seen
    assert reps >= 10


def test_camera_is_released_when_no_page_needs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from escape_home.participant import live

    monkeypatch.setattr(live, "IDLE_S", 0.5)
    opener = Opener([ScriptedCamera([("ok", 6000)]), ScriptedCamera([("ok", 6000)])])
    worker = LiveWorker(
        "0", lambda e: None, make_estimator=lambda m: FakeEstimator(), opener=opener
    )
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while worker.peek().camera["status"] != "idle":
            assert time.monotonic() < deadline, "camera never released"
            time.sleep(0.05)
        assert "off" in worker.peek().camera["message"]
        assert len(opener.cameras) == 1  # only the first camera was opened
        worker.begin("check")  # a page wants the picture again
        deadline = time.monotonic() + 5
        while worker.state().camera["status"] != "ok":
            assert time.monotonic() < deadline, "camera never came back"
            time.sleep(0.05)
        assert not opener.cameras  # reopened
    finally:
        worker.stop()
