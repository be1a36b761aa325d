"""Show, don't describe: an animated demonstration of each exercise.

The demonstration is the engine's own kinematic body model (`escape_home.synth`: the
synthetic skeleton the tests count) doing one rep (marching: a step with each leg;
balance: one hold) at the demonstration tempo below, filmed from the camera view
the catalogue asks for (data/exercises.toml ``view``: side or front). `track`
computes it once per exercise; the instruction card's script (web/static/js/demo.js)
draws it as a stick figure, looping.

The tempo is an engineering choice inside the ranges the counter accepts (each
rep between its ``min_rep_s`` and ``max_rep_s``) and slower than the doc's floor
(escape-pain.md 4.3: up at least 0.5 s, down at least 0.7 s): about two seconds
each way, with a pause at the far point, lowering slower than lifting.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from escape_home import synth as sy
from escape_home.exercises import exercise_ids, get_exercise
from escape_home.landmarks import Landmark

#: Demonstration tempo per exercise: (seconds out, seconds held, seconds back).
TEMPO: dict[str, tuple[float, float, float]] = {
    "sit_to_stand": (1.6, 0.6, 2.4),
    "knee_extension": (1.5, 2.0, 2.0),
    "leg_press": (1.5, 1.0, 2.0),
    "squat": (1.8, 0.6, 2.2),
    "step_up": (1.6, 0.4, 1.8),
    "hip_abduction": (1.5, 0.6, 2.0),
    "heel_raise": (1.2, 1.0, 1.8),
    "hamstring_curl": (1.5, 0.6, 2.0),
    "lunge": (1.8, 0.6, 2.2),
    "marching": (0.5, 0.2, 0.5),
    "balance": (0.8, 4.0, 0.8),
}
DEFAULT_TEMPO = (1.8, 0.6, 2.2)
#: Frames per second of the demonstration (enough for smooth movement, small JSON).
FPS = 20.0
#: Camera yaw of each view (synth: 0 = in front, 90 = on the person's left).
YAW = {"side": 90.0, "front": 0.0, "oblique": 45.0}
#: Rest at home before and after the rep (so the loop shows the start position).
REST_S = 0.8

#: Landmarks drawn (the body, not the face and fingers) and the lines between them.
POINTS = (
    "NOSE",
    "LEFT_SHOULDER",
    "RIGHT_SHOULDER",
    "LEFT_ELBOW",
    "RIGHT_ELBOW",
    "LEFT_WRIST",
    "RIGHT_WRIST",
    "LEFT_HIP",
    "RIGHT_HIP",
    "LEFT_KNEE",
    "RIGHT_KNEE",
    "LEFT_ANKLE",
    "RIGHT_ANKLE",
    "LEFT_HEEL",
    "RIGHT_HEEL",
    "LEFT_FOOT_INDEX",
    "RIGHT_FOOT_INDEX",
)
BONES = (
    ("LEFT_SHOULDER", "RIGHT_SHOULDER"),
    ("LEFT_HIP", "RIGHT_HIP"),
    ("LEFT_SHOULDER", "LEFT_HIP"),
    ("RIGHT_SHOULDER", "RIGHT_HIP"),
    ("LEFT_SHOULDER", "LEFT_ELBOW"),
    ("LEFT_ELBOW", "LEFT_WRIST"),
    ("RIGHT_SHOULDER", "RIGHT_ELBOW"),
    ("RIGHT_ELBOW", "RIGHT_WRIST"),
    ("LEFT_HIP", "LEFT_KNEE"),
    ("LEFT_KNEE", "LEFT_ANKLE"),
    ("LEFT_ANKLE", "LEFT_HEEL"),
    ("LEFT_HEEL", "LEFT_FOOT_INDEX"),
    ("LEFT_ANKLE", "LEFT_FOOT_INDEX"),
    ("RIGHT_HIP", "RIGHT_KNEE"),
    ("RIGHT_KNEE", "RIGHT_ANKLE"),
    ("RIGHT_ANKLE", "RIGHT_HEEL"),
    ("RIGHT_HEEL", "RIGHT_FOOT_INDEX"),
    ("RIGHT_ANKLE", "RIGHT_FOOT_INDEX"),
)
#: The step-up's step: its height (synth: 0.2 m) and how far ahead of the feet the
#: person stands at the start (metres; the step is 0.3 m deep).
STEP_H, STEP_AHEAD = 0.2, 0.36
#: Seated exercises get a chair under the hips; the step-up a step.
SEATED = ("sit_to_stand", "knee_extension", "leg_press")


def _ease(u: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * min(max(u, 0.0), 1.0))


def script(exercise: str) -> sy.Script:
    """The synthetic script of the demonstration of `exercise`."""
    spec = get_exercise(exercise)
    out_s, hold_s, back_s = TEMPO.get(exercise, DEFAULT_TEMPO)
    # Side-on the working leg is the one nearest the camera (the left, at yaw 90).
    kind = "hold" if spec.mode == "hold" else "rep"
    segs: list[sy.Segment] = [sy.Segment("rest", dur_s=REST_S)]
    sides: tuple[sy.LegSide, ...] = (
        ("left", "right") if exercise == "marching" else ("left",)
    )
    for side in sides:
        segs.append(sy.Segment(kind, side, 1.0, out_s, hold_s, back_s))
        segs.append(sy.Segment("rest", dur_s=0.2 if exercise == "marching" else 0.0))
    segs.append(sy.Segment("rest", dur_s=REST_S))
    return sy.Script(
        exercise,
        tuple(s for s in segs if s.kind != "rest" or s.dur_s > 0),
        fps=FPS,
        yaw=YAW.get(spec.view, 90.0),
        seated_home=exercise == "sit_to_stand",
        width=1280,
        height=720,
    )


@cache
def track(exercise: str) -> dict[str, Any]:
    """One demonstration as JSON-ready data (computed once per exercise).

    Returns:
        ``exercise``, ``name``, ``view``, ``fps``, ``seconds``; ``points`` (the
        landmark names, in the order of each frame's coordinates), ``bones`` (pairs
        of indices into ``points``), ``near`` ("left" or "right": the side nearest
        the camera, drawn in front; "" from the front), ``frames`` (per frame a flat
        list x0, y0, x1, y1, ... in pixels of a 1280 x 720 picture), ``far`` (the
        frame at the far point, for a still picture), ``box`` (x, y, width, height
        that holds every frame, with a margin), ``floor`` (y of the floor) and
        ``props`` (a chair seat or a step, as rectangles x, y, width, height).

    Raises:
        UnknownExercise: `exercise` is not in the catalogue.
    """
    spec = get_exercise(exercise)
    scr = script(exercise)
    poses = sy.generate(scr)
    timeline = sy.timeline(scr)
    idx = [int(Landmark[name]) for name in POINTS]
    frames: list[list[float]] = []
    for p in poses:
        frame: list[float] = []
        for i in idx:
            frame += [
                round(float(p.xy[i][0]) * scr.width, 1),
                round(float(p.xy[i][1]) * scr.height, 1),
            ]
        frames.append(frame)
    far = max(range(len(timeline)), key=lambda k: timeline[k][2])
    scale = scr.height * 0.8 / 1.85
    if exercise == "step_up":
        # The body model steps up on the spot; the picture moves it forward onto
        # the step as it rises (a uniform shift: every angle stays the model's).
        forward = -1.0 if scr.yaw > 0 else 1.0  # side-on, forward is to the left
        for f, (_, _, amount, _) in zip(frames, timeline, strict=True):
            shift = forward * STEP_AHEAD * scale * _ease(max(amount, 0.0))
            f[0::2] = [round(v + shift, 1) for v in f[0::2]]
            # Early in the step the model's trailing foot dips below the floor
            # (it grounds the lead foot on the step): lift the figure to the floor.
            below = max(f[1::2]) - scr.height * 0.92
            if below > 0:
                f[1::2] = [round(v - below, 1) for v in f[1::2]]
    xs = [v for f in frames for v in f[0::2]]
    ys = [v for f in frames for v in f[1::2]]
    floor = round(scr.height * 0.92, 1)
    props: list[dict[str, Any]] = []
    pos = {name: k for k, name in enumerate(POINTS)}
    if exercise in SEATED:
        # A seat under the hips where they are at the start (seated), reaching
        # from behind the hips to just short of the knees.
        first = frames[0]
        xs0 = [first[2 * pos[n]] for n in ("LEFT_HIP", "RIGHT_HIP")]
        knees = [first[2 * pos[n]] for n in ("LEFT_KNEE", "RIGHT_KNEE")]
        hip_y = max(first[2 * pos[n] + 1] for n in ("LEFT_HIP", "RIGHT_HIP"))
        lo, hi = min(xs0 + knees), max(xs0 + knees)
        pad = 0.08 * scale
        seat_y = hip_y + 0.08 * scale
        props.append(
            {
                "kind": "chair",
                "x": round(lo - pad, 1),
                "y": round(seat_y, 1),
                "width": round(hi - lo + 2 * pad, 1),
                "height": round(floor - seat_y, 1),
            }
        )
    elif exercise == "step_up":
        # Under the feet at the far point (standing on the step), 0.3 m deep.
        top = floor - STEP_H * scale
        feet = [frames[far][2 * pos[n]] for n in ("LEFT_FOOT_INDEX", "LEFT_HEEL")]
        mid = (min(feet) + max(feet)) / 2
        props.append(
            {
                "kind": "step",
                "x": round(mid - 0.15 * scale, 1),
                "y": round(top, 1),
                "width": round(0.3 * scale, 1),
                "height": round(STEP_H * scale, 1),
            }
        )
    for pr in props:
        xs += [pr["x"], pr["x"] + pr["width"]]
        ys += [pr["y"]]
    margin = 0.12 * scale
    x0, x1 = min(xs) - margin, max(xs) + margin
    y0, y1 = min(ys) - 1.6 * margin, max(max(ys), floor) + margin
    side_view = spec.view == "side"
    return {
        "exercise": exercise,
        "name": spec.name,
        "view": spec.view,
        "fps": scr.fps,
        "seconds": round(len(frames) / scr.fps, 2),
        "points": list(POINTS),
        "bones": [[pos[a], pos[b]] for a, b in BONES],
        "near": "left" if side_view else "",
        "frames": frames,
        "far": far,
        "box": [round(x0, 1), round(y0, 1), round(x1 - x0, 1), round(y1 - y0, 1)],
        "floor": floor,
        "props": props,
    }


def all_tracks() -> dict[str, dict[str, Any]]:
    """Every exercise of the catalogue's demonstration."""
    return {ex: track(ex) for ex in exercise_ids()}
