"""Named, view-aware measurements the exercise catalogue refers to by name.

`signals.py` has the raw geometry; this module turns it into the quantities an exercise
counts on and judges form with, normalised by the person's own segment lengths so they
do not depend on body size, distance from the camera or frame size. A `Context` carries
the slowly changing per-person references (shank length, standing hip height, the
floor line) and the current camera view.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Callable

from escape_home import signals as sg
from escape_home.signals import Body, Side, View, joint


class RollingRef:
    """A robust running reference: a percentile of samples over a time window."""

    def __init__(self, q: float, window_s: float, default: float, lo: float, hi: float):
        self.q, self.window_s = q, window_s
        self.value = default
        self.lo, self.hi = lo, hi
        self._hist: deque[tuple[float, float]] = deque()
        self._sorted: list[float] = []
        self._last_t = -1e9
        self._last_cal = -1e9

    def add(self, x: float | None, t: float) -> None:
        """Add one sample (ignored when None or too soon after the last one)."""
        if x is None or t - self._last_t < 0.1:
            return
        self._last_t = t
        self._hist.append((t, x))
        bisect.insort(self._sorted, x)
        while t - self._hist[0][0] > self.window_s:
            _, old = self._hist.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, old)]
        if t - self._last_cal >= 0.25 or len(self._sorted) < 10:
            self._last_cal = t
            s = self._sorted
            v = s[int(self.q * (len(s) - 1))]
            self.value = min(max(v, self.lo), self.hi)


class Context:
    """Per-person references and the current view, updated once per frame."""

    def __init__(self) -> None:
        self.view: View | None = None
        self._ratio: float | None = None
        self._ratio_t = 0.0
        self.reset_body()

    def reset_body(self) -> None:
        """Forget the body references (after a camera cut or a change of person)."""
        # Shank length in frame units; the default is replaced by the first samples.
        self.shank = RollingRef(0.9, 6.0, 0.0, 1e-4, 10.0)
        self.hip_height = RollingRef(0.9, 20.0, 2.0, 1.7, 2.4)
        self.floor = RollingRef(0.9, 8.0, 0.0, -10.0, 10.0)
        self._ratio = None

    def update(self, body: Body, t: float) -> None:
        """Update the references from one frame."""
        lengths = [body.dist(joint(s, "knee"), joint(s, "ankle")) for s in sg.SIDES]
        best = max((x for x in lengths if x is not None), default=None)
        self.shank.add(best, t)
        if self.shank.value <= 1e-4 and best is not None:
            self.shank.value = best
        hh = hip_height(body, self)
        if hh is not None:
            self.hip_height.add(max(hh), t)
        ys = [
            body.p(joint(s, "ankle"))[1] for s in sg.SIDES if body.ok(joint(s, "ankle"))
        ]
        if ys:
            self.floor.add(max(ys), t)
            if self.floor.value == 0.0:
                self.floor.value = max(ys)
        r = sg.width_ratio(body)
        if r is not None:
            # Smooth the view over ~0.5 s so one odd frame does not flip it.
            if self._ratio is None or t - self._ratio_t > 1.0:
                self._ratio = r
            else:
                a = 1.0 - math.exp(-max(t - self._ratio_t, 0.0) / 0.5)
                self._ratio += a * (r - self._ratio)
            self._ratio_t = t
            self.view = sg.classify_view(self._ratio)

    def norm(self, d: float) -> float | None:
        """A distance in shank lengths (None until a shank has been seen)."""
        s = self.shank.value
        return d / s if s > 1e-4 else None


def _legs(body: Body, ctx: Context) -> list[Side]:
    """Legs to measure: both when facing, the better-seen one when side-on."""
    seen = [s for s in sg.SIDES if body.side_score(s) >= body.min_visibility]
    if len(seen) == 2 and ctx.view == "side":
        a, b = (body.side_score(s) for s in sg.SIDES)
        if abs(a - b) > 0.1:
            return [sg.SIDES[0] if a > b else sg.SIDES[1]]
    return seen


def hip_height(body: Body, ctx: Context) -> list[float] | None:
    """Height of each seen hip above its ankle, in shank lengths (standing ~2)."""
    out = []
    for s in _legs(body, ctx):
        v = ctx.norm(body.p(joint(s, "ankle"))[1] - body.p(joint(s, "hip"))[1])
        if v is not None:
            out.append(v)
    return out or None


def _equiv_knee(hh: float, ctx: Context) -> float:
    """Knee angle implied by hip height: standing height -> 180, one shank -> 90."""
    stand = ctx.hip_height.value
    return max(0.0, min(180.0, 90.0 + 90.0 * (hh - 1.0) / max(stand - 1.0, 0.3)))


def _knee_angle_2d(body: Body, ctx: Context, side: Side) -> float | None:
    """Image knee angle, or None when the thigh points at the camera.

    A thigh seen end-on (seated, facing the camera) is a few pixels long and its
    direction is noise, so the angle means nothing.
    """
    a = sg.knee_angle(body, side)
    if a is None:
        return None
    thigh = body.dist(joint(side, "hip"), joint(side, "knee"))
    n = ctx.norm(thigh) if thigh is not None else None
    return None if n is None or n < 0.35 else a


def knee_bend(body: Body, ctx: Context) -> float | None:
    """Knee angle of the seen legs (mean), or the hip-height estimate if more bent.

    From the front a bent knee points at the camera and its image angle stays near
    straight, but the hip still drops; taking the more-bent of the two estimates keeps
    squats and sit-to-stands countable from any view.
    """
    legs = _legs(body, ctx)
    ks = [a for s in legs if (a := _knee_angle_2d(body, ctx, s)) is not None]
    hh = hip_height(body, ctx)
    est = [sum(ks) / len(ks)] if ks else []
    if hh:
        est.append(_equiv_knee(sum(hh) / len(hh), ctx))
    return min(est) if est else None


def knee_bend_min(body: Body, ctx: Context) -> float | None:
    """The more bent of both knees (lunge: either leg may be in front)."""
    ks = [
        a
        for s in sg.SIDES
        if body.side_score(s) >= body.min_visibility
        and (a := _knee_angle_2d(body, ctx, s)) is not None
    ]
    hh = hip_height(body, ctx)
    est = [min(ks)] if ks else []
    if hh:
        est.append(_equiv_knee(min(hh), ctx))
    return min(est) if est else None


def _shank_drop(body: Body, ctx: Context, side: Side) -> float | None:
    """Vertical drop from knee to ankle in shank lengths (1 = shank hangs vertical)."""
    k, a = joint(side, "knee"), joint(side, "ankle")
    if not body.ok(k, a):
        return None
    return ctx.norm(body.p(a)[1] - body.p(k)[1])


def knee_extension(body: Body, ctx: Context, side: Side) -> float | None:
    """Seated knee angle of one leg (side view), or its shank-lift estimate (front)."""
    if ctx.view == "front":
        r = _shank_drop(body, ctx, side)
        return None if r is None else 90.0 + 90.0 * (1.0 - max(-1.0, min(1.0, r)))
    return sg.knee_angle(body, side)


def knee_flexion_standing(body: Body, ctx: Context, side: Side) -> float | None:
    """Standing knee angle of one leg (side view), or its heel-lift estimate (front)."""
    if ctx.view == "front":
        r = _shank_drop(body, ctx, side)
        return None if r is None else 90.0 + 90.0 * max(-1.0, min(1.0, r))
    return sg.knee_angle(body, side)


def knee_lift(body: Body, ctx: Context, side: Side) -> float | None:
    """Knee below hip in shank lengths: ~1 standing, ~0 with the thigh horizontal."""
    h, k = joint(side, "hip"), joint(side, "knee")
    if not body.ok(h, k):
        return None
    return ctx.norm(body.p(k)[1] - body.p(h)[1])


def abduction(body: Body, ctx: Context, side: Side) -> float | None:
    """Outward angle of one leg from vertical, in degrees (front view)."""
    return sg.abduction_angle(body, side)


def heel_rise(body: Body, ctx: Context) -> float | None:
    """Ankle and heel height above the toes, in shank lengths (mean of seen feet)."""
    vals = []
    for s in sg.SIDES:
        a, h, t = joint(s, "ankle"), joint(s, "heel"), joint(s, "toe")
        if body.ok(a, h, t):
            ty = body.p(t)[1]
            v = ctx.norm(((ty - body.p(a)[1]) + (ty - body.p(h)[1])) / 2)
            if v is not None:
                vals.append(v)
    return sum(vals) / len(vals) if vals else None


def step_height(body: Body, ctx: Context) -> float | None:
    """Hip height above the floor line (the recent lowest ankle), in shank lengths."""
    m = body.mid(sg.L.LEFT_HIP, sg.L.RIGHT_HIP)
    if m is None or ctx.floor.value == 0.0:
        return None
    return ctx.norm(ctx.floor.value - m[1])


def foot_lift(body: Body, ctx: Context) -> float | None:
    """Height of the higher ankle above the lower one, in shank lengths."""
    la, ra = joint("left", "ankle"), joint("right", "ankle")
    if not body.ok(la, ra):
        return None
    return ctx.norm(abs(body.p(la)[1] - body.p(ra)[1]))


def toe_direction(body: Body) -> float:
    """Which way the toes point in the image: +1 (towards +x), -1, or 0 if unknown.

    From the heel-to-toe direction of the seen feet (side and oblique views). Not to
    be confused with the camera view (`signals.view_of`).
    """
    total = 0.0
    for s in sg.SIDES:
        h, t = joint(s, "heel"), joint(s, "toe")
        if body.ok(h, t):
            total += body.p(t)[0] - body.p(h)[0]
    return 0.0 if abs(total) < 1e-6 else math.copysign(1.0, total)


def trunk_flexion(body: Body, ctx: Context) -> float | None:
    """Trunk angle from vertical in degrees."""
    return sg.trunk_flexion(body)


BodySignal = Callable[[Body, Context], float | None]
SideSignal = Callable[[Body, Context, Side], float | None]

#: Signals that measure the whole body.
BODY_SIGNALS: dict[str, BodySignal] = {
    "knee_bend": knee_bend,
    "knee_bend_min": knee_bend_min,
    "heel_rise": heel_rise,
    "step_height": step_height,
    "foot_lift": foot_lift,
    "trunk_flexion": trunk_flexion,
}

#: Signals measured on one leg (counted per side).
SIDE_SIGNALS: dict[str, SideSignal] = {
    "knee_extension": knee_extension,
    "knee_flexion_standing": knee_flexion_standing,
    "knee_lift": knee_lift,
    "abduction": abduction,
}
