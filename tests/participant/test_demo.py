"""Show, don't describe (issue 10, go beyond): every exercise in the catalogue gets
an animated demonstration from the synthetic body model, from the camera view the
catalogue asks for, whose moving joint really moves as the exercise does, at a tempo
the engine itself counts."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from flask.testing import FlaskClient

from escape_home import synth as sy
from escape_home.engine import analyse_poses
from escape_home.exercises import exercise_ids, get_exercise
from escape_home.participant import demo

#: The joint that moves in each exercise, measured on the drawn track (pixels):
#: (measure, smallest range, largest range). Knee angles in degrees (side view);
#: the rest as stated.
KNEE = "knee angle (degrees)"
MOVES = {
    "sit_to_stand": (KNEE, 80, 100),
    "knee_extension": (KNEE, 75, 95),
    "squat": (KNEE, 80, 100),
    "step_up": (KNEE, 80, 100),
    "hamstring_curl": (KNEE, 85, 105),
    "leg_press": (KNEE, 75, 95),
    "lunge": (KNEE, 80, 100),
    "hip_abduction": ("thigh out from vertical (degrees)", 25, 35),
    "heel_raise": ("heel rise (share of the shank)", 0.08, 0.5),
    "marching": ("knee rise (share of the thigh)", 0.5, 1.2),
    "balance": ("foot rise (share of the shank)", 0.3, 1.5),
}


def _pt(frame: list[float], name: str) -> tuple[float, float]:
    i = demo.POINTS.index(name)
    return frame[2 * i], frame[2 * i + 1]


def _angle(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]
) -> float:
    v1 = (a[0] - b[0], a[1] - b[1])
    v2 = (c[0] - b[0], c[1] - b[1])
    cos = (v1[0] * v2[0] + v1[1] * v2[1]) / (math.hypot(*v1) * math.hypot(*v2))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _measure(exercise: str, frames: list[list[float]]) -> float:
    """The range of the exercise's moving joint over the demonstration."""
    kind = MOVES[exercise][0]
    first = frames[0]
    shank = math.dist(_pt(first, "LEFT_KNEE"), _pt(first, "LEFT_ANKLE"))
    thigh = math.dist(_pt(first, "LEFT_HIP"), _pt(first, "LEFT_KNEE"))
    values: list[float] = []
    for f in frames:
        hip, knee, ankle = (
            _pt(f, "LEFT_HIP"),
            _pt(f, "LEFT_KNEE"),
            _pt(f, "LEFT_ANKLE"),
        )
        if kind == KNEE:
            values.append(_angle(hip, knee, ankle))
        elif kind.startswith("thigh"):
            values.append(
                math.degrees(math.atan2(abs(knee[0] - hip[0]), knee[1] - hip[1]))
            )
        elif kind.startswith("heel"):
            values.append(-_pt(f, "LEFT_HEEL")[1] / shank)
        elif kind.startswith("knee rise"):
            # Either knee: marching lifts the left, then the right.
            values.append(-min(knee[1], _pt(f, "RIGHT_KNEE")[1]) / thigh)
        else:
            values.append(-ankle[1] / shank)
    return max(values) - min(values)


def test_every_catalogue_exercise_has_a_movement_to_check() -> None:
    assert set(MOVES) == set(exercise_ids())


@pytest.mark.parametrize("exercise", exercise_ids())
def test_the_demonstration_moves_the_right_joint_from_the_right_view(
    client: FlaskClient, exercise: str
) -> None:
    r = client.get(f"/api/demo/{exercise}")
    assert r.status_code == 200
    track = r.get_json()
    spec = get_exercise(exercise)
    assert track["view"] == spec.view
    # The camera the catalogue wants: side-on (yaw 90) or in front (yaw 0).
    assert demo.script(exercise).yaw == demo.YAW[spec.view]
    frames = track["frames"]
    assert len(frames) >= 40 and all(len(f) == 2 * len(track["points"]) for f in frames)
    assert len({tuple(f) for f in frames}) > 12  # really animated, not two drawings
    name, low, high = MOVES[exercise]
    moved = _measure(exercise, frames)
    assert low <= moved <= high, f"{exercise}: {name} moved {moved:.2f}"
    x, y, w, h = track["box"]
    for f in frames:  # every frame fits the drawing's box
        assert all(x <= v <= x + w for v in f[0::2])
        assert all(y <= v <= y + h for v in f[1::2])


@pytest.mark.parametrize("exercise", exercise_ids())
def test_the_engine_counts_the_demonstration_at_its_tempo(exercise: str) -> None:
    """Looped three times, the demonstration is three good reps (or holds) to the
    app's own counter: the tempo shown is one the app accepts."""
    one = demo.script(exercise)
    looped = replace(one, segments=one.segments * 3)
    summary = analyse_poses(exercise, sy.generate(looped))
    per_loop = sum(1 for s in one.segments if s.kind in ("rep", "hold"))
    if get_exercise(exercise).mode == "hold":
        assert len(summary["holds"]) == 3 * per_loop
    else:
        assert summary["reps"] == 3 * per_loop
        assert summary["partial_reps"] == []


def test_an_unknown_exercise_is_a_plain_404(client: FlaskClient) -> None:
    r = client.get("/api/demo/cartwheel")
    assert r.status_code == 404
    assert "cartwheel" in r.get_json()["error"]
