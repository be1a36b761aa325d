"""Geometry on one pose (signals.py), named measurements (measures.py), smoothers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from escape_home import measures as ms
from escape_home import signals as sg
from escape_home import synth as sy
from escape_home.landmarks import NUM_LANDMARKS, Landmark, Pose
from escape_home.smoothing import (
    EMASmoother,
    NoSmoother,
    OneEuroSmoother,
    make_smoother,
)

L = Landmark


def pose_from(
    points: dict[Landmark, tuple[float, float]],
    width: int = 1000,
    height: int = 1000,
    vis: float = 0.9,
) -> Pose:
    xy = np.full((NUM_LANDMARKS, 2), np.nan, dtype=np.float32)
    v = np.zeros(NUM_LANDMARKS, dtype=np.float32)
    for lm, p in points.items():
        xy[int(lm)] = p
        v[int(lm)] = vis
    z = np.zeros(NUM_LANDMARKS, dtype=np.float32)
    return Pose(0.0, width, height, xy, z, v, v.copy())


@pytest.mark.parametrize(
    ("a", "b", "c", "expected"),
    [
        ((0, 0), (0, 1), (0, 2), 180.0),
        ((1, 0), (0, 0), (0, 1), 90.0),
        ((1, 0), (0, 0), (1, 1), 45.0),
        ((1, 0), (0, 0), (1, 0), 0.0),
    ],
)
def test_angle_between(
    a: tuple[float, float],
    b: tuple[float, float],
    c: tuple[float, float],
    expected: float,
) -> None:
    assert sg.angle_between(a, b, c) == pytest.approx(expected, abs=1e-6)


def test_knee_angle_uses_aspect_corrected_points() -> None:
    # On a 16:9 frame these normalised points make a right angle at the knee once x
    # is scaled by the aspect ratio; read as square they do not.
    a = 16 / 9
    knee = (0.5, 0.5)
    hip = (0.5 - 0.1, 0.4)  # aspect-corrected offset (-0.1 a, -0.1)
    ankle = (0.5 - 0.1 / a / a, 0.5 + 0.1)  # perpendicular: (-0.1, 0.1 a) / a in x
    pts = {L.LEFT_HIP: hip, L.LEFT_KNEE: knee, L.LEFT_ANKLE: ankle}
    body = sg.Body(pose_from(pts, 1600, 900))
    assert sg.knee_angle(body, "left") == pytest.approx(90.0, abs=0.01)
    square = sg.Body(pose_from(pts, 1000, 1000))
    assert sg.knee_angle(square, "left") != pytest.approx(90.0, abs=1)


def test_missing_or_hidden_landmarks_give_none_not_numbers() -> None:
    pts = {L.LEFT_HIP: (0.4, 0.4), L.LEFT_KNEE: (0.4, 0.6), L.LEFT_ANKLE: (0.4, 0.8)}
    assert sg.knee_angle(sg.Body(pose_from(pts)), "left") == pytest.approx(180.0)
    assert sg.knee_angle(sg.Body(pose_from(pts)), "right") is None
    assert sg.knee_angle(sg.Body(pose_from(pts, vis=0.3)), "left") is None
    assert sg.trunk_flexion(sg.Body(pose_from(pts))) is None


def test_trunk_flexion_from_vertical() -> None:
    pts = {
        L.LEFT_SHOULDER: (
            0.5 + 0.2 * math.sin(math.radians(30)),
            0.5 - 0.2 * math.cos(math.radians(30)),
        ),
        L.LEFT_HIP: (0.5, 0.5),
    }
    assert sg.trunk_flexion(sg.Body(pose_from(pts))) == pytest.approx(30.0, abs=0.01)


def test_abduction_and_tilts() -> None:
    pts = {
        L.LEFT_HIP: (0.55, 0.5),
        L.RIGHT_HIP: (0.45, 0.5),
        L.LEFT_ANKLE: (0.55 + 0.4 * math.tan(math.radians(20)), 0.9),
        L.LEFT_SHOULDER: (0.6, 0.2),
        L.RIGHT_SHOULDER: (0.4, 0.2 + 0.2 * math.tan(math.radians(10))),
    }
    body = sg.Body(pose_from(pts))
    assert sg.abduction_angle(body, "left") == pytest.approx(20.0, abs=0.01)
    assert sg.shoulder_tilt(body) == pytest.approx(10.0, abs=0.01)
    assert sg.pelvis_tilt(body) == pytest.approx(0.0, abs=0.01)


def test_valgus_sign() -> None:
    # Front view, person's left leg on the image right; knee drawn towards the midline.
    base = {L.LEFT_HIP: (0.6, 0.4), L.RIGHT_HIP: (0.4, 0.4), L.LEFT_ANKLE: (0.6, 0.8)}
    inward = sg.Body(pose_from({**base, L.LEFT_KNEE: (0.55, 0.6)}))
    outward = sg.Body(pose_from({**base, L.LEFT_KNEE: (0.65, 0.6)}))
    assert sg.fppa(inward, "left") > 10
    assert sg.fppa(outward, "left") < -10


@pytest.mark.parametrize(
    ("yaw", "view"), [(0, "front"), (90, "side"), (-90, "side"), (45, "oblique")]
)
def test_view_classification_on_the_synthetic_body(yaw: float, view: str) -> None:
    poses = sy.generate(sy.reps_script("squat", 1, yaw=yaw))
    ctx = ms.Context()
    for p in poses[:40]:
        ctx.update(sg.Body(p), p.timestamp_s)
    assert ctx.view == view


@pytest.mark.parametrize("size", [0.5, 1.0, 1.5])
@pytest.mark.parametrize(("w", "h"), [(1280, 720), (720, 1280), (640, 480)])
def test_normalised_measures_do_not_depend_on_body_or_frame_size(
    size: float, w: int, h: int
) -> None:
    script = sy.reps_script("squat", 1, yaw=90, size=size, width=w, height=h)
    poses = sy.generate(script)
    ctx = ms.Context()
    values = []
    for p in poses:
        body = sg.Body(p)
        ctx.update(body, p.timestamp_s)
        values.append(ms.knee_bend(body, ctx))
    assert min(v for v in values if v is not None) == pytest.approx(90.0, abs=2.0)
    hh = ms.hip_height(sg.Body(poses[0]), ctx)
    # Standing: hip above ankle by thigh + shank, in shank lengths.
    assert hh is not None and hh[0] == pytest.approx((0.45 + 0.43) / 0.43, abs=0.05)


def test_knee_bend_sees_a_front_view_squat_through_hip_height() -> None:
    # Front-on, the knee angle in the image stays near straight; hip height drops.
    poses = sy.generate(sy.reps_script("squat", 1, yaw=0))
    ctx = ms.Context()
    bends, raw = [], []
    for p in poses:
        body = sg.Body(p)
        ctx.update(body, p.timestamp_s)
        bends.append(ms.knee_bend(body, ctx))
        raw.append(sg.knee_angle(body, "left"))
    assert min(r for r in raw if r is not None) > 150
    assert min(b for b in bends if b is not None) < 130  # deep enough to count


def test_ema_smoother_passes_none_and_restarts_after_a_gap() -> None:
    s = EMASmoother(tau_s=0.1)
    assert s.update(None, 0.0) is None
    assert s.update(10.0, 0.0) == 10.0
    v = s.update(20.0, 0.033)
    assert v is not None and 10.0 < v < 20.0
    assert s.update(None, 0.066) is None
    assert s.update(50.0, 2.0) == 50.0  # long gap: no blending with stale state


def test_median_removes_a_one_frame_spike() -> None:
    s = EMASmoother(tau_s=0.0)
    out = [s.update(v, i / 30) for i, v in enumerate([10, 10, 90, 10, 10])]
    assert max(o for o in out if o is not None) == 10


def test_one_euro_follows_a_ramp_and_smooths_noise() -> None:
    rng = np.random.default_rng(0)
    f = OneEuroSmoother(min_cutoff=1.0, beta=0.05)
    still = [f.update(100 + rng.normal(0, 2), i / 30) for i in range(60)]
    assert np.std([s for s in still[10:] if s is not None]) < 1.5
    ramp = [f.update(100 + 5 * i, 2 + i / 30) for i in range(30)]
    assert ramp[-1] is not None and ramp[-1] > 220


def test_make_smoother() -> None:
    assert isinstance(make_smoother("none"), NoSmoother)
    assert isinstance(make_smoother("ema", tau_s=0.1), EMASmoother)
    assert isinstance(make_smoother("one_euro", beta=0.1), OneEuroSmoother)
    with pytest.raises(ValueError):
        make_smoother("kalman")
