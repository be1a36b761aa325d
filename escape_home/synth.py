"""Synthetic motion: a kinematic stick figure doing the programme's exercises.

Tests need motion whose true rep count is known, with controlled tempo, noise,
dropouts, partial reps, pauses, side, view, mirroring, body size and frame rate. A
`Script` is a list of segments (reps, rests, partial reps, absences, a bend to pick
something up, holds); `generate` turns it into `Pose` records by forward kinematics of a
3-D body projected orthographically into a camera at any yaw.

Body frame: x to the person's left, y up, z forward (metres). Angles in degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from escape_home.landmarks import NUM_LANDMARKS, Landmark, Pose

L = Landmark
LegSide = Literal["left", "right"]
Vec = tuple[float, float, float]


@dataclass(frozen=True)
class Faults:
    """Form faults to act out (0 = none). Units: degrees unless stated."""

    trunk: float = 0.0  # extra trunk flexion at the far point
    lean: float = 0.0  # lateral trunk lean
    hike: float = 0.0  # pelvis tilt (working side up)
    valgus: float = 0.0  # knees move towards the midline
    heel: float = 0.0  # heels lift (foot pitch) at the far point
    knee: float = 0.0  # knees bend (heel raise) / thigh swings (hamstring curl)
    hands_on_knees: bool = False
    hands_rest_seated: bool = False  # hands on the thighs only while fully seated
    lean_back: float = 0.0  # trunk tilts back (seated exercises)
    shift: float = 0.0  # squat: the right knee bends this much less
    knee_forward: float = 0.0  # lunge: the front knee bends more, going forward


@dataclass(frozen=True)
class Segment:
    """One piece of a script.

    kind: "rep" (a full cycle), "partial" (goes `depth` of the way and back), "rest"
    (stay at home), "absent" (nobody in view), "pickup" (bend to pick something up),
    "hold" (balance: one foot up for `hold_s`), "far" (stay at the far point),
    "return" (from the far point back home over `back_s`: a clip starting mid-rep).
    """

    kind: str
    side: LegSide = "right"
    depth: float = 1.0
    out_s: float = 1.0
    hold_s: float = 0.3
    back_s: float = 1.0
    dur_s: float = 1.0


@dataclass(frozen=True)
class Script:
    """What the figure does, and how it is filmed."""

    exercise: str
    segments: tuple[Segment, ...]
    fps: float = 30.0
    yaw: float = 90.0  # 0 = camera in front, 90 = camera on the person's left
    mirror: bool = False
    size: float = 1.0  # body scale (1 = 1.75 m adult)
    width: int = 1280
    height: int = 720
    noise: float = 0.0  # landmark jitter, SD in normalised units
    dropout: float = 0.0  # chance a frame has nobody in it
    seed: int = 0
    faults: Faults = field(default_factory=Faults)
    start_far: bool = False  # start at the far point (clip starts mid-rep)
    seated_home: bool = False  # sit-to-stand: start seated (home = seated)
    home: float = 0.0  # share of the movement kept at rest (a knee never straight)
    tremor: float = 0.0  # 5 Hz tremor of every landmark, amplitude (normalised)
    support: bool = False  # right hand on a chair back (fixed in the room)


@dataclass
class Config:
    """Joint configuration of the figure in one frame."""

    trunk: float = 0.0
    lean: float = 0.0
    hike: float = 0.0
    hip: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})
    abd: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})
    knee: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})
    heel: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})
    valgus: float = 0.0
    grounded: tuple[str, ...] = ("left", "right")
    floor: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})
    arms: str = "down"
    support: bool = False  # right hand on a chair back instead


def _other(side: str) -> str:
    return "left" if side == "right" else "right"


def pose_config(ex: str, a: float, side: str, f: Faults, seated_home: bool) -> Config:
    """Joint configuration of exercise `ex` at amount `a` (0 = home, 1 = far point)."""
    c = Config()
    o = _other(side)
    if ex in ("squat", "sit_to_stand"):
        s = a if ex == "squat" else (1 - a if seated_home else a)
        c.knee = {"left": 90 * s, "right": 90 * s}
        c.hip = {"left": (60 if ex == "squat" else 90) * s} | {"right": 0.0}
        c.hip["right"] = c.hip["left"]
        c.knee["right"] -= f.shift * a
        c.trunk = (
            30 * s if ex == "squat" else 10 * s + 30 * math.sin(math.pi * s)
        ) + f.trunk * a
        c.valgus = f.valgus * a
        c.heel = {"left": f.heel * a, "right": f.heel * a}
        c.lean = f.lean * a
        c.arms = (
            "on_knees"
            if f.hands_on_knees or (f.hands_rest_seated and s > 0.98)
            else ("crossed" if ex == "sit_to_stand" else "forward")
        )
    elif ex in ("knee_extension", "leg_press"):
        c.hip = {"left": 90.0, "right": 90.0}
        c.knee = {"left": 90.0, "right": 90.0}
        c.knee[side] = 90 - 85 * a
        if ex == "leg_press":
            c.hip[side] = 90 - 15 * a
        c.trunk = -f.lean_back * a
        c.grounded = (o,)
    elif ex == "step_up":
        hb = 0.2
        if a < 0.4:
            u = a / 0.4
            c.hip[side], c.knee[side] = 70 * u, 90 * u
            c.grounded = (o,)
        else:
            u = (a - 0.4) / 0.6
            c.hip[side], c.knee[side] = 70 * (1 - u), 90 * (1 - u)
            c.hip[o], c.knee[o] = 20 * math.sin(math.pi * u), 40 * math.sin(math.pi * u)
            c.floor = {"left": hb, "right": hb}
            c.grounded = (side,)
        c.trunk = 10 * math.sin(math.pi * a) + f.trunk * a
        c.valgus = f.valgus * a
        c.hike = f.hike * a
    elif ex == "hip_abduction":
        c.abd[side] = 30 * a
        c.hike = f.hike * a
        c.lean = -f.lean * a if side == "left" else f.lean * a
        c.grounded = (o,)
    elif ex == "heel_raise":
        c.heel = {"left": 25 * a, "right": 25 * a}
        c.knee = {"left": f.knee * a, "right": f.knee * a}
        c.hip = {"left": f.knee * a * 0.5, "right": f.knee * a * 0.5}
        c.trunk = f.trunk * a
    elif ex == "marching":
        c.hip[side], c.knee[side] = 75 * a, 80 * a
        c.lean = f.lean * a
        c.grounded = (o,)
    elif ex == "balance":
        c.hip[side], c.knee[side] = 20 * a, 80 * a
        c.trunk = f.trunk * a
        c.lean = f.lean * a
        c.grounded = (o,)
    elif ex == "hamstring_curl":
        c.knee[side] = 95 * a
        c.hip[side] = f.knee * a
        c.grounded = (o,)
    elif ex == "lunge":
        c.hip[side], c.knee[side] = 80 * a, (90 + f.knee_forward) * a
        c.hip[o], c.knee[o] = -35 * a, 95 * a
        c.trunk = f.trunk * a
        c.lean = f.lean * a
        c.valgus = f.valgus * a
        c.grounded = (side,)
    elif ex == "pickup":
        c.trunk, c.hip = 85 * a, {"left": 85 * a, "right": 85 * a}
        c.knee = {"left": 25 * a, "right": 25 * a}
        c.arms = "down"
    else:
        raise ValueError(f"No synthetic motion for {ex!r}")
    return c


# Segment lengths (metres) of a 1.75 m adult.
THIGH, SHANK, FOOT_H, TORSO, HEAD = 0.45, 0.43, 0.08, 0.52, 0.22
HIP_W, SHOULDER_W, UPPER_ARM, FOREARM = 0.2, 0.38, 0.30, 0.27


def _rotx(v: Vec, deg: float) -> Vec:
    """Rotate about the x axis (pitch forward when deg > 0: +y towards +z)."""
    r = math.radians(deg)
    c, s = math.cos(r), math.sin(r)
    return (v[0], v[1] * c - v[2] * s, v[1] * s + v[2] * c)


def _leg(c: Config, side: str, hip: Vec) -> dict[str, Vec]:
    sg = 1.0 if side == "left" else -1.0
    th, ab, kn = (
        math.radians(c.hip[side]),
        math.radians(c.abd[side]),
        math.radians(c.knee[side]),
    )
    d1 = (sg * math.sin(ab), -math.cos(ab) * math.cos(th), math.cos(ab) * math.sin(th))
    knee = (hip[0] + THIGH * d1[0], hip[1] + THIGH * d1[1], hip[2] + THIGH * d1[2])
    knee = (knee[0] - sg * THIGH * math.sin(math.radians(c.valgus)), knee[1], knee[2])
    phi = th - kn
    d2 = (
        sg * math.sin(ab),
        -math.cos(ab) * math.cos(phi),
        math.cos(ab) * math.sin(phi),
    )
    ankle = (knee[0] + SHANK * d2[0], knee[1] + SHANK * d2[1], knee[2] + SHANK * d2[2])
    # A foot off the floor turns with the shank; one on the floor stays flat unless
    # the heel lifts (toes-down pitch).
    pitch = c.heel[side] - (0.0 if side in c.grounded else math.degrees(phi))
    heel_off = _rotx((0.0, -FOOT_H, -0.05), pitch)
    toe_off = _rotx((0.0, -FOOT_H, 0.17), pitch)
    heel = (ankle[0] + heel_off[0], ankle[1] + heel_off[1], ankle[2] + heel_off[2])
    toe = (ankle[0] + toe_off[0], ankle[1] + toe_off[1], ankle[2] + toe_off[2])
    return {"hip": hip, "knee": knee, "ankle": ankle, "heel": heel, "toe": toe}


def skeleton(c: Config) -> dict[int, Vec]:
    """3-D landmark positions (metres) for one configuration, feet on the floor."""
    hk = math.radians(c.hike)
    hips = {
        s: (
            (1 if s == "left" else -1) * HIP_W / 2 * math.cos(hk),
            (1 if s == "left" else -1) * HIP_W / 2 * math.sin(hk),
            0.0,
        )
        for s in ("left", "right")
    }
    legs = {s: _leg(c, s, hips[s]) for s in ("left", "right")}
    lift = max(
        c.floor[s] - min(legs[s]["heel"][1], legs[s]["toe"][1]) for s in c.grounded
    )
    out: dict[int, Vec] = {}

    def put(lm: Landmark, p: Vec) -> None:
        out[int(lm)] = (p[0], p[1] + lift, p[2])

    names = {
        "hip": "HIP",
        "knee": "KNEE",
        "ankle": "ANKLE",
        "heel": "HEEL",
        "toe": "FOOT_INDEX",
    }
    for s in ("left", "right"):
        for k, v in legs[s].items():
            put(Landmark[f"{s.upper()}_{names[k]}"], v)
    tr, le = math.radians(c.trunk), math.radians(c.lean)
    up = (math.sin(le), math.cos(le) * math.cos(tr), math.cos(le) * math.sin(tr))
    sc = (TORSO * up[0], TORSO * up[1], TORSO * up[2])
    across = (math.cos(le), -math.sin(le), 0.0)
    for s, sg in (("left", 1.0), ("right", -1.0)):
        sh = (
            sc[0] + sg * SHOULDER_W / 2 * across[0],
            sc[1] + sg * SHOULDER_W / 2 * across[1],
            sc[2],
        )
        put(Landmark[f"{s.upper()}_SHOULDER"], sh)
        if c.support and s == "right":
            wr = (sh[0], 0.9, 0.35)  # a chair back in front, 0.9 m high
        elif c.arms == "on_knees":
            kp = legs[s]["knee"]
            wr = (kp[0], kp[1] + 0.04, kp[2] + 0.02)
        elif c.arms == "crossed":
            wr = (sc[0] - sg * 0.1, sc[1] - 0.1, sc[2] + 0.12)
        elif c.arms == "forward":
            wr = (sh[0], sh[1] - 0.05, sh[2] + UPPER_ARM + FOREARM)
        else:
            wr = (sh[0] + sg * 0.05, sh[1] - UPPER_ARM - FOREARM, sh[2] + 0.03)
        el = ((sh[0] + wr[0]) / 2 + sg * 0.04, (sh[1] + wr[1]) / 2, (sh[2] + wr[2]) / 2)
        put(Landmark[f"{s.upper()}_ELBOW"], el)
        put(Landmark[f"{s.upper()}_WRIST"], wr)
        for hand in ("PINKY", "INDEX", "THUMB"):
            put(Landmark[f"{s.upper()}_{hand}"], (wr[0], wr[1] - 0.05, wr[2]))
    head = (sc[0] + HEAD * up[0], sc[1] + HEAD * up[1], sc[2] + HEAD * up[2] + 0.08)
    for lm in (L.NOSE, L.MOUTH_LEFT, L.MOUTH_RIGHT):
        put(lm, head)
    for lm, dx in (
        (L.LEFT_EYE_INNER, 0.02),
        (L.LEFT_EYE, 0.035),
        (L.LEFT_EYE_OUTER, 0.05),
        (L.RIGHT_EYE_INNER, -0.02),
        (L.RIGHT_EYE, -0.035),
        (L.RIGHT_EYE_OUTER, -0.05),
    ):
        put(lm, (head[0] + dx, head[1] + 0.03, head[2]))
    put(L.LEFT_EAR, (head[0] + 0.07, head[1] + 0.02, head[2] - 0.08))
    put(L.RIGHT_EAR, (head[0] - 0.07, head[1] + 0.02, head[2] - 0.08))
    return out


def _amount(seg: Segment, t: float) -> float:
    """Amount 0..depth of a rep-like segment at time t from its start."""

    def ease(u: float) -> float:
        return 0.5 - 0.5 * math.cos(math.pi * min(max(u, 0.0), 1.0))

    if t < seg.out_s:
        return seg.depth * ease(t / seg.out_s)
    t -= seg.out_s
    if t < seg.hold_s:
        return seg.depth
    t -= seg.hold_s
    return seg.depth * (1 - ease(t / seg.back_s))


def _seg_len(seg: Segment) -> float:
    if seg.kind in ("rep", "partial", "pickup"):
        return seg.out_s + seg.hold_s + seg.back_s
    if seg.kind == "hold":
        return seg.out_s + seg.hold_s + seg.back_s
    if seg.kind == "return":
        return seg.back_s
    return seg.dur_s


def timeline(script: Script) -> list[tuple[float, str, float, str]]:
    """(time, exercise or "pickup", amount, side) per frame; amount -1 if absent."""
    frames: list[tuple[float, str, float, str]] = []
    total = sum(_seg_len(s) for s in script.segments)
    n = int(total * script.fps)
    bounds, acc = [], 0.0
    for s in script.segments:
        bounds.append((acc, s))
        acc += _seg_len(s)
    j = 0
    for i in range(n):
        t = i / script.fps
        while j + 1 < len(bounds) and t >= bounds[j + 1][0]:
            j += 1
        t0, seg = bounds[j]
        home = 1.0 if script.start_far and j == 0 and seg.kind == "rest" else 0.0
        if seg.kind == "absent":
            frames.append((t, script.exercise, -1.0, seg.side))
        elif seg.kind in ("rest",):
            frames.append((t, script.exercise, home, seg.side))
        elif seg.kind == "far":
            frames.append((t, script.exercise, seg.depth, seg.side))
        elif seg.kind == "return":
            u = (t - t0) / seg.back_s
            frames.append(
                (
                    t,
                    script.exercise,
                    seg.depth * (0.5 + 0.5 * math.cos(math.pi * u)),
                    seg.side,
                )
            )
        elif seg.kind == "pickup":
            frames.append((t, "pickup", _amount(seg, t - t0), seg.side))
        else:
            frames.append((t, script.exercise, _amount(seg, t - t0), seg.side))
    return frames


def _project(p: Vec, script: Script, scale: float) -> tuple[float, float]:
    g = math.radians(script.yaw)
    x = p[0] * math.cos(g) - p[2] * math.sin(g)
    if script.mirror:
        x = -x
    px = script.width / 2 + x * scale
    py = script.height * 0.92 - p[1] * scale
    return px / script.width, py / script.height


def generate(script: Script) -> list[Pose]:
    """Render a script into pose records (one per frame)."""
    rng = np.random.default_rng(script.seed)
    scale = script.height * 0.8 / 1.85 * script.size
    side_view = abs(math.sin(math.radians(script.yaw))) > 0.7
    near = "left" if math.sin(math.radians(script.yaw)) > 0 else "right"
    phases = np.random.default_rng(script.seed + 1).uniform(
        0.0, 2 * np.pi, (NUM_LANDMARKS, 2)
    )
    poses: list[Pose] = []
    for i, (t, ex, a, side) in enumerate(timeline(script)):
        if a < 0 or (script.dropout and rng.random() < script.dropout):
            poses.append(Pose.empty(t, script.width, script.height, i))
            continue
        if ex == script.exercise and script.home:
            a = script.home + (1.0 - script.home) * a
        cfg = pose_config(ex, a, side, script.faults, script.seated_home)
        cfg.support = script.support
        pts = skeleton(cfg)
        xy = np.zeros((NUM_LANDMARKS, 2), dtype=np.float32)
        vis = np.full(NUM_LANDMARKS, 0.95, dtype=np.float32)
        for k, p in pts.items():
            xy[k] = _project(p, script, scale)
        if side_view:
            # A far-side limb landmark hidden behind its near-side twin is barely
            # visible to the pose model; one clear of it is seen. (The model reports
            # hips and shoulders as visible on both sides, whatever the view.)
            far = "RIGHT" if near == "left" else "LEFT"
            for lm in Landmark:
                if lm.name.startswith(far) and not lm.name.endswith(
                    ("HIP", "SHOULDER")
                ):
                    twin = Landmark[lm.name.replace(far, near.upper(), 1)]
                    gap = float(np.hypot(*(xy[lm] - xy[twin])))
                    vis[lm] = 0.3 if gap < 0.02 else 0.8
        if script.noise:
            xy += rng.normal(0.0, script.noise, xy.shape).astype(np.float32)
        if script.tremor:
            xy += (script.tremor * np.sin(2 * np.pi * 5.0 * t + phases)).astype(
                np.float32
            )
        z = np.zeros(NUM_LANDMARKS, dtype=np.float32)
        poses.append(
            Pose(t, script.width, script.height, xy, z, vis, vis.copy(), None, i)
        )
    return poses


def reps_script(
    exercise: str,
    n: int,
    *,
    side: LegSide = "right",
    alternate: bool = False,
    out_s: float = 1.0,
    hold_s: float = 0.3,
    back_s: float = 1.0,
    rest_s: float = 0.8,
    depth: float = 1.0,
    **kw: object,
) -> Script:
    """A simple script: rest, then `n` reps (alternating legs if asked), then rest."""
    segs: list[Segment] = [Segment("rest", dur_s=1.0)]
    for i in range(n):
        s: LegSide = side if not alternate else ("right" if i % 2 == 0 else "left")
        segs.append(Segment("rep", s, depth, out_s, hold_s, back_s))
        segs.append(Segment("rest", dur_s=rest_s))
    segs.append(Segment("rest", dur_s=1.0))
    return Script(exercise, tuple(segs), **kw)  # type: ignore[arg-type]


def with_segments(script: Script, *extra: Segment) -> Script:
    """The same script with extra segments appended."""
    return replace(script, segments=script.segments + tuple(extra))
