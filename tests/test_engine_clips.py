"""The engine on real clips from ../shared/data/clips (skipped when absent).

Landmark tracks are replayed through the engine. A few short videos go through the
real pose model (the repo never holds landmark tracks of the clips, which may not be
redistributed), so these tests cost tens of seconds, not minutes.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from escape_home.engine import analyse_poses
from escape_home.landmarks import Pose

CLIPS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "clips"
MODEL = Path(__file__).resolve().parents[1] / "models" / "pose_landmarker_full.task"

needs_clips = pytest.mark.skipif(
    not (CLIPS / "labels.json").is_file(), reason="shared clips not present"
)


def labels() -> list[dict[str, Any]]:
    if not (CLIPS / "labels.json").is_file():
        return []
    return list(json.loads((CLIPS / "labels.json").read_text(encoding="utf-8")))


def _entry(name: str) -> dict[str, Any]:
    return next(e for e in labels() if e["file"] == name)


#: Labelled items whose data holds fewer complete movements than the label: the
#: shortfall is in the file, not the engine (checked by hand, see docs/benchmarks.md).
SHORT_DATA = {
    # Ten episodes are labelled; the track holds nine lunges and ends (26.4 s) as
    # the tenth begins (knee still at 168 deg on the last frame).
    "lunge__uiprmdinc_s02__1.csv": "the track ends as the tenth lunge begins",
}
TRACKS = [
    pytest.param(
        e["file"],
        marks=pytest.mark.xfail(strict=True, reason=SHORT_DATA[e["file"]]),
    )
    if e["file"] in SHORT_DATA
    else e["file"]
    for e in labels()
    if e.get("kind") == "track"
]


@needs_clips
@pytest.mark.parametrize("name", TRACKS)
def test_tracks_count_exactly(name: str) -> None:
    from escape_home.track import read_track

    entry = _entry(name)
    _, poses = read_track(CLIPS / name)
    summary = analyse_poses(entry["exercise"], poses)
    assert summary["reps"] == entry["reps"], summary["partial_reps"]


@needs_clips
def test_walking_away_after_one_rise_is_not_a_rep() -> None:
    from escape_home.track import read_track

    _, poses = read_track(CLIPS / "sts__sreehari__2.csv")
    summary = analyse_poses("sit_to_stand", poses)
    assert summary["reps"] == 0
    assert summary["warnings"]  # the person leaves the frame


needs_model = pytest.mark.skipif(
    not MODEL.is_file() or not (CLIPS / "labels.json").is_file(),
    reason="pose model not built or shared clips not present",
)


@cache
def video_poses(name: str) -> list[Pose]:
    from escape_home.pose import PoseEstimator
    from escape_home.sources import VideoFileSource

    with VideoFileSource(CLIPS / name) as src, PoseEstimator("full") as est:
        return [est.process(f.image, f.timestamp_s, f.index) for f in src]


@needs_model
@pytest.mark.parametrize(
    "name",
    [
        "squat__yuyoujiang__1.mp4",
        "sit_to_stand__stanford__1.gif",
        "heel_raise__rnhrn__1.mp4",
    ],
)
def test_real_video_rep_counts(name: str) -> None:
    entry = _entry(name)
    summary = analyse_poses(entry["exercise"], video_poses(name))
    assert summary["reps"] == entry["reps"]
    for rep, (start, end) in zip(
        summary["reps_detail"], entry["rep_times_s"], strict=True
    ):
        # Each counted rep overlaps its hand-labelled interval.
        assert rep["start_s"] < end and rep["end_s"] > start


@needs_model
def test_real_video_balance_hold() -> None:
    entry = _entry("single_leg_balance__suraj__1.mp4")
    summary = analyse_poses("balance", video_poses(entry["file"]))
    ((start, end),) = entry["hold_times_s"]
    (hold,) = summary["holds"]
    assert hold["start_s"] == pytest.approx(start, abs=0.5)
    assert hold["end_s"] == pytest.approx(end, abs=0.6)
    assert hold["side"] == "right"  # she stands on her right leg


@needs_model
def test_analyse_reports_squat_reps_with_metrics() -> None:
    from escape_home.analyse import run_analysis

    result = run_analysis(CLIPS / "squat__yuyoujiang__1.mp4", "squat", model="full")
    assert result["reps"] == 3
    rep = result["reps_detail"][0]
    assert rep["metrics"]["trough_angle"] < 90 < rep["metrics"]["peak_angle"]
    json.dumps(result)


@needs_model
def test_chair_stand_test_from_a_real_video() -> None:
    from escape_home.standard_tests import run_test

    result = run_test(
        "chair_stand_30s", video_poses("sit_to_stand__stanford__1.gif"), age=67, sex="f"
    )
    assert result["score"] == 1  # one stand in the clip
    assert result["norm"]["low"] == 11
    assert result["rating"] == "below the normal range"


def test_bench_metrics_and_table() -> None:
    from escape_home.bench_accuracy import evaluate, table

    rows = [
        {"file": "a.mp4", "exercise": "squat", "true": 4, "counted": 4, "posed": "9/9"},
        {"file": "b.mp4", "exercise": "squat", "true": 4, "counted": 2, "posed": "5/9"},
        {
            "file": "c.csv",
            "exercise": "sit_to_stand",
            "true": 0,
            "counted": 1,
            "posed": "track",
        },
    ]
    stats = evaluate(rows)
    assert stats["squat"] == {"n": 2, "exact": 0.5, "obo": 0.5, "mae": 0.25}
    assert stats["sit_to_stand"]["mae"] == 1.0  # absolute error when the truth is 0
    assert stats["overall"]["exact"] == pytest.approx(1 / 3)
    text = table(rows, stats)
    assert "| b.mp4 | squat | 4 | 2 | -2 | 5/9 |" in text
    assert "**not met**" in text
