"""The pieces the live worker plugs together: the pose and tracker interfaces (so
tests can stand in for the model and the engine), the log event, and how one
frame's engine update is merged into the state pages read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from escape_home.events import FrameUpdate, Hold, Rep
from escape_home.landmarks import Pose
from escape_home.participant.live_state import LiveState


class Estimator(Protocol):
    def process(self, image: Any, timestamp_s: float, frame_index: int) -> Pose: ...
    def close(self) -> None: ...


class Tracker(Protocol):
    def update(self, pose: Pose) -> FrameUpdate: ...
    def summary(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Event:
    """Something to log: a completed rep or hold of the current set."""

    set_id: int
    rep: Rep | None = None
    hold: Hold | None = None
    replay: dict[str, Any] | None = None
    """A movement replay of one rep (escape_home/replay.py), kept only with consent."""


def default_estimator(model: str) -> Estimator:
    from escape_home.pose import PoseEstimator

    est: Estimator = PoseEstimator(model=model)
    return est


def default_tracker(exercise: str) -> Tracker:
    from escape_home.engine import ExerciseTracker

    tracker: Tracker = ExerciseTracker(exercise)
    return tracker


def make_annotator() -> Any:
    try:
        from escape_home.annotate import Annotator
    except ImportError:  # drawing is a nicety; the stream still works without it
        return None
    return Annotator()


#: Said (and shown) when a rep no longer has the fault the tip on show was about.
BETTER = "That's better"
#: Said now and then after a rep with no fault (every `PRAISE_EVERY`th rep).
PRAISE = ("Good, keep going", "Nice and steady", "That's it, lovely")
PRAISE_EVERY = 4


def _praise(st: LiveState, text: str) -> None:
    st.cue = {"key": "praise", "text": text, "good": True}
    st.cue_seq += 1


def apply_update(st: LiveState, update: FrameUpdate, capture_t: float) -> None:
    """Merge the engine's report on one frame into the page state (caller locks).

    A new cue replaces the old one only when its text changes, so the page speaks
    each cue once; the capture time of the frame that completed a rep is kept for
    the latency measurement. Once a rep ends without the fault the tip on show is
    about, the tip gives way to "That's better"; every `PRAISE_EVERY`th rep with no
    fault at all is praised (when no tip is on show). The page says and shows
    whatever is in `cue`, so the words are the same.
    """
    if update.reps != st.reps:
        st.rep_capture_t = capture_t
        st.rep_times = [*st.rep_times, round(capture_t - st.begun_t, 2)]
    st.reps = update.reps
    st.reps_by_side = update.reps_by_side
    st.phase = update.phase
    st.signal = update.signal
    st.warning = update.warning
    st.hold_s = round(update.hold_s, 1)
    shown = st.cue["text"] if st.cue is not None else None
    if update.cue is not None and shown != update.cue.text:
        st.cue = {"key": update.cue.key, "text": update.cue.text}
        st.cue_seq += 1
    elif update.cue is None and update.rep is not None:
        faults = {f.key for f in update.rep.faults}
        tip = st.cue is not None and not st.cue.get("good")
        if tip and st.cue is not None and st.cue["key"] not in faults:
            _praise(st, BETTER)
        elif not tip and not faults and update.reps % PRAISE_EVERY == 0:
            _praise(st, PRAISE[(update.reps // PRAISE_EVERY - 1) % len(PRAISE)])
