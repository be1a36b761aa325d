"""Form checks: per-frame quantities, per-rep faults, and the rate-limited live cue.

Each rule of an exercise (data/exercises.toml) names a quantity measured every frame
(aggregated over the rep as its max, min or range) or a per-rep metric, a threshold and
a plain-English cue. A quantity is only aggregated on frames seen from a view the rule
can be judged from, and a rule with no such frames gives no fault rather than a guess.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

from escape_home import measures as ms
from escape_home import signals as sg
from escape_home.events import Cue, Fault
from escape_home.exercises import FormRule
from escape_home.signals import Body, joint

Quantity = Callable[[Body, ms.Context], float | None]


def _point_segment(
    p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]
) -> float:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    n = dx * dx + dy * dy
    u = 0.0 if n == 0 else max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / n))
    return math.hypot(p[0] - ax - u * dx, p[1] - ay - u * dy)


def hand_to_thigh(body: Body, ctx: ms.Context) -> float | None:
    """Closest wrist-to-thigh distance (hip-knee segment), in shank lengths."""
    best: float | None = None
    for ws in sg.SIDES:
        w = joint(ws, "wrist")
        if not body.ok(w):
            continue
        for ls in sg.SIDES:
            h, k = joint(ls, "hip"), joint(ls, "knee")
            if body.ok(h, k):
                d = _point_segment(body.p(w), body.p(h), body.p(k))
                best = d if best is None else min(best, d)
    return None if best is None else ctx.norm(best)


#: Mean sideways heel-to-toe offset of the feet, in shank lengths, above which the
#: person is turned too far from the camera for frontal-plane angles: the toes point
#: forward, so facing the camera they point at it (offset ~0; toes turned out cancel
#: between the feet) and turning by g degrees gives about 0.5 sin(g) (foot ~0.5
#: shank). 0.08 is about 9 degrees. Turned by 10-15 degrees, the forward knee travel of
#: a clean synthetic squat reads as 27-37 deg of "valgus" and its forward trunk lean
#: as 7-10 deg of sideways lean (docs/form-evidence.md).
SQUARE_ON_MAX = 0.08


def square_on(body: Body, ctx: ms.Context) -> bool:
    """True when the feet say the person faces the camera within about 9 degrees
    (or the feet cannot tell: then nothing is known against it)."""
    total, n = 0.0, 0
    for s in sg.SIDES:
        h, t = joint(s, "heel"), joint(s, "toe")
        if body.ok(h, t):
            total += body.p(t)[0] - body.p(h)[0]
            n += 1
    if n == 0:
        return True
    off = ctx.norm(abs(total) / n)
    return off is None or off <= SQUARE_ON_MAX


def fppa_max(body: Body, ctx: ms.Context) -> float | None:
    """Largest knee valgus angle of the two legs (front view, facing the camera)."""
    if not square_on(body, ctx):
        return None
    vals = [v for s in sg.SIDES if (v := sg.fppa(body, s)) is not None]
    return max(vals) if vals else None


def trunk_side_lean(body: Body, ctx: ms.Context) -> float | None:
    """Sideways lean of the trunk line from vertical (front view, facing the camera)."""
    return sg.trunk_flexion(body) if square_on(body, ctx) else None


def knee_angle_min(body: Body, ctx: ms.Context) -> float | None:
    """The more bent knee."""
    vals = [v for s in sg.SIDES if (v := sg.knee_angle(body, s)) is not None]
    return min(vals) if vals else None


def thigh_tilt(body: Body, ctx: ms.Context) -> float | None:
    """Largest hip-to-knee tilt from vertical of the two legs, in degrees."""
    vals = [
        v
        for s in sg.SIDES
        if (v := sg.segment_tilt(body, joint(s, "hip"), joint(s, "knee"))) is not None
    ]
    return max(vals) if vals else None


def trunk_ahead_of_shins(body: Body, ctx: ms.Context) -> float | None:
    """Forward trunk lean beyond the forward tilt of the shins, in degrees (side view).

    In a well-balanced squat the trunk and the shins lean forward by about the same
    angle; a trunk leaning much further than the shins is a hip-dominant, bent-over
    squat. Uses the more tilted shin of the seen legs.
    """
    t = sg.trunk_flexion(body)
    if t is None:
        return None
    shin: float | None = None
    for s in sg.SIDES:
        v = sg.segment_tilt(body, joint(s, "knee"), joint(s, "ankle"))
        if v is not None and (shin is None or v > shin):
            shin = v
    return None if shin is None else t - shin


def knee_past_toes(body: Body, ctx: ms.Context) -> float | None:
    """How far the front knee is ahead of its toes, in shank lengths (side view).

    The front leg is the one whose ankle is further forward in the direction the
    person faces (from heel to toe); negative when the knee is behind the toes.
    """
    heel_to_toe = 0.0
    for s in sg.SIDES:
        h, t = joint(s, "heel"), joint(s, "toe")
        if body.ok(h, t):
            heel_to_toe += body.p(t)[0] - body.p(h)[0]
    if abs(heel_to_toe) < 1e-6:
        return None
    fc = math.copysign(1.0, heel_to_toe)
    best: tuple[float, sg.Side] | None = None
    for s in sg.SIDES:
        a, k, t = joint(s, "ankle"), joint(s, "knee"), joint(s, "toe")
        if body.ok(a, k, t):
            ax = body.p(a)[0] * fc
            if best is None or ax > best[0]:
                best = (ax, s)
    if best is None:
        return None
    s = best[1]
    return ctx.norm((body.p(joint(s, "knee"))[0] - body.p(joint(s, "toe"))[0]) * fc)


QUANTITIES: dict[str, Quantity] = {
    "trunk_flexion": lambda b, c: sg.trunk_flexion(b),
    "trunk_side_lean": trunk_side_lean,
    "trunk_ahead_of_shins": trunk_ahead_of_shins,
    "knee_past_toes": knee_past_toes,
    "shoulder_tilt": lambda b, c: sg.shoulder_tilt(b),
    "pelvis_tilt": lambda b, c: sg.pelvis_tilt(b),
    "hand_to_thigh": hand_to_thigh,
    "fppa": fppa_max,
    "heel_rise": ms.heel_rise,
    "knee_angle_min": knee_angle_min,
    "thigh_tilt": thigh_tilt,
}


class FormTracker:
    """Aggregates an exercise's form quantities over each rep and judges the rules."""

    def __init__(self, rules: Iterable[FormRule]) -> None:
        self.rules = tuple(rules)
        for r in self.rules:
            if r.quantity and r.quantity not in QUANTITIES:
                raise ValueError(
                    f"Form rule {r.key!r}: unknown quantity {r.quantity!r}"
                )
        self._qrules = [r for r in self.rules if r.quantity]
        self._needed = sorted({r.quantity for r in self._qrules})
        self.start_rep()

    def start_rep(self) -> None:
        """Forget the aggregates of the previous rep."""
        self._lo: dict[str, float] = {}
        self._hi: dict[str, float] = {}
        self._views: Counter[str] = Counter()

    def frame(
        self, body: Body, ctx: ms.Context, phase: str = "moving"
    ) -> list[FormRule]:
        """Measure one frame of a rep; return rules whose limit was crossed just now.

        Args:
            body: The frame's pose.
            ctx: Person references and view.
            phase: The counter's phase; rules with ``during = "moving"`` only look
                at frames between the start and far positions.
        """
        view = ctx.view
        if view is None:
            return []
        self._views[view] += 1
        values: dict[str, float | None] = {
            q: QUANTITIES[q](body, ctx) for q in self._needed
        }
        crossed = []
        for r in self._qrules:
            v = values[r.quantity]
            if v is None or view not in r.views:
                continue
            if r.during == "moving" and phase != "moving":
                continue
            before = self._value(r)
            self._lo[r.key] = min(self._lo.get(r.key, v), v)
            self._hi[r.key] = max(self._hi.get(r.key, v), v)
            now = self._value(r)
            if (
                now is not None
                and r.fires(now)
                and (before is None or not r.fires(before))
            ):
                crossed.append(r)
        return crossed

    def _value(self, r: FormRule) -> float | None:
        if r.key not in self._lo:
            return None
        lo, hi = self._lo[r.key], self._hi[r.key]
        return {"max": hi, "min": lo, "range": hi - lo}.get(r.agg, hi)

    def finish_rep(self, metrics: Mapping[str, float]) -> tuple[Fault, ...]:
        """Judge every rule on the rep just finished; return its faults."""
        view = self._views.most_common(1)[0][0] if self._views else None
        faults = []
        for r in self.rules:
            if r.metric:
                v = metrics.get(r.metric)
                if v is None or view not in r.views:
                    continue
            else:
                v = self._value(r)
                if v is None:
                    continue
            if r.fires(v):
                faults.append(
                    Fault(r.key, r.cue, round(v, 2), r.threshold, r.unit, r.priority)
                )
        self.start_rep()
        return tuple(sorted(faults, key=lambda f: -f.priority))


class CueGate:
    """At most one cue at a time, the most important, and never nagging.

    Args:
        min_interval_s: Minimum time between any two cues.
        repeat_interval_s: Minimum time before the same cue is said again.
    """

    def __init__(self, min_interval_s: float = 4.0, repeat_interval_s: float = 12.0):
        self.min_interval_s = min_interval_s
        self.repeat_interval_s = repeat_interval_s
        self._last_t = -1e9
        self._last_by_key: dict[str, float] = {}

    def offer(self, candidates: Iterable[Cue], t: float) -> Cue | None:
        """Return the cue to give now (the highest priority allowed), or None."""
        if t - self._last_t < self.min_interval_s:
            return None
        allowed = [
            c
            for c in candidates
            if t - self._last_by_key.get(c.key, -1e9) >= self.repeat_interval_s
        ]
        if not allowed:
            return None
        best = max(allowed, key=lambda c: c.priority)
        self._last_t = t
        self._last_by_key[best.key] = t
        return best
