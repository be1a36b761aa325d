"""The live worker's state: what pages (and the live class board) read.

One `LiveState` lives inside the worker, changed only under its lock; readers get
a copy taken under that lock (`LiveWorker.peek()` and friends) and turn it into
JSON with `to_json()`. The JSON keys are the field names, and the page's
JavaScript (web/static/js/) reads them by those names: a test checks every
``st.<name>`` read there against these fields.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

from escape_home.participant.camera import CameraStatus
from escape_home.signals import View

#: What the worker is doing: nothing, a camera check, a set or a standard test.
Mode = Literal["idle", "check", "exercise", "test"]


class CueState(TypedDict):
    """The cue on show (the page speaks it when `cue_seq` changes)."""

    key: str
    text: str
    #: Praise for a good rep (or for putting a fault right), not a tip.
    good: NotRequired[bool]


class FramingState(TypedDict):
    """The camera check's verdict on the newest frame."""

    ok: bool
    ready: bool
    messages: list[str]
    #: Set once a frame has been judged (absent right after `begin`).
    facing: NotRequired[View | None]


def no_framing() -> FramingState:
    """The framing before any frame of a new check, set or test was judged."""
    return {"ok": False, "ready": False, "messages": []}


def starting_camera() -> CameraStatus:
    return {"status": "starting", "message": "Starting the camera..."}


@dataclass
class LiveState:
    """The live worker's state (JSON keys = field names; see the module doc)."""

    #: Bumped on every published change (streams wait for it to move).
    seq: int = 0
    mode: Mode = "idle"
    set_id: int | None = None
    exercise: str | None = None
    #: True when reps are counted (a tracker exists for the exercise).
    tracking: bool = False
    paused: bool = False
    reps: int = 0
    reps_by_side: dict[str, int] = field(default_factory=dict)
    phase: str = "idle"
    signal: float | None = None
    cue: CueState | None = None
    cue_seq: int = 0
    warning: str | None = None
    hold_s: float = 0.0
    want_view: str | None = None
    framing: FramingState = field(default_factory=no_framing)
    camera: CameraStatus = field(default_factory=starting_camera)
    model_error: str | None = None
    #: Capture time (monotonic) of the frame that completed the latest rep.
    rep_capture_t: float | None = None
    fps: float = 0.0
    #: Seconds from `begun_t` to each rep of the current set or test.
    rep_times: list[float] = field(default_factory=list)
    #: When the current check, set or test began (monotonic).
    begun_t: float = 0.0

    def copy(self) -> LiveState:
        """An independent copy (take it under the worker's lock)."""
        return deepcopy(self)

    def to_json(self) -> dict[str, Any]:
        """The state as JSON-ready data, one key per field."""
        return asdict(self)
