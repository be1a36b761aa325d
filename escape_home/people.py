"""Pick the person doing the exercise when several people are in view, and keep them.

Pure geometry on normalised landmarks (no MediaPipe, no OpenCV), so the rule can be
tested with made-up people. `pose.PoseEstimator` feeds it every person MediaPipe
found in a frame and reports only the chosen one.

The rule:

1. **Track** people from frame to frame by the centre of their shoulders and hips: each
   track takes the nearest unclaimed person within one torso length of where it was;
   anyone left over starts a new track. A track unseen for `drop_s` seconds is dropped.
2. **Measure sustained body motion** per track: the spread (standard deviation) of
   shoulders, hips, knees and ankles over the last `window_s` seconds, in torso lengths,
   averaged over those joints. Exercising moves the trunk and legs steadily; a person
   standing by, even one who talks with their hands, barely does. Dividing by torso
   length makes a near, large person no more "moving" than a far, small one.
3. **First choice**, before anyone has `evidence_s` seconds of history: prefer a person
   whose ankles are inside the frame (a whole body, as the programme's camera set-up
   asks for), then the one nearest the middle of the frame. Once tracks have evidence,
   the one moving most is preferred.
4. **Stickiness with hysteresis**: the chosen person stays chosen. Another person takes
   over only when they have `evidence_s` of history and have moved more than
   `switch_ratio` times as much (plus `switch_margin`) for `switch_hold_s` seconds in
   a row. If the chosen person is not found in a frame, nobody is reported (never the
   bystander) until they have been missing for `lost_s`; then the best remaining person
   is chosen as in step 3.

Known limits: it cannot tell the exerciser from a bystander who moves their trunk and
legs more (e.g. someone walking about during a balance hold, where the exerciser is
still) for longer than `switch_hold_s`; two people crossing may swap tracks.
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
        off_centre: Horizontal distance of the centre from the frame's middle (0..0.5
            of the frame width).
    """

    centre: F64
    scale: float
    joints: F64
    whole_body: bool
    off_centre: float

    @classmethod
    def from_landmarks(cls, xy: F32, aspect: float) -> Candidate:
        """Summarise one person from (33, 2) normalised landmarks."""
        pts = xy[_MOTION].astype(np.float64)
        pts[:, 0] *= aspect
        shoulders = pts[0:2].mean(axis=0)
        hips = pts[2:4].mean(axis=0)
        scale = max(float(np.hypot(*(shoulders - hips))), _MIN_SCALE)
        ankles = xy[_ANKLES]
        inside = bool(np.all((ankles >= 0.0) & (ankles <= 1.0)))
        off = abs(float(xy[_CENTRE, 0].mean()) - 0.5)
        return cls(pts[0:4].mean(axis=0), scale, pts, inside, off)


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

    def motion(self) -> float:
        """Spread of the trunk and leg joints over the window, in torso lengths."""
        if len(self.history) < 3:
            return 0.0
        pts = np.stack([p for _, p in self.history])  # (n, 8, 2)
        spread = np.sqrt(pts.var(axis=0).sum(axis=1))  # per joint
        return float(spread.mean() / self.scale)

    def evidence(self) -> float:
        return self.last_t - self.first_t


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
        lost_s: float = 1.0,
        drop_s: float = 2.0,
    ) -> None:
        if not 0 < evidence_s <= window_s:
            raise ValueError(
                f"evidence_s must be in (0, window_s={window_s}], got {evidence_s}"
            )
        if switch_ratio < 1:
            raise ValueError(f"switch_ratio must be >= 1, got {switch_ratio}")
        self.window_s = window_s
        self.evidence_s = evidence_s
        self.switch_ratio = switch_ratio
        self.switch_margin = switch_margin
        self.switch_hold_s = switch_hold_s
        self.lost_s = lost_s
        self.drop_s = max(drop_s, lost_s)
        self.reset()

    def reset(self) -> None:
        """Forget everyone (e.g. when the source changes)."""
        self._tracks: list[_Track] = []
        self._next_id = 0
        self.selected_id: int | None = None

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
        seen = self._match(t, candidates)
        self._tracks = [tr for tr in self._tracks if t - tr.last_t <= self.drop_s]
        by_id = {tr.id: tr for tr in self._tracks}
        chosen = by_id.get(self.selected_id) if self.selected_id is not None else None
        if chosen is None or t - chosen.last_t > self.lost_s:
            chosen = self._first_choice(t, seen)
        elif chosen.id in seen:
            chosen = self._maybe_switch(t, chosen, seen)
        self.selected_id = chosen.id if chosen is not None else None
        if chosen is None or chosen.id not in seen:
            return None
        return seen[chosen.id]

    def _match(self, t: float, candidates: list[Candidate]) -> dict[int, int]:
        """Assign candidates to tracks greedily by distance; map track id -> index."""
        pairs = []
        for ci, cand in enumerate(candidates):
            for tr in self._tracks:
                dist = float(np.hypot(*(cand.centre - tr.centre)))
                if dist <= max(tr.scale, cand.scale):
                    pairs.append((dist, tr.id, ci))
        pairs.sort()
        seen: dict[int, int] = {}
        used: set[int] = set()
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
        with_evidence = [tr for tr in visible if tr.evidence() >= self.evidence_s]
        if with_evidence:
            return max(with_evidence, key=lambda tr: tr.motion())
        return min(visible, key=lambda tr: (not tr.whole_body, tr.off_centre))

    def _maybe_switch(self, t: float, chosen: _Track, seen: dict[int, int]) -> _Track:
        if len(self._tracks) == 1:  # the common case: nobody else to compare with
            return chosen
        floor = self.switch_ratio * chosen.motion() + self.switch_margin
        best = chosen
        for tr in self._tracks:
            if tr is chosen or tr.id not in seen or tr.evidence() < self.evidence_s:
                tr.ahead_since = None
                continue
            if tr.motion() > floor:
                if tr.ahead_since is None:
                    tr.ahead_since = t
                if t - tr.ahead_since >= self.switch_hold_s and (
                    best is chosen or tr.motion() > best.motion()
                ):
                    best = tr
            else:
                tr.ahead_since = None
        if best is not chosen:
            best.ahead_since = None
        return best
