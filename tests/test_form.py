"""Every form rule: one synthetic case that must fire it, one that must not."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest

from escape_home import synth as sy
from escape_home.engine import analyse_poses
from escape_home.events import Cue
from escape_home.exercises import list_exercises
from escape_home.form import CueGate

F = sy.Faults

# (exercise, rule key, camera yaw, script options with the fault, options without it).
# Each options dict may hold "faults" (a synth.Faults) and reps_script keywords.
CASES: list[tuple[str, str, float, dict[str, Any], dict[str, Any]]] = [
    (
        "sit_to_stand",
        "hands_used",
        90,
        {"faults": F(hands_on_knees=True)},
        {"faults": F(hands_rest_seated=True), "seated_home": True},
    ),
    (
        "sit_to_stand",
        "incomplete_stand",
        90,
        {"depth": 0.75, "seated_home": True},
        {"seated_home": True},
    ),
    ("sit_to_stand", "trunk_flexion", 90, {"faults": F(trunk=45)}, {}),
    ("sit_to_stand", "lateral_lean", 0, {"faults": F(lean=14)}, {}),
    (
        "sit_to_stand",
        "dropping_into_chair",
        90,
        {"out_s": 0.25, "hold_s": 0.0},
        {"out_s": 1.5},
    ),
    ("sit_to_stand", "knee_valgus", 0, {"faults": F(valgus=25)}, {}),
    ("sit_to_stand", "leaning_sideways", 0, {"faults": F(lean=14)}, {}),
    ("knee_extension", "incomplete_extension", 90, {"depth": 0.8}, {}),
    ("knee_extension", "no_hold", 90, {"hold_s": 0.0}, {"hold_s": 4.0}),
    ("knee_extension", "leaning_back", 90, {"faults": F(lean_back=22)}, {}),
    ("squat", "too_shallow", 90, {"depth": 0.38}, {}),
    ("squat", "knee_valgus", 0, {"faults": F(valgus=25)}, {}),
    ("squat", "heels_lifting", 90, {"faults": F(heel=40)}, {}),
    ("squat", "forward_lean", 90, {"faults": F(trunk=30)}, {}),
    ("squat", "trunk_ahead_of_shins", 90, {"faults": F(trunk=30)}, {}),
    ("squat", "uneven_weight", 45, {"faults": F(shift=40)}, {}),
    ("squat", "leaning_sideways", 0, {"faults": F(lean=14)}, {}),
    ("step_up", "trunk_lean", 90, {"faults": F(trunk=35)}, {}),
    ("step_up", "knee_valgus", 0, {"faults": F(valgus=25)}, {}),
    ("step_up", "pelvic_drop", 0, {"faults": F(hike=14)}, {}),
    ("hip_abduction", "trunk_lean", 0, {"faults": F(lean=16)}, {}),
    ("hip_abduction", "hip_hitching", 0, {"faults": F(hike=14)}, {}),
    ("hip_abduction", "too_fast", 0, {"out_s": 0.25, "hold_s": 0.0}, {"out_s": 1.5}),
    ("heel_raise", "knees_bending", 90, {"faults": F(knee=35)}, {}),
    ("heel_raise", "leaning_forward", 90, {"faults": F(trunk=25)}, {}),
    ("marching", "low_knee_lift", 0, {"depth": 0.65}, {}),
    ("marching", "trunk_sway", 0, {"faults": F(lean=16)}, {}),
    ("hamstring_curl", "shallow_curl", 90, {"depth": 0.6}, {}),
    ("hamstring_curl", "thigh_moving", 90, {"faults": F(knee=35)}, {}),
    ("leg_press", "incomplete_extension", 90, {"depth": 0.75}, {}),
    ("leg_press", "trunk_slumping", 90, {"faults": F(lean_back=22)}, {}),
    ("lunge", "trunk_lean", 90, {"faults": F(trunk=35)}, {}),
    ("lunge", "knee_valgus", 0, {"faults": F(valgus=25)}, {}),
    ("lunge", "knee_past_toes", 90, {"faults": F(knee_forward=30)}, {}),
    ("lunge", "leaning_sideways", 0, {"faults": F(lean=14)}, {}),
]


def _run(exercise: str, yaw: float, opts: dict[str, Any]) -> dict[str, Any]:
    opts = dict(opts)
    faults = opts.pop("faults", F())
    alternate = exercise == "marching"
    script = sy.reps_script(
        exercise,
        3,
        side="left",
        alternate=alternate,
        yaw=yaw,
        noise=0.002,
        seed=3,
        **opts,
    )
    script = replace(script, faults=faults)
    return analyse_poses(exercise, sy.generate(script))


@pytest.mark.parametrize(("exercise", "key", "yaw", "bad", "good"), CASES)
def test_rule_fires_on_the_fault_and_not_on_good_form(
    exercise: str, key: str, yaw: float, bad: dict[str, Any], good: dict[str, Any]
) -> None:
    with_fault = _run(exercise, yaw, bad)
    assert with_fault["reps"] == 3, with_fault["partial_reps"]
    assert key in with_fault["faults"], with_fault["faults"]
    fault = next(
        f for r in with_fault["reps_detail"] for f in r["faults"] if f["key"] == key
    )
    assert isinstance(fault["value"], float) and isinstance(fault["threshold"], float)
    assert fault["cue"]
    clean = _run(exercise, yaw, good)
    assert clean["reps"] == 3
    assert key not in clean["faults"], clean["faults"]


def test_balance_rule_fires_on_a_hold() -> None:
    def hold(lean: float) -> dict[str, Any]:
        segs = (
            sy.Segment("rest", dur_s=1.0),
            sy.Segment("hold", "left", 1.0, 0.4, 5.0, 0.4),
            sy.Segment("rest", dur_s=1.0),
        )
        script = sy.Script("balance", segs, yaw=0, noise=0.002, faults=F(lean=lean))
        return analyse_poses("balance", sy.generate(script))

    leaning = hold(16)
    assert leaning["holds"][0]["faults"][0]["key"] == "trunk_lean"
    assert leaning["faults"]["trunk_lean"]["count"] == 1
    assert hold(0)["holds"][0]["faults"] == []


def test_every_rule_in_the_catalogue_has_a_case() -> None:
    covered = {(e, k) for e, k, *_ in CASES} | {("balance", "trunk_lean")}
    rules = {(ex.id, r.key) for ex in list_exercises() for r in ex.form}
    assert rules == covered


def test_cue_gate_gives_the_most_important_and_does_not_nag() -> None:
    gate = CueGate(min_interval_s=4.0, repeat_interval_s=12.0)
    low, high = Cue("a", "low", 1), Cue("b", "high", 5)
    assert gate.offer([low, high], 0.0) == high
    assert gate.offer([low], 1.0) is None  # too soon after the last cue
    assert gate.offer([high, low], 5.0) == low  # "high" was said 5 s ago
    assert gate.offer([high], 10.0) is None  # any cue: within 4 s of the last
    assert gate.offer([high], 12.5) == high


def test_live_cue_is_rate_limited() -> None:
    script = sy.reps_script("squat", 8, yaw=90, noise=0.002, out_s=0.6, back_s=0.6)
    script = replace(script, faults=F(trunk=30))
    from escape_home.engine import ExerciseTracker

    tracker = ExerciseTracker("squat")
    cue_times = [
        u.timestamp_s for p in sy.generate(script) if (u := tracker.update(p)).cue
    ]
    assert cue_times, "a persistent fault must be cued at least once"
    assert all(b - a >= 4.0 for a, b in itertools.pairwise(cue_times))
    assert tracker.summary()["faults"]["forward_lean"]["count"] == 8
