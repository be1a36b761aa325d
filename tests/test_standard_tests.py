"""Standardised tests: 30 s chair stand and five-times sit-to-stand, with norms."""

from __future__ import annotations

import pytest

from escape_home import synth as sy
from escape_home.errors import EscapeHomeError
from escape_home.landmarks import Pose
from escape_home.standard_tests import (
    TESTS,
    norm_band,
    run_test,
    score_chair_stand_30s,
    score_five_times_sts,
)


def seated_reps(
    n: int,
    up_s: float = 0.8,
    down_s: float = 0.9,
    rest_s: float = 0.4,
    yaw: float = 90,
    **kw: object,
) -> list[Pose]:
    """Start seated for 1 s, then `n` stand-sit cycles (a rise takes `up_s`)."""
    script = sy.reps_script(
        "sit_to_stand",
        n,
        out_s=up_s,
        hold_s=0.3,
        back_s=down_s,
        rest_s=rest_s,
        seated_home=True,
        yaw=yaw,
        noise=0.002,
        **kw,
    )
    return sy.generate(script)


@pytest.mark.parametrize("yaw", [90, 45, 0])
def test_chair_stand_counts_stands_within_30_s(yaw: float) -> None:
    # One cycle every 2.4 s from t = 1.0: stands reached at 1.8, 4.2, ... 28.2 s.
    result = score_chair_stand_30s(seated_reps(14, yaw=yaw))
    assert result["score"] == 12
    assert result["complete_window"] is True
    assert all(t < result["start_s"] + 30 for t in result["stand_times_s"])
    assert result["hands_used"] is False


def test_a_stand_more_than_half_way_up_at_30_s_counts() -> None:
    poses = seated_reps(14)
    # Start the window so that it ends 0.6 s into a 0.8 s rise (three quarters up).
    rise_start = 1.0 + 2.4 * 12
    start = rise_start + 0.6 - 30.0
    late = score_chair_stand_30s(poses, start_s=start)
    assert late["half_way_stand_counted"] is True
    # Ending 0.15 s into the rise (barely off the seat) does not count it.
    early = score_chair_stand_30s(poses, start_s=rise_start + 0.15 - 30.0)
    assert early["half_way_stand_counted"] is False
    assert late["score"] == early["score"] + 1


def test_hands_on_knees_is_flagged() -> None:
    poses = sy.generate(
        sy.Script(
            "sit_to_stand",
            sy.reps_script("sit_to_stand", 6, seated_home=True).segments,
            faults=sy.Faults(hands_on_knees=True),
        )
    )
    assert score_chair_stand_30s(poses)["hands_used"] is True


def test_five_times_sit_to_stand_time() -> None:
    poses = seated_reps(7, up_s=1.0, down_s=1.0, rest_s=0.5)
    result = score_five_times_sts(poses)
    # Movement starts at 1.0 s; the 5th full stand is reached at 1.0 + 4 * 2.8 + 1.0
    # (cycles of 2.8 s): 12.2 s. Standing is recognised a little before full height.
    assert result["score"] == pytest.approx(12.2, abs=0.5)
    assert result["stands_found"] == 5
    assert "fifth" in result["protocol"]


def test_five_times_without_five_stands_has_no_score() -> None:
    assert score_five_times_sts(seated_reps(3))["score"] is None


@pytest.mark.parametrize(
    ("test", "age", "sex", "expected"),
    [
        ("chair_stand_30s", 62, "female", (12, 17)),
        ("chair_stand_30s", 62, "male", (14, 19)),
        ("chair_stand_30s", 77, "F", (10, 15)),
        ("chair_stand_30s", 88, "m", (8, 14)),
        ("chair_stand_30s", 94, "female", (4, 11)),
        ("chair_stand_30s", 55, "female", None),
        ("chair_stand_30s", 70, None, None),
        ("five_times_sts", 65, None, 11.4),
        ("five_times_sts", 79, "male", 12.6),
        ("five_times_sts", 85, "female", 14.8),
        ("five_times_sts", 50, "female", None),
    ],
)
def test_norm_bands(test: str, age: int, sex: str | None, expected: object) -> None:
    band = norm_band(test, age, sex)
    if expected is None:
        assert band is None
    elif isinstance(expected, tuple):
        assert band is not None and (band["low"], band["high"]) == expected
    else:
        assert band is not None and band["cutoff_s"] == expected


def test_run_test_adds_the_norm_and_rating() -> None:
    r = run_test("chair_stand_30s", seated_reps(14), age=72, sex="female")
    assert r["score"] == 12 and r["norm"]["age_group"] == "70-74"
    assert r["rating"] == "within the normal range"
    r = run_test("five_times_sts", seated_reps(7), age=72, sex="female")
    assert r["rating"] == "average or better" and r["score"] < 12.6
    young = run_test("chair_stand_30s", seated_reps(3), age=50, sex="male")
    assert young["norm"] is None and "norm_note" in young


def test_errors_are_plain_sentences() -> None:
    assert set(TESTS) == {"chair_stand_30s", "five_times_sts"}
    with pytest.raises(EscapeHomeError, match="Unknown test"):
        run_test("timed_up_and_go", [])
    with pytest.raises(EscapeHomeError, match="Unknown sex"):
        norm_band("chair_stand_30s", 70, "x")
