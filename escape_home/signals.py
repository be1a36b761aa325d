"""Pure geometry on one pose: joint and trunk angles, segment-normalised positions.

Everything here works on aspect-corrected image coordinates (the same units as
`Pose.point`), so angles are true image-plane angles. A landmark below the visibility
threshold makes every quantity that needs it ``None``: the engine never counts or judges
on a guessed joint, and never shows a stale number.

For speed (the tracker runs in a 30 fps live loop) a pose is unpacked once into a
`Body` of plain floats, and every signal is a few lines of `math` on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from escape_home.landmarks import Landmark, Pose

Side = Literal["left", "right"]
View = Literal["front", "side", "oblique"]

L = Landmark
SIDES: tuple[Side, Side] = ("left", "right")

#: Landmarks of each side, addressed by a short joint name.
_JOINTS: dict[Side, dict[str, Landmark]] = {
    "left": {
        "shoulder": L.LEFT_SHOULDER,
        "elbow": L.LEFT_ELBOW,
        "wrist": L.LEFT_WRIST,
        "hip": L.LEFT_HIP,
        "knee": L.LEFT_KNEE,
        "ankle": L.LEFT_ANKLE,
        "heel": L.LEFT_HEEL,
        "toe": L.LEFT_FOOT_INDEX,
    },
    "right": {
        "shoulder": L.RIGHT_SHOULDER,
        "elbow": L.RIGHT_ELBOW,
        "wrist": L.RIGHT_WRIST,
        "hip": L.RIGHT_HIP,
        "knee": L.RIGHT_KNEE,
        "ankle": L.RIGHT_ANKLE,
        "heel": L.RIGHT_HEEL,
        "toe": L.RIGHT_FOOT_INDEX,
    },
}


def joint(side: Side, name: str) -> Landmark:
    """Return the landmark of a named joint ("knee", "hip", ...) on one side."""
    return _JOINTS[side][name]


def angle_between(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]
) -> float:
    """Angle ABC in degrees (0..180) between the rays B->A and B->C."""
    v1x, v1y = a[0] - b[0], a[1] - b[1]
    v2x, v2y = c[0] - b[0], c[1] - b[1]
    n = math.hypot(v1x, v1y) * math.hypot(v2x, v2y)
    if n <= 1e-12:
        return float("nan")
    cos = max(-1.0, min(1.0, (v1x * v2x + v1y * v2y) / n))
    return math.degrees(math.acos(cos))


class Body:
    """One pose unpacked to plain floats, with visibility gating.

    Args:
        pose: The pose record.
        min_visibility: Landmarks below this visibility count as missing.
    """

    __slots__ = ("min_visibility", "pts", "t", "vis")

    def __init__(self, pose: Pose, min_visibility: float = 0.5) -> None:
        self.t = pose.timestamp_s
        self.min_visibility = min_visibility
        aspect = pose.aspect
        xy = pose.xy.tolist()
        vis = pose.visibility.tolist()
        # NaN coordinates mean "not found": give them zero visibility.
        self.vis: list[float] = [
            v if p[0] == p[0] and p[1] == p[1] else 0.0
            for v, p in zip(vis, xy, strict=True)
        ]
        self.pts: list[tuple[float, float]] = [(p[0] * aspect, p[1]) for p in xy]

    def ok(self, *lms: Landmark) -> bool:
        """True when every landmark given is visible enough to use."""
        thr = self.min_visibility
        return all(self.vis[int(lm)] >= thr for lm in lms)

    def p(self, lm: Landmark) -> tuple[float, float]:
        """Aspect-corrected position of a landmark (no visibility check)."""
        return self.pts[int(lm)]

    def dist(self, a: Landmark, b: Landmark) -> float | None:
        """Distance between two landmarks, or None if either is not visible."""
        if not self.ok(a, b):
            return None
        pa, pb = self.pts[int(a)], self.pts[int(b)]
        return math.hypot(pa[0] - pb[0], pa[1] - pb[1])

    def angle(self, a: Landmark, b: Landmark, c: Landmark) -> float | None:
        """Angle ABC in degrees at landmark B, or None if any is not visible."""
        if not self.ok(a, b, c):
            return None
        v = angle_between(self.pts[int(a)], self.pts[int(b)], self.pts[int(c)])
        return None if math.isnan(v) else v

    def mid(self, a: Landmark, b: Landmark) -> tuple[float, float] | None:
        """Midpoint of two landmarks, or the visible one of them, or None."""
        oa, ob = self.ok(a), self.ok(b)
        if oa and ob:
            pa, pb = self.pts[int(a)], self.pts[int(b)]
            return ((pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2)
        if oa:
            return self.pts[int(a)]
        if ob:
            return self.pts[int(b)]
        return None

    def side_score(self, side: Side) -> float:
        """How well one leg is seen: the least visible of hip, knee and ankle."""
        j = _JOINTS[side]
        return min(
            self.vis[int(j["hip"])], self.vis[int(j["knee"])], self.vis[int(j["ankle"])]
        )


# --- joint angles -----------------------------------------------------------------


def knee_angle(body: Body, side: Side) -> float | None:
    """Knee angle hip-knee-ankle in degrees (180 = straight)."""
    j = _JOINTS[side]
    return body.angle(j["hip"], j["knee"], j["ankle"])


def hip_angle(body: Body, side: Side) -> float | None:
    """Hip angle shoulder-hip-knee in degrees (180 = upright)."""
    j = _JOINTS[side]
    return body.angle(j["shoulder"], j["hip"], j["knee"])


def segment_tilt(body: Body, top: Landmark, bottom: Landmark) -> float | None:
    """Angle in degrees of the segment top->bottom from straight down (0 = vertical)."""
    if not body.ok(top, bottom):
        return None
    (x1, y1), (x2, y2) = body.p(top), body.p(bottom)
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return None
    return math.degrees(math.atan2(abs(dx), dy))


def trunk_flexion(body: Body) -> float | None:
    """Angle of the shoulder-midpoint -> hip-midpoint line from vertical, in degrees."""
    s = body.mid(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    h = body.mid(L.LEFT_HIP, L.RIGHT_HIP)
    if s is None or h is None:
        return None
    dx, dy = s[0] - h[0], h[1] - s[1]
    if dx == 0 and dy == 0:
        return None
    return math.degrees(math.atan2(abs(dx), dy))


def line_tilt(body: Body, a: Landmark, b: Landmark) -> float | None:
    """Tilt of the line a-b from horizontal in degrees (0 = level), e.g. shoulders."""
    if not body.ok(a, b):
        return None
    (x1, y1), (x2, y2) = body.p(a), body.p(b)
    dx = abs(x2 - x1)
    if dx < 1e-9:
        return None
    return math.degrees(math.atan2(abs(y2 - y1), dx))


def shoulder_tilt(body: Body) -> float | None:
    """Tilt of the shoulder line from horizontal (front view lateral lean)."""
    return line_tilt(body, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)


def pelvis_tilt(body: Body) -> float | None:
    """Tilt of the hip line from horizontal (front view pelvic drop or hitch)."""
    return line_tilt(body, L.LEFT_HIP, L.RIGHT_HIP)


def abduction_angle(body: Body, side: Side) -> float | None:
    """Outward angle of the hip->ankle line of one leg from vertical, in degrees.

    Positive when the ankle is further from the body midline than the hip (front view).
    """
    j = _JOINTS[side]
    o = _JOINTS["right" if side == "left" else "left"]
    if not body.ok(j["hip"], j["ankle"], o["hip"]):
        return None
    (hx, hy), (ax, ay) = body.p(j["hip"]), body.p(j["ankle"])
    ox = body.p(o["hip"])[0]
    outward = 1.0 if hx >= ox else -1.0
    dy = ay - hy
    if dy <= 0:
        return None
    return math.degrees(math.atan2((ax - hx) * outward, dy))


def fppa(body: Body, side: Side) -> float | None:
    """Frontal-plane projection angle: knee deviation inward (valgus, +) in degrees.

    The angle between the thigh and shank lines in the image, signed positive when
    the knee sits inside the hip-ankle line (towards the midline). Meaningful in the
    front view only, and only while the leg points down the image (hip above knee
    above ankle); otherwise None.
    """
    j = _JOINTS[side]
    o = _JOINTS["right" if side == "left" else "left"]
    if not body.ok(j["hip"], j["knee"], j["ankle"], o["hip"]):
        return None
    (hx, hy), (kx, ky), (ax, ay) = (
        body.p(j["hip"]),
        body.p(j["knee"]),
        body.p(j["ankle"]),
    )
    if not hy < ky < ay:
        return None
    thigh, shank = math.hypot(kx - hx, ky - hy), math.hypot(ax - kx, ay - ky)
    # A thigh pointing at the camera is too short in the image to give an angle.
    if thigh < 0.5 * shank or shank < 0.5 * thigh:
        return None
    t1 = math.atan2(kx - hx, ky - hy)
    t2 = math.atan2(ax - kx, ay - ky)
    mid_x = (hx + body.p(o["hip"])[0]) / 2
    line_x = hx + (ax - hx) * (ky - hy) / (ay - hy)
    inward = (kx - line_x) * (1.0 if mid_x > hx else -1.0)
    dev = abs(math.degrees(t1 - t2))
    return dev if inward > 0 else -dev


# --- view -------------------------------------------------------------------------


def width_ratio(body: Body, min_visibility: float = 0.1) -> float | None:
    """Shoulder + hip width over twice the torso height: ~0.5+ facing, ~0 side-on.

    The pose model still places a hidden far-side shoulder or hip about right, so a
    low visibility threshold is used; when one whole side is missing the person is
    side-on (0.0). None when neither side's shoulder and hip are seen.
    """
    sides = {}
    for s in SIDES:
        sh, hp = _JOINTS[s]["shoulder"], _JOINTS[s]["hip"]
        if body.vis[int(sh)] >= min_visibility and body.vis[int(hp)] >= min_visibility:
            sides[s] = (body.p(sh), body.p(hp))
    if len(sides) == 1:
        return 0.0
    if len(sides) < 2:
        return None
    (ls, lh), (rs, rh) = sides["left"], sides["right"]
    torso = math.hypot(
        (ls[0] + rs[0] - lh[0] - rh[0]) / 2, (ls[1] + rs[1] - lh[1] - rh[1]) / 2
    )
    if torso < 1e-6:
        return None
    widths = math.hypot(ls[0] - rs[0], ls[1] - rs[1]) + math.hypot(
        lh[0] - rh[0], lh[1] - rh[1]
    )
    return widths / (2 * torso)


#: `width_ratio` below this is a side view (the synthetic body: turned ~70 deg or more).
SIDE_BELOW = 0.22
#: `width_ratio` above this is a front view (the synthetic body: turned up to ~35 deg);
#: between the two the view is oblique.
FRONT_ABOVE = 0.45


def classify_view(ratio: float | None) -> View | None:
    """Name the camera view from `width_ratio` (None when it cannot be told).

    The one view classifier: the engine uses it on the ratio smoothed over time
    (`measures.Context`), the camera check on one frame (`view_of`).
    """
    if ratio is None:
        return None
    if ratio < SIDE_BELOW:
        return "side"
    if ratio > FRONT_ABOVE:
        return "front"
    return "oblique"


def view_of(body: Body) -> View | None:
    """The camera view in one frame: `classify_view` of its `width_ratio`."""
    return classify_view(width_ratio(body))


SignalFn = Callable[[Body], float | None]
