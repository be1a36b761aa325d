"""Pick the person doing the exercise when several people are in view, and keep them.

Pure geometry on normalised landmarks (no MediaPipe, no OpenCV), so the rule can be
tested with made-up people. `pose.PoseEstimator` feeds it every person MediaPipe
found in a frame and reports only the chosen one.

The rule:

1. **Track** people from frame to frame by the centre of their shoulders and hips: each
   track takes the nearest unclaimed person within one torso length of where it was
   (the chosen person's track picks first); anyone left over starts a new track. A
   track unseen for `drop_s` seconds is dropped. MediaPipe sometimes reports one
   person twice (two overlapping skeletons): when the boxes around two people's
   trunk and leg joints overlap by more than `duplicate_iou` (intersection over
   union), they are one person and the less confident copy is ignored. A track
   missed for a moment may take a person up to `1 + regain_speed * gap_s` torso
   lengths away, if no other track claims them.
2. **Measure sustained body motion** per track: the spread (standard deviation) of
   shoulders, hips, knees and ankles over the last `window_s` seconds, in torso lengths,
   averaged over those joints. Exercising moves the trunk and legs steadily; a person
   standing by, even one who talks with their hands, barely does. Dividing by torso
   length makes a near, large person no more "moving" than a far, small one.
3. **First choice**, in the first frame anyone is found (nothing is known yet about
   how anyone moves): prefer a person whose ankles are inside the frame (a whole body,
   as the programme's camera set-up asks for; a large person close to the camera has
   their feet cut off), then the one nearest the middle of the frame. When the choice
   is made again later (step 5) and tracks have `evidence_s` seconds of history, the
   one moving most is chosen. Evidence is time followed while seen in at least 60% of
   the frames, so a phantom skeleton MediaPipe reports now and then earns none.
4. **Provisional until seen exercising**: a choice is *provisional* until the chosen
   person has `evidence_s` of history and a motion of at least `proven_motion` torso
   lengths; then it is *proven* (on the shared clips: people standing by or waiting
   to start measure 0.005-0.04, exercisers 0.06 for heel raises up to 0.9). A
   provisional choice (e.g. a still bystander near the middle while the exerciser
   starts a rep at the side) is overturned quickly: a person with their ankles in view
   (in most recent frames) who has been followed for `quick_evidence_s` and has moved
   more than `switch_ratio` times as much (plus `switch_margin`) for `quick_hold_s`
   takes over. A wrong first choice so lasts under a second (0.5 s of evidence plus
   0.25 s by default), not the whole first rep.
5. **Stickiness with hysteresis** once proven: another person takes over only when
   they have `evidence_s` of history and have moved more than `switch_ratio` times as
   much (plus `switch_margin`) for `switch_hold_s` seconds in a row. If the chosen
   person is not found in a frame, nobody is reported (never the bystander) until they
   have been missing for `lost_s`; then the best remaining person is chosen as in
   step 3, provisionally.

Whether the chosen person is proven is only worked out while someone else is in view
(with one person there is nobody to compare), from the last `window_s`, so a choice
is proven if the person was seen exercising within that window. Everything is causal
(only frames up to now are used) and cheap: with one person in view, no motion sums
at all; with more, a few small numpy reductions over the last `window_s` of 8 joints
per person (~0.1 ms a frame for two people).

Known limits: it cannot tell the exerciser from a bystander who moves their trunk and
legs more (e.g. someone walking about during a balance hold, where the exerciser is
still, so never proven) for longer than `quick_hold_s` (`switch_hold_s` once proven);
two people crossing may swap tracks. It can only choose among the people MediaPipe
finds: `pose.PoseEstimator` looks a second time, with the people it found painted
over, so that a person next to a large bystander is not missed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from escape_home.landmarks import Landmark

L = Landmark
_CENTRE = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]
_MOTION = [*_CENTRE, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE]
_ANKLES = [L.LEFT_ANKLE, L.RIGHT_ANKLE]
_MIN_SCALE = 0.02
_MIN_HIT_RATE = 0.6  # share of frames a person must be seen in to count as evidence

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the selector needs to know about one person in one frame.

    Attributes:
        centre: Mean of shoulders and hips, aspect-corrected (x scaled by w/h).
        scale: Torso length (shoulder centre to hip centre), same units.
        joints: (8, 2) shoulders, hips, knees, ankles, same units.
        whole_body: Both ankles lie inside the frame.
        score: Mean visibility of the trunk and leg joints (1 if not given).
        off_centre: Horizontal distance of the centre from the frame's middle (0..0.5
            of the frame width).
    """

    centre: F64
    scale: float
    joints: F64
    whole_body: bool
    off_centre: float
    score: float = 1.0

    @classmethod
    def from_landmarks(
        cls, xy: F32, aspect: float, visibility: F32 | None = None
    ) -> Candidate:
        """Summarise one person from (33, 2) normalised landmarks (and visibility)."""
        pts = xy[_MOTION].astype(np.float64)
        pts[:, 0] *= aspect
        shoulders = pts[0:2].mean(axis=0)
        hips = pts[2:4].mean(axis=0)
        scale = max(float(np.hypot(*(shoulders - hips))), _MIN_SCALE)
        ankles = xy[_ANKLES]
        inside = bool(np.all((ankles >= 0.0) & (ankles <= 1.0)))
        off = abs(float(xy[_CENTRE, 0].mean()) - 0.5)
        score = 1.0 if visibility is None else float(visibility[_MOTION].mean())
        return cls(pts[0:4].mean(axis=0), scale, pts, inside, off, score)

    def iou(self, other: Candidate) -> float:
        """Overlap of the boxes around the two people's trunk and leg joints."""
        lo = np.maximum(self.joints.min(axis=0), other.joints.min(axis=0))
        hi = np.minimum(self.joints.max(axis=0), other.joints.max(axis=0))
        inter = float(np.prod(np.clip(hi - lo, 0.0, None)))
        if inter <= 0.0:
            return 0.0
        area = _box_area(self.joints) + _box_area(other.joints)
        return inter / max(area - inter, 1e-9)


def _box_area(pts: F64) -> float:
    return float(np.prod(pts.max(axis=0) - pts.min(axis=0)))


@dataclass
class _Track:
    id: int
    centre: F64
    scale: float
    first_t: float
    last_t: float
    whole_body: bool
    off_centre: float
    history: deque[tuple[float, F64]] = field(default_factory=deque)
    ahead_since: float | None = None  # when it started out-moving the chosen one
    proven: bool = False  # chosen, and seen moving like an exerciser (step 4)
    feet: float = 0.0  # running share of frames with both ankles in view

    def motion(self) -> float:
        """Spread of the trunk and leg joints over the window, in torso lengths."""
        if len(self.history) < 3:
            return 0.0
        pts = np.stack([p for _, p in self.history])  # (n, 8, 2)
        spread = np.sqrt(pts.var(axis=0).sum(axis=1))  # per joint
        return float(spread.mean() / self.scale)

    def evidence(self, frame_dt: float) -> float:
        """Seconds this person has been followed, counting only a steady presence.

        A phantom MediaPipe reports now and then is followed over a span too, but
        is seen in few of its frames; it gets no evidence, so it cannot win.
        """
        span = self.last_t - self.first_t
        expected = span / max(frame_dt, 1e-3) + 1
        return span if len(self.history) >= _MIN_HIT_RATE * expected else 0.0


class PersonSelector:
    """Follow everyone in view and say which of them is the exerciser (see module doc).

    Example:
        >>> sel = PersonSelector()
        >>> idx = sel.update(t, [Candidate.from_landmarks(xy, aspect) for xy in people])
    """

    def __init__(
        self,
        *,
        window_s: float = 4.0,
        evidence_s: float = 1.5,
        switch_ratio: float = 2.0,
        switch_margin: float = 0.05,
        switch_hold_s: float = 0.5,
        quick_evidence_s: float = 0.5,
        quick_hold_s: float = 0.25,
        proven_motion: float = 0.05,
        lost_s: float = 1.0,
        drop_s: float = 2.0,
        duplicate_iou: float = 0.5,
        regain_speed: float = 3.0,
    ) -> None:
        if not 0 < evidence_s <= window_s:
            raise ValueError(
                f"evidence_s must be in (0, window_s={window_s}], got {evidence_s}"
            )
        if switch_ratio < 1:
            raise ValueError(f"switch_ratio must be >= 1, got {switch_ratio}")
        if not 0 < quick_evidence_s <= evidence_s:
            raise ValueError(
                f"quick_evidence_s must be in (0, evidence_s={evidence_s}], "
                f"got {quick_evidence_s}"
            )
        self.window_s = window_s
        self.evidence_s = evidence_s
        self.switch_ratio = switch_ratio
        self.switch_margin = switch_margin
        self.switch_hold_s = switch_hold_s
        self.quick_evidence_s = quick_evidence_s
        self.quick_hold_s = quick_hold_s
        self.proven_motion = proven_motion
        self.lost_s = lost_s
        self.drop_s = max(drop_s, lost_s)
        self.duplicate_iou = duplicate_iou
        self.regain_speed = regain_speed
        self.reset()

    def reset(self) -> None:
        """Forget everyone (e.g. when the source changes)."""
        self._tracks: list[_Track] = []
        self._next_id = 0
        self.selected_id: int | None = None
        self._last_t: float | None = None
        self._dt = 1 / 30  # running estimate of the frame interval

    @property
    def people(self) -> int:
        """Number of people currently tracked."""
        return len(self._tracks)

    def update(self, t: float, candidates: list[Candidate]) -> int | None:
        """Take this frame's people; return the index of the exerciser, or None.

        Args:
            t: Frame time in seconds (non-decreasing).
            candidates: Everyone found in this frame.

        Returns:
            Index into `candidates` of the chosen person, or None when the chosen
            person is not in this frame (or nobody is).
        """
        if self._last_t is not None and t > self._last_t:
            self._dt = 0.9 * self._dt + 0.1 * (t - self._last_t)
        self._last_t = t
        kept = self._distinct(candidates)
        seen = {
            tid: kept[i]
            for tid, i in self._match(t, [candidates[k] for k in kept]).items()
        }
        self._tracks = [tr for tr in self._tracks if t - tr.last_t <= self.drop_s]
        by_id = {tr.id: tr for tr in self._tracks}
        chosen = by_id.get(self.selected_id) if self.selected_id is not None else None
        if chosen is None or t - chosen.last_t > self.lost_s:
            chosen = self._first_choice(t, seen)
            if chosen is not None:
                chosen.proven = False
        elif chosen.id in seen:
            chosen = self._maybe_switch(t, chosen, seen)
        self.selected_id = chosen.id if chosen is not None else None
        if chosen is None or chosen.id not in seen:
            return None
        return seen[chosen.id]

    def _distinct(self, candidates: list[Candidate]) -> list[int]:
        """Indices of the candidates left once duplicates of one person are dropped."""
        if len(candidates) < 2:
            return list(range(len(candidates)))
        order = sorted(range(len(candidates)), key=lambda i: -candidates[i].score)
        kept: list[int] = []
        for i in order:
            if all(
                candidates[i].iou(candidates[k]) <= self.duplicate_iou for k in kept
            ):
                kept.append(i)
        return sorted(kept)

    def _match(self, t: float, candidates: list[Candidate]) -> dict[int, int]:
        """Assign candidates to tracks greedily by distance; map track id -> index."""
        seen: dict[int, int] = {}
        used: set[int] = set()
        # Pass 1: within one torso length; the chosen person's track claims its
        # nearest candidate first, so a look-alike track next to it cannot take the
        # exerciser away. Pass 2: a track missed for a moment may have moved
        # further (a fast squat while MediaPipe lost the person), so its gate grows
        # with the gap, but only over candidates nobody else claimed.
        for widen in (0.0, self.regain_speed):
            pairs = []
            for ci, cand in enumerate(candidates):
                if ci in used:
                    continue
                for tr in self._tracks:
                    if tr.id in seen:
                        continue
                    gate = max(tr.scale, cand.scale) * (1 + widen * (t - tr.last_t))
                    dist = float(np.hypot(*(cand.centre - tr.centre)))
                    if dist <= gate:
                        pairs.append((dist, tr.id, ci))
            pairs.sort(key=lambda p: (p[1] != self.selected_id, p[0]))
            by_id = {tr.id: tr for tr in self._tracks}
            for _, tid, ci in pairs:
                if tid in seen or ci in used:
                    continue
                seen[tid] = ci
                used.add(ci)
                self._observe(by_id[tid], t, candidates[ci])
        for ci, cand in enumerate(candidates):
            if ci not in used:
                tr = _Track(self._next_id, cand.centre, cand.scale, t, t, False, 0.5)
                self._next_id += 1
                self._tracks.append(tr)
                self._observe(tr, t, cand)
                seen[tr.id] = ci
        return seen

    def _observe(self, tr: _Track, t: float, cand: Candidate) -> None:
        tr.centre = cand.centre
        # Smooth the scale: one bad torso estimate should not resize the gate.
        tr.scale = 0.8 * tr.scale + 0.2 * cand.scale
        tr.last_t = t
        tr.whole_body = cand.whole_body
        # Smoothed, so an ankle estimate flickering at the frame's edge does not
        # flip the person in and out of a quick take-over (step 4).
        seen_feet = float(cand.whole_body)
        tr.feet = seen_feet if not tr.history else 0.8 * tr.feet + 0.2 * seen_feet
        tr.off_centre = cand.off_centre
        tr.history.append((t, cand.joints))
        while tr.history and t - tr.history[0][0] > self.window_s:
            tr.history.popleft()
        if tr.history and tr.first_t < tr.history[0][0]:
            # Evidence counts only what is still in the window.
            tr.first_t = tr.history[0][0]

    def _first_choice(self, t: float, seen: dict[int, int]) -> _Track | None:
        visible = [tr for tr in self._tracks if tr.id in seen]
        if not visible:
            return None
        with_evidence = [
            tr for tr in visible if tr.evidence(self._dt) >= self.evidence_s
        ]
        if with_evidence:
            return max(with_evidence, key=lambda tr: tr.motion())
        return min(visible, key=lambda tr: (not tr.whole_body, tr.off_centre))

    def _maybe_switch(self, t: float, chosen: _Track, seen: dict[int, int]) -> _Track:
        if len(self._tracks) == 1:  # the common case: nobody else to compare with
            return chosen
        own = chosen.motion()
        if (
            not chosen.proven
            and own >= self.proven_motion
            and chosen.evidence(self._dt) >= self.evidence_s
        ):
            chosen.proven = True  # from now on only sustained evidence overturns it
        floor = self.switch_ratio * own + self.switch_margin
        # A proven choice gives way only to long, sustained evidence; a provisional
        # one to a whole-body person seen moving for a moment (module doc, step 4).
        provisional = not chosen.proven
        best, best_motion = chosen, own
        for tr in self._tracks:
            fast = provisional and tr.feet >= 0.5
            need_s = self.quick_evidence_s if fast else self.evidence_s
            hold_s = self.quick_hold_s if fast else self.switch_hold_s
            if tr is chosen or tr.id not in seen or tr.evidence(self._dt) < need_s:
                tr.ahead_since = None
                continue
            motion = tr.motion()
            if motion > floor:
                if tr.ahead_since is None:
                    tr.ahead_since = t
                if t - tr.ahead_since >= hold_s and (
                    best is chosen or motion > best_motion
                ):
                    best, best_motion = tr, motion
            else:
                tr.ahead_since = None
        if best is not chosen:
            best.ahead_since = None
            best.proven = False
        return best
