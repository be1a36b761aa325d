"""The live state (issue 13, item 4): one dataclass, one `to_json()`, copied under
the worker's lock; the page's JavaScript reads the same names.

The JS names the live state `st` (the argument of every `EH.liveState` callback and
the parsed server-sent event in common.js). Every `st.<name>` read must be a field
of `LiveState` (or a key the view adds), and every `st.<field>.<key>` read, or a
read through an alias such as `const f = st.framing`, a key of that field's
TypedDict: a renamed field or a typo in the JS fails here.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from participant_support import ROOT, FakeEstimator, fake_factories

from escape_home.events import Cue, FrameUpdate
from escape_home.landmarks import Pose
from escape_home.participant import create_app
from escape_home.participant.camera import CameraStatus
from escape_home.participant.live import LiveWorker
from escape_home.participant.live_state import LiveState

JS = ROOT / "web" / "static" / "js"
FIELDS = {f.name for f in fields(LiveState)}
#: Keys the views add to the state they send a page.
PAGE_EXTRAS = {"storage_error"}
OK: CameraStatus = {"status": "ok", "message": ""}
IMAGE = np.full((48, 64, 3), 128, np.uint8)


def nested_keys() -> dict[str, set[str]]:
    """For each field that holds a TypedDict (optionally None): its keys."""
    out: dict[str, set[str]] = {}
    for name, hint in typing.get_type_hints(LiveState).items():
        for t in (hint, *typing.get_args(hint)):
            if typing.is_typeddict(t):
                out[name] = set(t.__required_keys__ | t.__optional_keys__)
    return out


class CueTracker:
    """A tracker that counts a rep every other frame and shows a cue."""

    def __init__(self, exercise: str) -> None:
        self.frames = 0

    def update(self, pose: Pose) -> FrameUpdate:
        self.frames += 1
        reps = self.frames // 2
        return FrameUpdate(
            pose.timestamp_s,
            reps,
            {"left": reps},
            "up",
            12.5,
            hold_s=0.04,
            cue=Cue("tall", f"Stand up tall {reps}"),
            warning="Step back a little",
        )

    def summary(self) -> dict[str, Any]:
        return {"reps": self.frames // 2}


def counted_worker(frames: int = 5, set_id: int = 7) -> LiveWorker:
    """A worker (threads not started) fed `frames` frames of a counted set."""
    worker = LiveWorker(
        "0",
        lambda e: None,
        make_estimator=lambda m: FakeEstimator(),
        make_tracker=CueTracker,
    )
    assert worker.begin("exercise", "squat", set_id=set_id, want_view="side")
    for i in range(frames):
        worker._step(FakeEstimator(), None, IMAGE, worker.camera.t0 + i / 30, i, OK)
    return worker


def test_to_json_has_one_key_per_field_in_every_state() -> None:
    fresh = LiveState().to_json()
    assert set(fresh) == FIELDS
    assert list(fresh) == [f.name for f in fields(LiveState)]
    busy = counted_worker().state().to_json()
    assert set(busy) == FIELDS
    json.dumps(busy)  # JSON-ready as it is
    for name, keys in nested_keys().items():
        assert set(busy[name]) <= keys, name
    assert busy["cue"] == {"key": "tall", "text": "Stand up tall 2"}
    assert busy["framing"]["facing"] is None  # judged: nobody in the picture


def test_fresh_state_is_the_same_json_as_before_the_dataclass() -> None:
    assert LiveState().to_json() == {
        "seq": 0,
        "mode": "idle",
        "set_id": None,
        "exercise": None,
        "tracking": False,
        "paused": False,
        "reps": 0,
        "reps_by_side": {},
        "phase": "idle",
        "signal": None,
        "cue": None,
        "cue_seq": 0,
        "warning": None,
        "hold_s": 0.0,
        "want_view": None,
        "framing": {"ok": False, "ready": False, "messages": []},
        "camera": {"status": "starting", "message": "Starting the camera..."},
        "model_error": None,
        "rep_capture_t": None,
        "fps": 0.0,
        "rep_times": [],
        "begun_t": 0.0,
    }


def test_a_counted_set_changes_the_state_as_before() -> None:
    st = counted_worker(frames=5).state()
    assert st.mode == "exercise" and st.set_id == 7 and st.exercise == "squat"
    assert st.tracking and st.want_view == "side"
    assert st.reps == 2 and st.reps_by_side == {"left": 2}
    assert st.phase == "up" and st.signal == 12.5 and st.hold_s == 0.0
    assert st.warning == "Step back a little"
    assert st.cue_seq == 3  # bumped only when the text changes (0, 1, 2 reps)
    assert len(st.rep_times) == 2 and st.rep_capture_t is not None
    assert st.camera == OK and st.framing["messages"]
    assert st.seq == 6  # begin + one per frame


def test_readers_get_a_copy() -> None:
    worker = counted_worker()
    st = worker.peek()
    st.reps = 99
    st.rep_times.append(1.0)
    st.framing["messages"].append("x")
    again = worker.peek()
    assert again.reps == 2 and len(again.rep_times) == 2
    assert "x" not in again.framing["messages"]
    assert worker.wait_state(-1, 0.01) == again


def test_end_set_checks_the_set_and_ends_it_in_one_step() -> None:
    worker = counted_worker(set_id=7)
    assert worker.end_set(8) is None  # another set: nothing ended
    assert worker.peek().mode == "exercise"
    ended = worker.end_set(7)
    assert ended is not None
    last, summary = ended
    assert (last.exercise, last.reps, last.set_id) == ("squat", 2, 7)
    assert summary == {"reps": 2}
    now = worker.peek()
    assert (now.mode, now.set_id, now.tracking, now.cue) == ("idle", None, False, None)
    assert worker.end_set(7) is None


@pytest.fixture
def camera_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "l.sqlite3"),
            "SOURCE": "synthetic",
            "LIVE_FACTORIES": fake_factories(),
        }
    )
    yield app
    app.extensions["escape_home.live"].stop()
    app.extensions["escape_home.remote"].stop()
    app.extensions["escape_home.writer"].close()


def test_the_page_gets_the_fields_and_the_storage_message(camera_app: Flask) -> None:
    body = camera_app.test_client().get("/live/state").get_json()
    assert set(body) == FIELDS | PAGE_EXTRAS


# ---------------------------------------------------------------- the JavaScript


def state_reads() -> list[tuple[str, str, str | None]]:
    """Every read of the live state in the participant JS: (file, name, key)."""
    reads: list[tuple[str, str, str | None]] = []
    files = sorted(JS.glob("*.js"))
    assert files, JS
    for path in files:
        src = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(), flags=re.S)
        # Whatever the file calls the state, it must be `st`, so the reads below
        # are found.
        for arg in re.findall(r"liveState\(\s*function\s*\((\w+)\)", src):
            assert arg == "st", f"{path.name}: the live state is named {arg!r}"
        for var in re.findall(r"(\w+)\s*=\s*JSON\.parse\(\s*ev\.data", src):
            assert var == "st", f"{path.name}: the live state is named {var!r}"
        for name, key in re.findall(r"\bst\.(\w+)(?:\.(\w+))?", src):
            reads.append((path.name, name, key or None))
        for alias, name in re.findall(r"(\w+)\s*=\s*st\.(\w+)", src):
            for key in re.findall(rf"\b{alias}\.(\w+)", src):
                reads.append((path.name, name, key))
    return reads


def test_the_javascript_reads_only_names_the_state_has() -> None:
    reads = state_reads()
    names = {name for _, name, _ in reads}
    # The pages do read the state (the patterns above still find the reads).
    assert {"reps", "set_id", "cue", "framing", "camera", "mode"} <= names
    nested = nested_keys()
    wrong = []
    for file, name, key in reads:
        if name not in FIELDS | PAGE_EXTRAS:
            wrong.append(f"{file}: st.{name}")
        elif key is not None and name in nested and key not in nested[name]:
            wrong.append(f"{file}: st.{name}.{key}")
    assert not wrong, f"not in LiveState: {wrong}"
