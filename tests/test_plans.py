"""The plan message and its rules (escape_home/plans.py), used by both ends: the
schema and the programme refuse what cannot be followed; a plan laid over the
session's steps; what changed, in plain words."""

from __future__ import annotations

from typing import Any

import pytest

from escape_home import messages, plans
from escape_home.participant.programme import load_programme

PROG = load_programme()


def _plan(items: dict[str, Any], version: int = 1) -> dict[str, Any]:
    return {
        "version": version,
        "updated_at": "2026-12-01T10:00:00+00:00",
        "items": items,
    }


def test_a_good_plan_passes_both_checks() -> None:
    plan = _plan(
        {
            "squat": {"swap": "sit_to_stand", "level": 2, "sets": 2},
            "marching": {"target_s": 60, "note": "keep the chair against the wall"},
        }
    )
    assert plans.check(plan, PROG) == plan


@pytest.mark.parametrize(
    "plan,start",
    [
        ({"version": 1, "items": {}}, "updated_at: missing"),
        (_plan({"dancing": {"level": 1}}), "'dancing' is not an exercise"),
        (_plan({"squat": {"target_reps": 0}}), "Mini squat, repetitions: 0 is not"),
        (_plan({"squat": {"target_reps": 51}}), "Mini squat, repetitions: 51 is not"),
        (_plan({"squat": {"level": 5}}), "Mini squat has levels 1 to 4"),
        (_plan({"squat": {"swap": "lunge"}}), "Mini squat: Lunge / split squat is in"),
        (_plan({"balance": {"target_reps": 5}}), "Standing balance is timed"),
        (_plan({"squat": {"target_s": 30}}), "Mini squat is counted in repetitions"),
        (_plan({"squat": {}}), "Mini squat: the item is empty"),
        (_plan({"squat": {"note": "a\x00b"}}), "Mini squat, note: contains a NUL"),
        (_plan({"squat": {"speed": 2}}), "Mini squat: unexpected field 'speed'"),
    ],
)
def test_what_cannot_be_followed_is_refused_in_plain_words(
    plan: dict[str, Any], start: str
) -> None:
    with pytest.raises(messages.InvalidMessage) as info:
        plans.check(plan, PROG)
    assert str(info.value).startswith(start), str(info.value)


def test_fields_are_read_from_the_schema() -> None:
    props = messages.schema("plan")["$defs"]["item"]["properties"]
    assert plans.FIELDS == tuple(props)
    assert set(plans.LABELS) == set(plans.FIELDS)


def test_a_participants_item_replaces_the_class_item_whole() -> None:
    merged = plans.merge(
        {"squat": {"target_reps": 10, "note": "slowly"}, "marching": {"target_s": 60}},
        {"squat": {"level": 2}},
    )
    assert merged == {"squat": {"level": 2}, "marching": {"target_s": 60}}


def test_the_plan_is_laid_over_the_steps() -> None:
    levels = {"squat": 1, "sit_to_stand": 1}
    before = PROG.plan(1, levels)
    plan = _plan(
        {
            "squat": {"swap": "step_up", "level": 2, "sets": 2, "note": "hold on"},
            "knee_extension": {"target_reps": 12},
        },
        version=4,
    )
    after = plans.apply(before, plan, PROG, levels, {})
    ex = [s for s in after if s["kind"] == "exercise"]
    assert [s["exercise"] for s in ex] == [
        "sit_to_stand",
        "knee_extension",
        "step_up",
        "step_up",
        "marching",
    ]
    assert "plan_version" not in ex[0]  # not in the plan: the programme's step
    assert ex[0] == next(s for s in before if s.get("exercise") == "sit_to_stand")
    assert ex[1]["target_reps"] == 12 and ex[1]["plan_version"] == 4
    step_up = ex[2]
    assert step_up["swapped_from"] == "squat"
    assert step_up["name"] == "Step ups" and step_up["level"] == 2
    assert step_up["target_reps"] == PROG.level("step_up", 2)["target_reps"]
    assert step_up["note"] == "hold on"
    assert (ex[2]["set"], ex[3]["set"], ex[3]["sets"]) == (1, 2, 2)
    assert [s["next"] for s in ex] == [
        "Knee straightening",
        "Step ups",
        "Step ups",
        "Marching on the spot",
        None,
    ]
    # No plan: the steps as they were.
    assert plans.apply(before, _plan({}, 0), PROG, levels, {}) == before


def test_pain_steps_back_from_the_plans_level_until_the_plan_changes() -> None:
    items = {"squat": {"level": 3}}
    assert plans.planned_levels(items, {"squat": 1}, {})["squat"] == 3
    backs = {"squat": (3, 2)}
    assert plans.planned_levels(items, {"squat": 1}, backs)["squat"] == 2
    steps = plans.apply(PROG.plan(1, {}), _plan(items), PROG, {"squat": 2}, backs)
    squat = next(s for s in steps if s.get("exercise") == "squat")
    assert (squat["level"], squat["stepped_back_from"]) == (2, 3)
    # The instructor names another level: theirs, not the old step back.
    assert plans.planned_levels({"squat": {"level": 4}}, {}, backs)["squat"] == 4


def test_what_changed_in_plain_words() -> None:
    old = {"squat": {"target_reps": 8}}
    new = {
        "squat": {"target_reps": 10},
        "marching": {"target_s": 60},
        "sit_to_stand": {"swap": "step_up", "sets": 2},
        "heel_raise": {"note": "keep the chair against the wall"},
    }
    assert plans.changes(PROG, old, new, {}) == [
        "Sit to stand: do Step ups instead of Sit to stand",
        "Step ups: 2 sets instead of 1",
        "Mini squat: 10 repetitions instead of 8",
        "Marching on the spot: 60 seconds instead of 30",
        "Heel raises: a note from your instructor: keep the chair against the wall",
    ]
    assert plans.changes(PROG, new, new, {}) == []
    assert plans.changes(PROG, {"squat": {"level": 2}}, {}, {"squat": 1}) == [
        "Mini squat: level 1 instead of level 2",
        "Mini squat: 8 repetitions instead of 10",  # level 1's target
    ]
