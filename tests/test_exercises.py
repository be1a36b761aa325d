"""The exercise catalogue as data: IDs, fields, overrides, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from escape_home import exercises as ex
from escape_home.errors import EscapeHomeError, UnknownExercise
from escape_home.form import QUANTITIES
from escape_home.measures import BODY_SIGNALS, SIDE_SIGNALS

IDS = [
    "sit_to_stand",
    "knee_extension",
    "squat",
    "step_up",
    "hip_abduction",
    "heel_raise",
    "marching",
    "balance",
    "hamstring_curl",
    "leg_press",
    "lunge",
]


def test_all_eleven_ids_in_order() -> None:
    assert ex.exercise_ids() == IDS
    specs = ex.list_exercises()
    assert [s.id for s in specs] == IDS
    for s in specs:
        assert s.name and s.summary and "\n" not in s.summary
        assert s.view in s.views and set(s.views) <= set(ex.VIEWS)


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_is_consistent(exercise_id: str) -> None:
    spec = ex.get_exercise(exercise_id)
    assert spec.signal in BODY_SIGNALS or spec.signal in SIDE_SIGNALS
    assert spec.mode in ex.MODES
    assert (spec.mode == "per_side") == (spec.signal in SIDE_SIGNALS)
    assert spec.required
    for rule in spec.form:
        assert bool(rule.quantity) != bool(rule.metric)
        assert rule.quantity == "" or rule.quantity in QUANTITIES
        assert rule.metric == "" or rule.metric in spec.metrics
        assert rule.op in ("<", ">") and rule.cue and rule.unit
        assert set(rule.views) <= set(spec.views)
    if spec.mode != "hold":
        c = spec.counter
        assert c.home_min <= c.home <= c.home_max
        assert 0 < c.deep_min <= c.deep_margin and c.rest_margin < c.deep_margin
        assert c.min_rep_s < c.max_rep_s


def test_unknown_exercise_lists_valid_ids() -> None:
    with pytest.raises(UnknownExercise) as err:
        ex.get_exercise("burpee")
    msg = str(err.value)
    assert "burpee" in msg and all(i in msg for i in IDS)
    assert isinstance(err.value, ValueError)


def test_overrides_nested_dotted_and_form_rules() -> None:
    spec = ex.get_exercise(
        "squat",
        {
            "counter": {"deep_margin": 30.0},
            "counter.min_rep_s": 0.4,
            "form": {"forward_lean": {"threshold": 50.0, "cue": "Chest up"}},
            "summary": "Squat to a chair",
        },
    )
    assert spec.counter.deep_margin == 30.0 and spec.counter.min_rep_s == 0.4
    rule = next(r for r in spec.form if r.key == "forward_lean")
    assert rule.threshold == 50.0 and rule.cue == "Chest up"
    assert spec.summary == "Squat to a chair"
    assert ex.get_exercise("squat").counter.deep_margin == 40.0  # catalogue unchanged


@pytest.mark.parametrize(
    "bad",
    [
        {"counter": {"depth": 3}},
        {"form": {"no_such_rule": {"threshold": 1}}},
        {"mode": "sometimes"},
    ],
)
def test_bad_overrides_are_refused_with_a_sentence(bad: dict[str, object]) -> None:
    with pytest.raises(EscapeHomeError):
        ex.get_exercise("squat", bad)


def test_overrides_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text("[squat.counter]\ndeep_margin = 33.0\n", encoding="utf-8")
    over = ex.load_overrides(f)
    assert ex.get_exercise("squat", over["squat"]).counter.deep_margin == 33.0
    (tmp_path / "bad.toml").write_text("[squat\n", encoding="utf-8")
    with pytest.raises(EscapeHomeError):
        ex.load_overrides(tmp_path / "bad.toml")
    with pytest.raises(EscapeHomeError):
        ex.load_overrides(tmp_path / "missing.toml")
