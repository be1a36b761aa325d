"""Movement verification: does a counted cycle look like the exercise asked for?

A rep counter sees one signal (a knee angle, a hip height); on its own it would count a
sit to stand as knee straightenings and marching as sit to stands. Each exercise
therefore declares, as data in its catalogue table ``[x.movement]``, what its movement
must look like, and every counted cycle is checked against it before it becomes a rep:

* ``posture``: where the rep starts, "seated", "standing" or "any";
* ``hip_travel_min`` / ``hip_travel_max``: how far the hips move up or down over the
  rep (the whole body: standing up from a chair moves them about one shank length, a
  seated knee straightening or a marching step hardly at all);
* ``hip_drop_min`` / ``hip_drop_max``: how far below the start the hips must (or may)
  go (squats, lunges; a marching step keeps them up); ``hip_rise_min``: how far
  above the start (a step-up);
* ``knees_straight``: both knees stay straighter than this angle (heel raises);
* ``foot_lift_min`` / ``foot_lift_max``: one foot ends up at least (at most) this far
  above the other (a step-up; both feet stay on the floor in a squat);
* ``hip_max``: the hips never go higher than this above the floor (about 2 standing;
  higher only when standing on a step); ``above_standing_min`` / ``_max``: they go
  at least (at most) this far above the person's own standing height (onto a step);
* ``thigh``: the working thigh must "lift" (marching), stay "still" (pointing down,
  a hamstring curl), stay "flat" (on the chair, a seated knee straightening), or
  "any";
* ``thigh_split_min`` / ``thigh_split_max``: when the working thigh is at its most
  level, how much more the other thigh points down (a marching step or a split
  stance: a lot; sitting on a chair or squatting: hardly at all);
* ``both_knees_bend``: each knee bends at least this many degrees from where it
  started (squats; not judged side-on, where the far leg is the pose model's guess);
* ``feet_apart_max``: the feet stay closer than this side to side in the picture (a
  split stance shows them far apart from the side or at an angle);
* ``max_s``: the longest a rep can take (a marching step is not a six-second hold).

All distances are in shank lengths (the person's own knee-to-ankle length), measured
against the floor line, so they hold from any camera distance and for any body size.
The thresholds are hand-set from the anatomy (a seated hip is about one shank above the
floor, a standing one about two; a thigh near horizontal has its knee less than half a
shank below the hip) with wide margins, and checked on the shared clips in both
directions (right exercise: every rep kept; wrong exercise: no rep counted).

A cycle that does not match becomes a partial ("did not look like <the exercise>") and
the tracker gives the plain warning `describe` builds ("That looks like standing up
from a chair, not a knee straightening"), naming what the movement looked like.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from escape_home import measures as ms
from escape_home.signals import SIDES, Body, Side, joint, knee_angle

Posture = Literal["seated", "standing"]

SEATED_HIP_MAX = 1.6  # hip above the floor when seated, in shank lengths (about 1)
STANDING_HIP_MIN = 1.45  # and when standing (about 2; lower in a split stance)
THIGH_FLAT_MAX = 0.6  # knee below hip, shank lengths: thigh near horizontal
THIGH_DOWN_MIN = 0.7  # thigh pointing down (standing)
START_FRAMES = 3  # frames at the start of a cycle that tell the posture


@dataclass(frozen=True, slots=True)
class MovementSpec:
    """What an exercise's movement must look like (see the module docs).

    Attributes:
        noun: How the exercise is named in a warning ("a knee straightening").
        posture: "seated", "standing" or "any" at the start of a rep.
        hip_travel_min: The hips move at least this much over the rep.
        hip_travel_max: And at most this much.
        hip_drop_min: The hips go at least this far below their start.
        hip_drop_max: And at most this far.
        hip_rise_min: The hips go at least this far above their start.
        knees_straight: Both knees stay straighter than this (degrees; 0 = no check).
        foot_lift_min: One foot rises at least this far above the other.
        foot_lift_max: And at most this far.
        hip_max: The hips stay below this height above the floor.
        above_standing_min: The hips rise at least this far above the person's
            standing height (hip above the ankle of a straight leg).
        above_standing_max: And at most this far.
        thigh: The working thigh must "lift", stay "still", stay "flat", or "any".
        thigh_split_min: At the working thigh's most level, the other thigh points
            down at least this much more (shank lengths).
        thigh_split_max: And at most this much.
        both_knees_bend: Each knee bends at least this much (degrees; 0 = no check).
        feet_apart_max: The ankles stay closer than this across the picture.
        max_s: A rep takes at most this long (seconds).
    """

    noun: str = "this exercise"
    posture: str = "any"
    hip_travel_min: float = 0.0
    hip_travel_max: float = math.inf
    hip_drop_min: float = 0.0
    hip_drop_max: float = math.inf
    hip_rise_min: float = 0.0
    knees_straight: float = 0.0
    foot_lift_min: float = 0.0
    foot_lift_max: float = math.inf
    hip_max: float = math.inf
    above_standing_min: float = -math.inf
    above_standing_max: float = math.inf
    thigh: str = "any"
    thigh_split_min: float = 0.0
    thigh_split_max: float = math.inf
    both_knees_bend: float = 0.0
    feet_apart_max: float = math.inf
    max_s: float = math.inf


class MovementEvidence:
    """What one cycle's movement looked like, gathered frame by frame (cheap)."""

    __slots__ = (
        "feet_apart",
        "foot_lift",
        "frames",
        "hip_hi",
        "hip_lo",
        "hip_start",
        "knee_min",
        "knee_side_min",
        "knee_side_start",
        "pic_hi",
        "pic_lo",
        "posture",
        "shank",
        "side_frames",
        "split",
        "stand",
        "thigh_max",
        "thigh_min",
        "thigh_start",
    )

    def __init__(self) -> None:
        self.start()

    def start(self) -> None:
        """Forget the previous cycle."""
        self.frames = 0
        self.hip_start: float | None = None
        self.hip_lo = math.inf
        self.hip_hi = -math.inf
        self.pic_lo = math.inf  # hip height in the picture (frame units, up)
        self.pic_hi = -math.inf
        self.shank = 0.0  # the person's shank length in the picture, latest
        self.thigh_start: list[float] = []
        self.thigh_min: dict[str, float] = {}
        self.thigh_max: dict[str, float] = {}
        self.split: dict[str, float] = {}  # other thigh minus this one, at its peak
        self.knee_min = math.inf
        self.knee_side_min: dict[str, float] = {}
        self.knee_side_start: dict[str, float] = {}
        self.side_frames = 0
        self.foot_lift = 0.0
        self.feet_apart = 0.0
        self.stand = 0.0  # the person's standing hip height (shank lengths)
        self.posture: Posture | None = None

    def frame(self, body: Body, ctx: ms.Context) -> None:
        """Add one frame of the cycle in progress."""
        hip = ms.step_height(body, ctx)
        self.stand = max(self.stand, ctx.hip_height.value)
        thighs: dict[Side, float] = {}
        for s in SIDES:
            v = ms.knee_lift(body, ctx, s)
            if v is not None:
                thighs[s] = v
                self.thigh_max[s] = max(self.thigh_max.get(s, -math.inf), v)
            k = knee_angle(body, s)
            if k is not None:
                self.knee_min = min(self.knee_min, k)
                self.knee_side_min[s] = min(self.knee_side_min.get(s, math.inf), k)
                self.knee_side_start.setdefault(s, k)
        for s, v in thighs.items():
            if v < self.thigh_min.get(s, math.inf):
                self.thigh_min[s] = v
                other = thighs.get("right" if s == "left" else "left")
                if other is not None:
                    self.split[s] = other - v
        mid = body.mid(joint("left", "hip"), joint("right", "hip"))
        if mid is not None:
            self.pic_lo = min(self.pic_lo, -mid[1])
            self.pic_hi = max(self.pic_hi, -mid[1])
        self.shank = ctx.shank.value
        if hip is not None:
            self.hip_lo = min(self.hip_lo, hip)
            self.hip_hi = max(self.hip_hi, hip)
        lift = ms.foot_lift(body, ctx)
        if lift is not None:
            self.foot_lift = max(self.foot_lift, lift)
        if ctx.view == "side":
            self.side_frames += 1
        la, ra = joint("left", "ankle"), joint("right", "ankle")
        if body.ok(la, ra):
            apart = ctx.norm(abs(body.p(la)[0] - body.p(ra)[0]))
            if apart is not None:
                self.feet_apart = max(self.feet_apart, apart)
        if self.frames < START_FRAMES:
            if hip is not None and self.hip_start is None:
                self.hip_start = hip
            if thighs and not self.thigh_start:
                self.thigh_start = list(thighs.values())
            if self.posture is None:
                self.posture = _posture(self.hip_start, self.thigh_start)
        self.frames += 1

    @property
    def hip_travel(self) -> float:
        """How far the hips moved over the cycle (0 when never measured)."""
        return self.hip_hi - self.hip_lo if self.hip_hi >= self.hip_lo else 0.0

    @property
    def travel_range(self) -> tuple[float, float]:
        """(for "at most" rules, for "at least" rules) hip travel, from two
        measures: above the floor line, and in the picture. The floor line lags
        when the camera zooms, or when the only foot in view is off the floor for
        long (a held knee straightening seen side-on); the picture moves when the
        camera does. An "at least" rule passes when either measure meets it; an
        "at most" rule for a seated start passes when either does (the floor line
        is the weak one there), otherwise it uses the floor line."""
        floor = self.hip_travel
        pic = (
            (self.pic_hi - self.pic_lo) / self.shank
            if self.pic_hi >= self.pic_lo and self.shank > 1e-4
            else None
        )
        if pic is None:
            return floor, floor
        return (min(pic, floor) if self.posture == "seated" else floor), max(pic, floor)

    def working(self, side: str) -> str | None:
        """The working leg: `side` if it was seen, else the one that lifted most."""
        if side in self.thigh_min:
            return side
        if not self.thigh_min:
            return None
        return min(self.thigh_min, key=lambda s: self.thigh_min[s])

    def thigh_lowest(self, side: str) -> float | None:
        """Smallest knee-below-hip of the working leg ("both": either leg)."""
        w = self.working(side)
        return None if w is None else self.thigh_min[w]


def _posture(hip: float | None, thighs: list[float]) -> Posture | None:
    """Seated, standing, or None when the start frames cannot tell."""
    if hip is None or not thighs:
        return None
    if hip <= SEATED_HIP_MAX and max(thighs) <= THIGH_FLAT_MAX:
        return "seated"
    if hip >= STANDING_HIP_MIN and max(thighs) >= THIGH_DOWN_MIN:
        return "standing"
    return None


def mismatch(
    spec: MovementSpec, ev: MovementEvidence, side: str, duration_s: float
) -> list[str]:
    """The checks a cycle fails (empty when it looks like the exercise).

    Each entry names the check and the measured value, e.g. "hip_travel_max 0.62".
    Only what was measured is judged: a check whose quantity was never seen (a
    hidden leg, no floor line yet) passes, so a poor view never costs a real rep.
    """
    if ev.frames == 0:
        return []
    fails: list[tuple[str, float]] = []
    if spec.posture != "any" and ev.posture is not None and ev.posture != spec.posture:
        fails.append((f"posture {ev.posture}", math.nan))
    if ev.hip_hi >= ev.hip_lo:
        low, high = ev.travel_range
        if high < spec.hip_travel_min:
            fails.append(("hip_travel_min", high))
        if low > spec.hip_travel_max:
            fails.append(("hip_travel_max", low))
        if ev.hip_hi > spec.hip_max:
            fails.append(("hip_max", ev.hip_hi))
        above = ev.hip_hi - ev.stand
        if above < spec.above_standing_min:
            fails.append(("above_standing_min", above))
        if above > spec.above_standing_max:
            fails.append(("above_standing_max", above))
        if ev.hip_start is not None:
            drop, rise = ev.hip_start - ev.hip_lo, ev.hip_hi - ev.hip_start
            if drop < spec.hip_drop_min:
                fails.append(("hip_drop_min", drop))
            if drop > spec.hip_drop_max:
                fails.append(("hip_drop_max", drop))
            if rise < spec.hip_rise_min:
                fails.append(("hip_rise_min", rise))
    if spec.knees_straight and ev.knee_min < spec.knees_straight:
        fails.append(("knees_straight", ev.knee_min))
    if ev.foot_lift < spec.foot_lift_min:
        fails.append(("foot_lift_min", ev.foot_lift))
    if ev.foot_lift > spec.foot_lift_max:
        fails.append(("foot_lift_max", ev.foot_lift))
    w = ev.working(side)
    if w is not None:
        lowest, highest = ev.thigh_min[w], ev.thigh_max[w]
        if spec.thigh == "lift" and lowest > THIGH_DOWN_MIN:
            fails.append(("thigh lift", lowest))
        if spec.thigh == "still" and lowest < THIGH_DOWN_MIN:
            fails.append(("thigh still", lowest))
        if spec.thigh == "flat" and highest > THIGH_FLAT_MAX:
            fails.append(("thigh flat", highest))
        split = ev.split.get(w)
        if split is not None and spec.thigh_split_min and split < spec.thigh_split_min:
            fails.append(("thigh_split_min", split))
        if split is not None and split > spec.thigh_split_max:
            fails.append(("thigh_split_max", split))
    if duration_s > spec.max_s:
        fails.append(("max_s", duration_s))
    if ev.feet_apart > spec.feet_apart_max:
        fails.append(("feet_apart_max", ev.feet_apart))
    if spec.both_knees_bend and ev.side_frames < ev.frames / 2:
        if len(ev.knee_side_min) == 2:
            bend = min(ev.knee_side_start[s] - ev.knee_side_min[s] for s in SIDES)
            if bend < spec.both_knees_bend:
                fails.append(("both_knees_bend", bend))
    return [k if v != v else f"{k} {v:.2f}" for k, v in fails]


#: What `describe` can name, with the exercises it would be (for "not a ...").
_SEEN = {
    "chair": ("standing up from a chair", {"sit_to_stand"}),
    "seated_knee": (
        "straightening a knee while sitting",
        {"knee_extension", "leg_press"},
    ),
    "step": ("stepping up", {"step_up"}),
    "bend": ("bending both knees to squat or sit", {"squat", "lunge", "sit_to_stand"}),
    "knee_lift": ("lifting a knee, as in marching", {"marching"}),
    "toes": ("rising onto your toes", {"heel_raise"}),
}


def describe(ev: MovementEvidence) -> str | None:
    """What the cycle looked like, as a key of `_SEEN` (None: nothing clear)."""
    rose = ev.hip_start is not None and ev.hip_hi - ev.hip_start >= 0.3
    dropped = ev.hip_start is not None and ev.hip_start - ev.hip_lo >= 0.3
    thigh = ev.thigh_lowest("both")
    if ev.posture == "seated":
        return "chair" if ev.hip_travel >= 0.4 else "seated_knee"
    if ev.posture == "standing":
        if rose and ev.foot_lift >= 0.4:
            return "step"
        if dropped and ev.hip_travel >= 0.4:
            return "bend"
        if thigh is not None and thigh <= THIGH_FLAT_MAX and ev.hip_travel < 0.45:
            return "knee_lift"
        if ev.knee_min >= 150 and ev.hip_travel < 0.3:
            return "toes"
    return None


def warning(spec: MovementSpec, ev: MovementEvidence, exercise_id: str) -> str:
    """The plain warning for a cycle that did not match the exercise.

    It names what the movement looked like when that is clear and is not the
    exercise itself ("That looks like standing up from a chair, not a knee
    straightening"); otherwise it says only that it did not look like the exercise.
    """
    seen = describe(ev)
    if seen is not None and exercise_id not in _SEEN[seen][1]:
        return f"That looks like {_SEEN[seen][0]}, not {spec.noun}"
    return f"That doesn't look like {spec.noun}: watch the demonstration and try again"


__all__ = ["MovementEvidence", "MovementSpec", "describe", "mismatch", "warning"]
