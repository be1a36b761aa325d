"""Pure rules: programme data, plans, pain guidance, level suggestions, norms,
camera framing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from escape_home.exercises import list_exercises
from escape_home.landmarks import Landmark as L
from escape_home.landmarks import Pose
from escape_home.participant import framing, norms, progression
from escape_home.participant.programme import ProgrammeError, load_programme
from escape_home.participant.views_setup import AGE_BANDS
from escape_home.standard_tests import TESTS, norm_band


def test_packaged_programme_has_12_sessions_and_known_exercises() -> None:
    prog = load_programme()
    known = {spec.id for spec in list_exercises()}
    for n in range(1, 13):
        plan = prog.plan(n, {})
        kinds = [s["kind"] for s in plan]
        assert kinds[0] == "education" and kinds[-1] == "relax"
        assert "move" in kinds and "exercise" in kinds
        for s in plan:
            if s["kind"] == "exercise":
                assert s["exercise"] in known, s["exercise"]
                assert s["target_reps"] or s["target_s"]
    assert [s["test"] for s in prog.plan(1, {}) if s["kind"] == "test"] == [
        "chair_stand_30s",
        "five_times_sts",
    ]
    assert not [s for s in prog.plan(6, {}) if s["kind"] == "test"]


def test_plan_uses_the_persons_level_and_clamps_it() -> None:
    prog = load_programme()
    top = prog.max_level("squat")
    squat = [s for s in prog.plan(1, {"squat": 99}) if s.get("exercise") == "squat"]
    assert squat[0]["level"] == top


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("exercises"), "'exercises' is missing"),
        (lambda d: d["sessions"].pop(), "numbered 1 to 12"),
        (lambda d: d["sessions"][0]["circuit"].append("juggling"), "unknown exercise"),
        (
            lambda d: d["exercises"]["squat"]["levels"][0].update(target_reps=None),
            "needs target_reps or target_s",
        ),
    ],
)
def test_bad_programme_files_are_refused_clearly(
    tmp_path: Path, edit: Any, message: str
) -> None:
    data = json.loads(
        Path(load_programme.__code__.co_filename)
        .parents[1]
        .joinpath("data", "programme.json")
        .read_text()
    )
    edit(data)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ProgrammeError, match=message):
        load_programme(path)


@pytest.mark.parametrize(
    ("before", "after", "colour"),
    [
        (2, 1, "green"),
        (2, 3, "amber"),
        (2, 5, "amber"),
        (2, 6, "red"),
        (1, 4, "amber"),
        (None, None, "grey"),
    ],
)
def test_pain_traffic_light(before: int | None, after: int | None, colour: str) -> None:
    assert progression.pain_advice(before, after).colour == colour


def _set(
    reps: int, target: int | None = 10, faulty: int = 0, outcome: str = "done"
) -> dict[str, Any]:
    fault = [{"key": "x", "cue": "c", "value": 1, "threshold": 0, "unit": ""}]
    return {
        "reps": [{"faults": fault if i < faulty else []} for i in range(reps)],
        "target_reps": target,
        "outcome": outcome,
    }


@pytest.mark.parametrize(
    ("s", "level", "pain", "expected"),
    [
        (_set(10), 1, 1, "up"),
        (_set(10), 4, 1, "stay"),  # already at the top
        (_set(7), 1, 1, "stay"),  # target not reached
        (_set(10, faulty=5), 1, 1, "stay"),  # form first
        (_set(10), 2, 4, "stay"),  # amber pain
        (_set(10), 2, 7, "back"),  # red pain
        (_set(10), 1, 7, "stay"),  # red, but nowhere to go back to
        (_set(0, target=None), 1, 1, "up"),  # timed work finished
        (_set(0, target=None, outcome="skipped"), 1, 1, "stay"),
    ],
)
def test_level_suggestions(
    s: dict[str, Any], level: int, pain: int, expected: str
) -> None:
    suggestion, reason = progression.suggest(s, level, 4, pain, 2)
    assert suggestion == expected, reason
    assert reason.endswith(".")


@pytest.mark.parametrize("band", AGE_BANDS)
def test_every_age_in_a_profile_band_has_the_norm_of_its_lower_bound(
    band: str,
) -> None:
    # The app looks norms up at the band's lower bound; that is only right if no
    # profile band straddles two rows of either norm table.
    lo = norms.age_for_norms(band)
    assert lo is not None
    hi = lo + 4  # "90+": the chair-stand table's last row is 90-94
    for test in TESTS:
        for sex in ("female", "male"):
            expected = norm_band(test, lo, sex)
            for age in range(lo, hi + 1):
                assert norm_band(test, age, sex) == expected, (band, age, test)


@pytest.mark.parametrize(
    ("kind", "result", "age", "sex", "rating", "words"),
    [
        ("chair_stand_30s", 10, 65, "female", "below the normal range", "below"),
        ("chair_stand_30s", 14, 65, "female", "within the normal range", "within"),
        ("chair_stand_30s", 19, 65, "male", "above the normal range", "above"),
        ("five_times_sts", 10.0, 60, None, "average or better", "quicker"),
        ("five_times_sts", 13.0, 70, "female", "slower than average", "slower"),
    ],
)
def test_log_norm_and_sentence_from_a_standard_tests_result(
    kind: str, result: float, age: int, sex: str | None, rating: str, words: str
) -> None:
    band = norm_band(kind, age, sex)
    n = norms.log_norm({"score": result, "norm": band, "rating": rating})
    assert n is not None and band is not None and n["rating"] == rating
    if kind == "chair_stand_30s":
        assert (n["low"], n["high"]) == (band["low"], band["high"])
        assert n["band"] == f"{band['age_group']} {sex}"
    else:
        assert n["cutoff_s"] == n["high"] == band["cutoff_s"]
    text = norms.describe(kind, result, n)
    assert str(result).rstrip("0").rstrip(".") in text and words in text


def test_sentences_for_results_logged_before_the_shared_scoring() -> None:
    old_chair = {"low": 11, "high": 16, "band": "65-69 female", "rating": "within"}
    assert "within the usual range" in norms.describe("chair_stand_30s", 14, old_chair)
    old_five = {"high": 11.4, "band": "60-64 women and men", "rating": "worse"}
    text = norms.describe("five_times_sts", 13.0, old_five)
    assert "slower" in text and "11.4 s" in text


def test_no_norms_below_60_or_without_sex() -> None:
    assert norm_band("chair_stand_30s", norms.age_for_norms("55-59"), "female") is None
    assert norms.sex_for_norms("other") is None and norms.sex_for_norms(None) is None
    assert norms.age_for_norms("90+") == 90 and norms.age_for_norms("") is None
    assert norms.log_norm({"score": 12, "norm": None, "rating": None}) is None
    assert "no published comparison" in norms.describe("chair_stand_30s", 12, None)
    why = norms.no_norm_reason(70, None, "chair_stand_30s")
    assert why in norms.describe("chair_stand_30s", 12, None, why)


def _pose(points: dict[L, tuple[float, float]], vis: float = 0.9) -> Pose:
    xy = np.full((33, 2), np.nan, dtype=np.float32)
    v = np.zeros(33, dtype=np.float32)
    for lm, p in points.items():
        xy[int(lm)] = p
        v[int(lm)] = vis
    return Pose(0.0, 640, 480, xy, np.zeros(33, np.float32), v, v.copy())


STANDING_FRONT = {
    L.NOSE: (0.5, 0.15),
    L.LEFT_SHOULDER: (0.58, 0.25),
    L.RIGHT_SHOULDER: (0.42, 0.25),
    L.LEFT_HIP: (0.55, 0.5),
    L.RIGHT_HIP: (0.45, 0.5),
    L.LEFT_KNEE: (0.55, 0.68),
    L.RIGHT_KNEE: (0.45, 0.68),
    L.LEFT_ANKLE: (0.55, 0.85),
    L.RIGHT_ANKLE: (0.45, 0.85),
}


def test_framing_whole_body_facing_the_camera() -> None:
    f = framing.assess(_pose(STANDING_FRONT), 120.0, "front")
    assert f.ok and f.facing == "front"
    assert f.messages == ["I can see you well. Good."]


def test_framing_says_what_to_change() -> None:
    no_feet = {
        k: v
        for k, v in STANDING_FRONT.items()
        if k not in (L.LEFT_ANKLE, L.RIGHT_ANKLE)
    }
    f = framing.assess(_pose(no_feet), 20.0, "side")
    assert not f.ok
    assert any("feet" in m for m in f.messages)
    assert any("dark" in m for m in f.messages)
    assert any("side faces the camera" in m for m in f.messages)
    empty = framing.assess(Pose.empty(0.0, 640, 480), 120.0)
    assert not empty.person and "can't see you" in empty.messages[0]
    far = {
        k: (0.5 + (x - 0.5) * 0.3, 0.4 + (y - 0.5) * 0.3)
        for k, (x, y) in STANDING_FRONT.items()
    }
    assert any("far away" in m for m in framing.assess(_pose(far), 120.0).messages)
