"""Movement replays: the 2-D landmark track of one rep, for review without video.

With the participant's consent the app keeps, per exercise and session, the track of
the first rep with a form fault ("flagged") and of the first rep without one
("good"). A track is numbers only: the positions of 17 body joints in the picture,
about 15 times a second, as integers 0-1000 of the picture's width and height (-1
where the joint was not seen), and the fault the engine measured with the joints to
draw its angle. No pixel of the picture is ever part of it.

The recorder sits in the live worker's per-frame path, so `ReplayRecorder.push` does
O(1) work per frame (one small copy at most 15 times a second); clipping happens
once per rep, about a second after the rep ends (so the track holds the whole
return, which the counter does not wait for).

Size: at most `MAX_FRAMES` frames of 1 + 34 integers (about 9 kB of JSON) per track,
two tracks per exercise per session, so a 12-session log with 8 exercises a session
gains at most about 1.7 MB (the upload limit is 5 MB).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from escape_home.events import Rep
from escape_home.exercises import FormRule, get_exercise
from escape_home.landmarks import Landmark, Pose

L = Landmark

#: Joints a replay keeps, in this order (names are `Landmark` names in lower case).
JOINTS: tuple[Landmark, ...] = (
    L.NOSE,
    L.LEFT_SHOULDER,
    L.RIGHT_SHOULDER,
    L.LEFT_ELBOW,
    L.RIGHT_ELBOW,
    L.LEFT_WRIST,
    L.RIGHT_WRIST,
    L.LEFT_HIP,
    L.RIGHT_HIP,
    L.LEFT_KNEE,
    L.RIGHT_KNEE,
    L.LEFT_ANKLE,
    L.RIGHT_ANKLE,
    L.LEFT_HEEL,
    L.RIGHT_HEEL,
    L.LEFT_FOOT_INDEX,
    L.RIGHT_FOOT_INDEX,
)
JOINT_NAMES: tuple[str, ...] = tuple(j.name.lower() for j in JOINTS)

#: Lines of the stick figure, as pairs of `JOINT_NAMES` (drawn by the replay page).
EDGES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_hip", "right_hip"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("left_ankle", "left_foot_index"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("right_ankle", "right_foot_index"),
)

FPS = 15.0
"""Frames kept per second (the camera gives about 30)."""
MAX_FRAMES = 90
"""At most 6 s at 15 fps; a longer rep is thinned evenly to this many frames."""
PAD_BEFORE_S = 0.4
PAD_AFTER_S = 0.9
"""Kept around the rep: the counter counts at 65 % of the return, so the rest of
the return comes after the rep's end time."""
BUFFER_S = 12.0
"""History kept while waiting for a rep to end (the slowest reps last ~8 s)."""
MIN_VISIBILITY = 0.3

Kind = Literal["flagged", "good"]

#: How each form quantity or per-rep metric is drawn: joints ("{s}" is the side) and
#: the reference: "joint" = angle at the middle of three joints, "vertical" /
#: "horizontal" = angle of the line through two joints, "line" = just the line.
_DRAW: dict[str, tuple[tuple[str, ...], str]] = {
    "trunk_flexion": (("{s}_hip", "{s}_shoulder"), "vertical"),
    "trunk_side_lean": (("{s}_hip", "{s}_shoulder"), "vertical"),
    "thigh_tilt": (("{s}_hip", "{s}_knee"), "horizontal"),
    "shoulder_tilt": (("left_shoulder", "right_shoulder"), "horizontal"),
    "pelvis_tilt": (("left_hip", "right_hip"), "horizontal"),
    "fppa": (("{s}_hip", "{s}_knee", "{s}_ankle"), "joint"),
    "knee_angle_min": (("{s}_hip", "{s}_knee", "{s}_ankle"), "joint"),
    "peak_angle": (("{s}_hip", "{s}_knee", "{s}_ankle"), "joint"),
    "trough_angle": (("{s}_hip", "{s}_knee", "{s}_ankle"), "joint"),
    "trunk_ahead_of_shins": (("{s}_hip", "{s}_shoulder"), "vertical"),
    "knee_past_toes": (("{s}_knee", "{s}_foot_index"), "line"),
    "hand_to_thigh": (("{s}_wrist", "{s}_knee"), "line"),
    "heel_rise": (("{s}_heel", "{s}_foot_index"), "line"),
    "trough": (("{s}_hip", "{s}_knee"), "line"),
}


#: How many joints each kind of reference is drawn with (checked in the log).
REFERENCE_JOINTS: dict[str, int] = {ref: len(j) for j, ref in _DRAW.values()} | {
    "none": 0
}


_LEGS = {
    "left": (int(L.LEFT_KNEE), int(L.LEFT_ANKLE)),
    "right": (int(L.RIGHT_KNEE), int(L.RIGHT_ANKLE)),
}


@dataclass
class _Pending:
    rep: Rep
    kind: Kind


@dataclass
class ReplayRecorder:
    """Keeps recent poses of one set and cuts out the first flagged and good rep.

    Args:
        exercise: Exercise ID (for the form rules that say how to draw a fault).
        fps: Frames kept per second.
    """

    exercise: str
    fps: float = FPS
    _frames: deque[tuple[float, np.ndarray[Any, Any]]] = field(
        default_factory=lambda: deque(maxlen=int(BUFFER_S * FPS) + 1)
    )
    _rules: dict[str, FormRule] = field(default_factory=dict)
    _pending: list[_Pending] = field(default_factory=list)
    _taken: set[str] = field(default_factory=set)
    _size: tuple[int, int] = (0, 0)
    _vis: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})

    def __post_init__(self) -> None:
        self._rules = {r.key: r for r in get_exercise(self.exercise).form}

    @property
    def done(self) -> bool:
        """True once both a flagged and a good rep are kept (nothing more to do)."""
        return len(self._taken) == 2 and not self._pending

    def push(self, pose: Pose) -> list[dict[str, Any]]:
        """Add one frame; return replays whose rep has now fully passed."""
        if self.done:
            return []
        t = pose.timestamp_s
        if not self._frames or t - self._frames[-1][0] >= 1.0 / self.fps - 1e-3:
            if pose.width and pose.height:
                self._size = (pose.width, pose.height)
            self._frames.append((t, _points(pose)))
            for side, (knee, ankle) in _LEGS.items():
                self._vis[side] += float(pose.visibility[knee] + pose.visibility[ankle])
        if not self._pending:
            return []
        ready = [p for p in self._pending if t >= p.rep.end_s + PAD_AFTER_S]
        if not ready:
            return []
        self._pending = [p for p in self._pending if p not in ready]
        return [r for r in (self._cut(p) for p in ready) if r is not None]

    def rep(self, rep: Rep) -> None:
        """A rep was counted: keep it if it is the first of its kind in this set."""
        kind: Kind = "flagged" if rep.faults else "good"
        if kind in self._taken:
            return
        self._taken.add(kind)
        self._pending.append(_Pending(rep, kind))

    def flush(self) -> list[dict[str, Any]]:
        """The set ended: cut what is pending with the frames there are."""
        out = [r for r in (self._cut(p) for p in self._pending) if r is not None]
        self._pending = []
        return out

    def _cut(self, p: _Pending) -> dict[str, Any] | None:
        lo, hi = p.rep.start_s - PAD_BEFORE_S, p.rep.end_s + PAD_AFTER_S
        picked = [(t, pts) for t, pts in self._frames if lo <= t <= hi]
        if len(picked) < 3:
            return None
        if len(picked) > MAX_FRAMES:
            step = (len(picked) - 1) / (MAX_FRAMES - 1)
            picked = [picked[round(i * step)] for i in range(MAX_FRAMES)]
        t0 = picked[0][0]
        frames = [[round((t - t0) * 1000), *pts.tolist()] for t, pts in picked]
        side = p.rep.side
        if side not in ("left", "right"):  # the better-seen leg, as the engine uses
            side = "left" if self._vis["left"] >= self._vis["right"] else "right"
        w, h = self._size
        return {
            "exercise": self.exercise,
            "kind": p.kind,
            "rep_index": p.rep.index,
            "side": p.rep.side,
            "fps": self.fps,
            "aspect": round(w / h, 3) if w and h else 1.0,
            "joints": list(JOINT_NAMES),
            "frames": frames,
            "fault": self._fault(p.rep, side),
        }

    def _fault(self, rep: Rep, side: str) -> dict[str, Any] | None:
        if not rep.faults:
            return None
        fault = max(rep.faults, key=lambda f: f.priority)
        rule = self._rules.get(fault.key)
        what = (rule.quantity or rule.metric) if rule is not None else ""
        joints, ref = _DRAW.get(what, ((), "none"))
        return {
            "key": fault.key,
            "cue": fault.cue,
            "value": round(fault.value, 2),
            "threshold": round(fault.threshold, 2),
            "unit": fault.unit,
            "op": rule.op if rule is not None else ">",
            "joints": [j.format(s=side) for j in joints],
            "reference": ref if joints else "none",
        }


def _points(pose: Pose) -> np.ndarray[Any, Any]:
    """The kept joints as integers 0-1000 (x, y interleaved), -1 where unseen."""
    idx = [int(j) for j in JOINTS]
    xy = pose.xy[idx]
    seen = (pose.visibility[idx] >= MIN_VISIBILITY) & np.isfinite(xy).all(axis=1)
    out = np.full((len(idx), 2), -1, dtype=np.int32)
    clipped = np.clip(np.nan_to_num(xy, nan=0.0), 0.0, 1.0)
    out[seen] = np.rint(clipped[seen] * 1000).astype(np.int32)
    return out.reshape(-1)
