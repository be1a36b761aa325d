"""The accuracy harness's own parts: the baseline peak detector and derived cases."""

from __future__ import annotations

import numpy as np

from escape_home import synth as sy
from escape_home.bench_accuracy import (
    Item,
    count_peaks,
    crop,
    derived_cases,
    jittered,
    mirrored,
    shifted,
    wrong_table,
)
from escape_home.engine import analyse_poses


def test_peak_detector_counts_prominent_peaks_only() -> None:
    t = np.arange(0, 10, 1 / 30)
    y = np.sin(2 * np.pi * 0.5 * t) + 0.05 * np.sin(2 * np.pi * 7 * t)
    assert count_peaks(t, y) == 5  # five slow peaks; the fast ripple is not one
    assert count_peaks(t, np.zeros_like(t)) == 0


def _squats(n: int = 4) -> list:  # type: ignore[type-arg]
    return sy.generate(sy.reps_script("squat", n, yaw=90, noise=0.002, seed=4))


def test_time_and_crop_helpers() -> None:
    poses = _squats()
    fast = shifted(poses, 0.0, 1 / 1.5)
    assert (
        fast[-1].timestamp_s == np.float64(poses[-1].timestamp_s / 1.5)
        or abs(fast[-1].timestamp_s - poses[-1].timestamp_s / 1.5) < 1e-6
    )
    part = crop(poses, 2.0, 4.0)
    assert part[0].timestamp_s == 0.0
    assert all(p.timestamp_s < 2.0 for p in part)


def test_mirroring_swaps_sides_and_keeps_the_count() -> None:
    poses = _squats()
    m = mirrored(poses)
    # Left hip (23) of the mirror is the right hip (24) of the original, flipped.
    assert abs(m[10].xy[23, 0] - (1 - poses[10].xy[24, 0])) < 1e-6
    assert analyse_poses("squat", m)["reps"] == 4
    assert analyse_poses("squat", jittered(poses, 1))["reps"] == 4


def test_derived_cases_expect_counts_from_the_labels() -> None:
    poses = _squats(4)
    reps = analyse_poses("squat", poses)["reps_detail"]
    item = Item(
        file="synthetic",
        exercise="squat",
        kind="track",
        true=4,
        poses=poses,
        rep_times=[(r["start_s"], r["end_s"]) for r in reps],
        posed="track",
    )
    cases = {name: expected for name, _, expected in derived_cases(item)}
    assert cases["joined to itself"] == 8
    assert cases["ends mid-rep"] == 3 and cases["starts at rep 2"] == 3
    for name, make, expected in derived_cases(item):
        assert analyse_poses("squat", make())["reps"] == expected, name


def test_wrong_table_reports_false_reps_and_warnings() -> None:
    rows = [
        {
            "file": "a",
            "as": "knee_extension",
            "true": 5,
            "counted": 0,
            "refused": True,
            "warned": True,
        },
        {
            "file": "b",
            "as": "marching",
            "true": 5,
            "counted": 2,
            "refused": False,
            "warned": False,
        },
    ]
    text = wrong_table(rows)
    assert "- b as marching: 2" in text
    assert "**not met**" in text
