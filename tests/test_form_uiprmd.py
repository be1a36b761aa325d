"""Form checks measured on real motion: the UI-PRMD correct and poor-form tracks.

The shared clips (../shared/data/clips, skipped when absent) hold the same people doing
a squat, a lunge and a sit-to-stand as instructed and deliberately badly. Per exercise,
the catalogue's rules must flag at least half of the poor-form reps and at most 5 % of
the correct ones (docs/benchmarks.md, "Form checks"). The new per-frame quantities get
small synthetic checks of their own.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from escape_home import bench_form
from escape_home import measures as ms
from escape_home.form import (
    knee_past_toes,
    square_on,
    trunk_ahead_of_shins,
    trunk_side_lean,
)
from escape_home.landmarks import NUM_LANDMARKS, Landmark, Pose
from escape_home.signals import Body

CLIPS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "clips"

needs_clips = pytest.mark.skipif(
    not (CLIPS / "labels.json").is_file(), reason="shared clips not present"
)


@cache
def _results() -> list[bench_form.TrackResult]:
    return bench_form.measure(CLIPS)


@needs_clips
@pytest.mark.parametrize("exercise", bench_form.EXERCISES)
def test_rules_flag_poor_form_and_spare_correct_form(exercise: str) -> None:
    any_rule = bench_form.shares(_results(), exercise)["any"]
    bad, good = any_rule["incorrect"], any_rule["correct"]
    assert bad.n >= 15 and good.n >= 15  # both performances were counted
    assert bad.rate >= 0.5, f"poor form flagged {bad}"
    assert good.rate <= 0.05, f"correct form flagged {good}"


@needs_clips
def test_table_reports_every_exercise_and_the_held_out_subjects() -> None:
    text = bench_form.table(_results())
    for exercise in bench_form.EXERCISES:
        assert f"**{exercise}**" in text
    assert text.count("**any rule**") == 3
    assert "| s01 |" in text and "Leave one subject out" in text


# ---------------------------------------------------------------- synthetic poses
L = Landmark


def _body(points: dict[Landmark, tuple[float, float]]) -> Body:
    """A pose on a square 1000x1000 image with only the given landmarks visible."""
    xy = np.full((NUM_LANDMARKS, 2), np.nan, dtype=np.float32)
    vis = np.zeros(NUM_LANDMARKS, dtype=np.float32)
    for lm, p in points.items():
        xy[int(lm)] = p
        vis[int(lm)] = 1.0
    z = np.zeros(NUM_LANDMARKS, dtype=np.float32)
    return Body(Pose(0.0, 1000, 1000, xy, z, vis, vis.copy(), None, 0))


def _ctx(body: Body) -> ms.Context:
    ctx = ms.Context()
    ctx.update(body, 0.0)
    return ctx


def _side_squat(trunk_dx: float, knee_dx: float) -> Body:
    """Side view facing +x: hips at (0.5, 0.5), shoulders up and `trunk_dx` forward,
    knees `knee_dx` forward of the ankles (0.5, 0.9); shank about 0.2."""
    pts = {}
    for hip, sh, kn, an, he, to in (
        (
            L.LEFT_HIP,
            L.LEFT_SHOULDER,
            L.LEFT_KNEE,
            L.LEFT_ANKLE,
            L.LEFT_HEEL,
            L.LEFT_FOOT_INDEX,
        ),
        (
            L.RIGHT_HIP,
            L.RIGHT_SHOULDER,
            L.RIGHT_KNEE,
            L.RIGHT_ANKLE,
            L.RIGHT_HEEL,
            L.RIGHT_FOOT_INDEX,
        ),
    ):
        pts[hip] = (0.45, 0.6)
        pts[sh] = (0.45 + trunk_dx, 0.3)
        pts[kn] = (0.5 + knee_dx, 0.7)
        pts[an] = (0.5, 0.9)
        pts[he] = (0.48, 0.92)
        pts[to] = (0.58, 0.92)
    return _body(pts)


def test_trunk_ahead_of_shins_is_trunk_lean_minus_shin_tilt() -> None:
    # Trunk 0.3 high, 0.3 forward: 45 deg; shin 0.2 high, 0.2 forward: 45 deg.
    parallel = _side_squat(0.3, 0.2)
    v = trunk_ahead_of_shins(parallel, _ctx(parallel))
    assert v is not None and abs(v) < 0.5
    # Same trunk over a vertical shin: the whole 45 deg is "ahead of the shins".
    bent_over = _side_squat(0.3, 0.0)
    v = trunk_ahead_of_shins(bent_over, _ctx(bent_over))
    assert v is not None and abs(v - 45.0) < 0.5


def _lunge(front_knee_x: float) -> Body:
    """Side view facing +x: front (left) foot at x 0.6-0.7, back (right) foot behind."""
    return _body(
        {
            L.LEFT_HIP: (0.5, 0.5),
            L.LEFT_KNEE: (front_knee_x, 0.7),
            L.LEFT_ANKLE: (0.62, 0.9),
            L.LEFT_HEEL: (0.6, 0.92),
            L.LEFT_FOOT_INDEX: (0.7, 0.92),
            L.RIGHT_HIP: (0.5, 0.5),
            L.RIGHT_KNEE: (0.4, 0.85),
            L.RIGHT_ANKLE: (0.3, 0.88),
            L.RIGHT_HEEL: (0.28, 0.86),
            L.RIGHT_FOOT_INDEX: (0.36, 0.92),
        }
    )


def test_knee_past_toes_measures_the_front_leg() -> None:
    over_ankle = _lunge(0.62)
    past = _lunge(0.76)
    a = knee_past_toes(over_ankle, _ctx(over_ankle))
    b = knee_past_toes(past, _ctx(past))
    assert a is not None and b is not None
    # Knee 0.08 behind the toes, then 0.06 past them, in shank lengths (the longer
    # shank seen: the front one, bent forward, sqrt(0.14^2 + 0.2^2)).
    assert a < 0 < b
    assert abs(b - 0.06 / np.hypot(0.14, 0.2)) < 0.01


def _front(lean_dx: float, toe_dx: float) -> Body:
    """Front view: trunk leaning `lean_dx` sideways; toes `toe_dx` sideways of heels."""
    pts = {
        L.LEFT_SHOULDER: (0.6 + lean_dx, 0.3),
        L.RIGHT_SHOULDER: (0.4 + lean_dx, 0.3),
        L.LEFT_HIP: (0.56, 0.6),
        L.RIGHT_HIP: (0.44, 0.6),
        L.LEFT_KNEE: (0.56, 0.75),
        L.RIGHT_KNEE: (0.44, 0.75),
        L.LEFT_ANKLE: (0.56, 0.95),
        L.RIGHT_ANKLE: (0.44, 0.95),
        L.LEFT_HEEL: (0.56, 0.96),
        L.RIGHT_HEEL: (0.44, 0.96),
        L.LEFT_FOOT_INDEX: (0.56 + toe_dx, 0.98),
        L.RIGHT_FOOT_INDEX: (0.44 + toe_dx, 0.98),
    }
    return _body(pts)


def test_side_lean_is_measured_only_when_facing_the_camera() -> None:
    leaning = _front(0.3 * np.tan(np.radians(12)), 0.0)
    v = trunk_side_lean(leaning, _ctx(leaning))
    assert v is not None and abs(v - 12.0) < 0.5
    # Toes pointing 0.04 sideways (shank 0.2: 0.2 shank, about 25 deg of turn): the
    # person is turned, and a forward lean would look like a sideways one.
    turned = _front(0.3 * np.tan(np.radians(12)), 0.04)
    assert not square_on(turned, _ctx(turned))
    assert trunk_side_lean(turned, _ctx(turned)) is None
    # Toes turned out symmetrically cancel: still square-on.
    splayed = _front(0.0, 0.0)
    pts = {L.LEFT_FOOT_INDEX: (0.6, 0.98), L.RIGHT_FOOT_INDEX: (0.4, 0.98)}
    for lm, p in pts.items():
        splayed.pts[int(lm)] = p
    assert square_on(splayed, _ctx(splayed))
