"""The overlay: it draws where the body is, and nothing when nobody is there."""

from __future__ import annotations

import numpy as np
import pytest

from escape_home.annotate import Annotator
from escape_home.events import Cue, FrameUpdate
from escape_home.landmarks import NUM_LANDMARKS, Pose
from escape_home.landmarks import Landmark as L

W, H = 640, 480


def _pose(hidden: tuple[L, ...] = ()) -> Pose:
    """A standing stick figure in the right half of a 640x480 frame."""
    xy = np.full((NUM_LANDMARKS, 2), 0.7, dtype=np.float32)
    spots = {
        L.NOSE: (0.7, 0.15), L.LEFT_EYE: (0.71, 0.13), L.RIGHT_EYE: (0.69, 0.13),
        L.LEFT_SHOULDER: (0.75, 0.25), L.RIGHT_SHOULDER: (0.65, 0.25),
        L.LEFT_ELBOW: (0.78, 0.38), L.RIGHT_ELBOW: (0.62, 0.38),
        L.LEFT_WRIST: (0.79, 0.5), L.RIGHT_WRIST: (0.61, 0.5),
        L.LEFT_HIP: (0.73, 0.5), L.RIGHT_HIP: (0.67, 0.5),
        L.LEFT_KNEE: (0.74, 0.7), L.RIGHT_KNEE: (0.66, 0.7),
        L.LEFT_ANKLE: (0.74, 0.88), L.RIGHT_ANKLE: (0.66, 0.88),
        L.LEFT_HEEL: (0.73, 0.9), L.RIGHT_HEEL: (0.65, 0.9),
        L.LEFT_FOOT_INDEX: (0.77, 0.91), L.RIGHT_FOOT_INDEX: (0.69, 0.91),
    }  # fmt: skip
    for lm, p in spots.items():
        xy[lm] = p
    vis = np.ones(NUM_LANDMARKS, dtype=np.float32)
    for lm in hidden:
        vis[lm] = 0.1
    return Pose(
        timestamp_s=1.0, width=W, height=H, xy=xy,
        z=np.zeros(NUM_LANDMARKS, dtype=np.float32), visibility=vis,
        presence=np.ones(NUM_LANDMARKS, dtype=np.float32),
    )  # fmt: skip


def _mid(pose: Pose, a: L, b: L) -> tuple[int, int]:
    """Pixel (row, col) halfway along the edge a-b."""
    x, y = (pose.xy[a] + pose.xy[b]) / 2
    return round(y * H), round(x * W)


def _update(**kwargs: object) -> FrameUpdate:
    base: dict[str, object] = dict(
        timestamp_s=1.0,
        reps=7,
        reps_by_side={"left": 3, "right": 4},
        phase="up",
        signal=92.4,
    )
    base.update(kwargs)
    return FrameUpdate(**base)  # type: ignore[arg-type]


def test_skeleton_is_drawn_along_visible_edges_only() -> None:
    image = np.zeros((H, W, 3), dtype=np.uint8)
    pose = _pose(hidden=(L.RIGHT_KNEE,))
    out = Annotator().annotate(image, pose)
    assert out is image  # drawn in place
    assert image[_mid(pose, L.LEFT_HIP, L.LEFT_KNEE)].any()
    assert image[_mid(pose, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)].any()
    # The hidden right knee takes both of its edges with it.
    assert not image[_mid(pose, L.RIGHT_HIP, L.RIGHT_KNEE)].any()
    assert not image[_mid(pose, L.RIGHT_KNEE, L.RIGHT_ANKLE)].any()
    # Nothing is drawn far from the body when there is no panel to show.
    assert not image[:, : W // 3].any()


def test_left_and_right_limbs_have_their_own_colours() -> None:
    image = np.zeros((H, W, 3), dtype=np.uint8)
    pose = _pose()
    Annotator(left_color=(0, 0, 255), right_color=(255, 0, 0)).annotate(image, pose)
    left = image[_mid(pose, L.LEFT_KNEE, L.LEFT_ANKLE)]
    right = image[_mid(pose, L.RIGHT_KNEE, L.RIGHT_ANKLE)]
    assert left[2] > 200 and left[0] < 50
    assert right[0] > 200 and right[2] < 50


def test_empty_pose_draws_nothing_even_with_an_update() -> None:
    image = np.full((H, W, 3), 90, dtype=np.uint8)
    before = image.copy()
    Annotator().annotate(image, Pose.empty(1.0, W, H), _update(), "squat")
    assert np.array_equal(image, before)


def test_panel_and_cue_band_appear_with_an_update() -> None:
    image = np.full((H, W, 3), 200, dtype=np.uint8)
    update = _update(cue=Cue("knee", "Keep your knee over your toes – slowly"))
    Annotator().annotate(image, _pose(), update, "sit_to_stand")
    panel = image[:60, :80]
    assert (panel < 200).any()  # darkened box with the rep count
    band = image[H - 20 :, : W // 4]
    assert (band < 200).any()  # the cue strip along the bottom


def test_warning_band_uses_the_warning_colour() -> None:
    image = np.full((H, W, 3), 255, dtype=np.uint8)
    update = _update(warning="Step back so your whole body is visible")
    Annotator(warning_color=(0, 0, 255), panel_alpha=1.0).annotate(
        image, _pose(), update
    )
    corner = image[H - 3, 2]
    assert tuple(int(c) for c in corner) == (0, 0, 255)


def test_signal_is_written_with_the_configured_name_and_unit() -> None:
    annotator = Annotator(signal_label="knee", signal_unit="deg")
    assert annotator._signal_text(92.4) == "knee 92 deg"
    assert Annotator()._signal_text(0.347) == "0.35"


def test_bad_style_is_refused() -> None:
    with pytest.raises(ValueError, match="panel_alpha"):
        Annotator(panel_alpha=2.0)
