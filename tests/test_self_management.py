"""Self-management tools (issue 14 item 3): the pacing build-up and flare-up plan
rules, and their place in the progress log (minor version 1) built by the one
builder and checked by the schema."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from escape_home import progress_log
from escape_home import self_management as sm
from escape_home.errors import InvalidProgressLog
from escape_home.instructor.sample import make_log

NOW = datetime.now(UTC) - timedelta(minutes=5)
WHEN = NOW.isoformat(timespec="seconds")


def test_pacing_starts_below_the_usual_time_and_adds_a_tenth_each_week() -> None:
    plan = sm.pacing_plan("Walking", 10)
    assert plan.start_min == 8  # "a little less than" 10 minutes (lesson 5)
    assert plan.step_min == 1  # a tenth of 8, never under a minute
    assert plan.weeks == (8, 9, 10, 11, 12, 13)  # the programme's six weeks
    big = sm.pacing_plan("Gardening", 50)
    assert (big.start_min, big.step_min) == (40, 4)
    assert big.weeks[:3] == (40, 44, 48)


@pytest.mark.parametrize("usual", [1, 2, 7, 10, 33, 60, 120, 240])
@pytest.mark.parametrize("goal", [None, 1, 5, 30, 240])
def test_pacing_build_up_is_gentle_and_capped(usual: int, goal: int | None) -> None:
    plan = sm.pacing_plan("Walking", usual, goal)
    assert 1 <= plan.start_min <= usual
    assert len(plan.weeks) <= sm.MAX_WEEKS
    assert plan.weeks[0] == plan.start_min
    steps = [b - a for a, b in zip(plan.weeks, plan.weeks[1:], strict=False)]
    assert all(0 < s <= plan.step_min for s in steps)
    assert plan.step_min <= max(1, round(plan.start_min * 0.1 + 0.5))
    cap = sm.MAX_MINUTES if goal is None else max(goal, plan.start_min)
    assert max(plan.weeks) <= cap
    if goal is not None and goal > plan.start_min and len(plan.weeks) < sm.MAX_WEEKS:
        assert plan.weeks[-1] == goal  # the plan stops at the goal


def test_a_goal_below_the_start_is_a_one_week_plan() -> None:
    assert sm.pacing_plan("Walking", 30, 10).weeks == (24,)


@pytest.mark.parametrize(
    ("activity", "usual", "goal", "message"),
    [
        ("  ", 10, None, "Write the activity"),
        ("x" * 81, 10, None, "short"),
        ("Walking", 0, None, "from 1 to 240"),
        ("Walking", 241, None, "from 1 to 240"),
        ("Walking", 10, 0, "goal"),
    ],
)
def test_pacing_refuses_with_a_plain_message(
    activity: str, usual: int, goal: int | None, message: str
) -> None:
    with pytest.raises(sm.PlanError, match=message):
        sm.pacing_plan(activity, usual, goal)


def test_flare_plan_steps_back_one_level_never_below_one() -> None:
    plan = sm.build_flare_plan(
        ["squat", "sit_to_stand", "squat"],
        {"squat": 3},
        "heat",
        "  long   walks ",
        "physio",
        "",
    )
    assert plan["step_back"] == [
        {"exercise": "squat", "level": 2},
        {"exercise": "sit_to_stand", "level": 1},
    ]
    assert plan["do_less"] == "long walks"
    lines = dict(sm.flare_plan_lines(plan, {"squat": "Mini squat"}))
    assert "Mini squat: use level 2." in lines["My exercises"]
    assert any("Do not rest all day" in s for s in lines["My exercises"])
    assert lines["Warmth or cold"] == [sm.HEAT_OR_ICE_HOW["heat"]]
    assert "I will do less of: long walks" in lines["Pacing"]
    help_ = " ".join(lines["When to get help"])
    assert "my physiotherapist" in help_ and "999" in help_ and "calf" in help_
    with pytest.raises(sm.PlanError):
        sm.build_flare_plan([], {}, "hot", "", "gp", "")
    with pytest.raises(sm.PlanError):
        sm.build_flare_plan([], {}, "ice", "", "neighbour", "")


def test_class_question_is_trimmed_and_limited() -> None:
    assert sm.clean_question("  Is  it ok\n\n to walk?  ") == "Is it ok\nto walk?"
    with pytest.raises(sm.PlanError):
        sm.clean_question(" \n ")
    with pytest.raises(sm.PlanError):
        sm.clean_question("x" * 501)


def tools() -> dict[str, Any]:
    plan = sm.build_flare_plan(["squat"], {"squat": 2}, "either", "", "gp", "Music")
    pacing = sm.pacing_plan("Walking", 10).to_log()
    return {
        "flare_plan": {"updated_at": WHEN, **plan},
        "pacing_plans": [{"id": progress_log.new_id(), "created_at": WHEN, **pacing}],
        "class_questions": [
            {"id": progress_log.new_id(), "asked_at": WHEN, "text": "Can I swim?"}
        ],
    }


def test_builder_writes_minor_version_1_and_round_trips() -> None:
    extra = tools()
    log = progress_log.build_progress_log(
        participant_id=progress_log.new_id(),
        joint="knee",
        sessions=make_log(sessions=1)["sessions"],
        exported_at=NOW,
        **extra,
    )
    assert log["version"] == 1 and log["minor_version"] == progress_log.MINOR_VERSION
    assert progress_log.MINOR_VERSION >= 1
    back = progress_log.parse(progress_log.dumps(log))
    assert back == log
    for key, value in extra.items():
        assert back[key] == value
    empty = progress_log.build_progress_log(
        participant_id=progress_log.new_id(), joint="hip", sessions=[], exported_at=NOW
    )
    assert empty["flare_plan"] is None
    assert empty["pacing_plans"] == [] and empty["class_questions"] == []


def test_old_logs_without_the_tools_still_pass() -> None:
    old = make_log(sessions=2)
    assert "minor_version" not in old and "class_questions" not in old
    assert progress_log.parse(progress_log.dumps(old)) == old


def _new_log() -> dict[str, Any]:
    return {**make_log(sessions=1), "minor_version": 1, **tools()}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda g: g["class_questions"][0].update(text=""), "class_questions[0].text"),
        (
            lambda g: g["class_questions"][0].update(text="x" * 501),
            "class_questions[0].text",
        ),
        (lambda g: g["class_questions"].append(g["class_questions"][0]), "twice"),
        (lambda g: g["flare_plan"].update(heat_or_ice="hot"), "flare_plan.heat_or"),
        (
            lambda g: g["flare_plan"]["step_back"][0].update(exercise="yoga"),
            "flare_plan.step_back[0].exercise",
        ),
        (
            lambda g: g["flare_plan"].update(updated_at="2030-02-30T10:00:00Z"),
            "flare_plan.updated_at",
        ),
        (lambda g: g["pacing_plans"][0].update(weeks=[]), "pacing_plans[0].weeks"),
        (
            lambda g: g["pacing_plans"][0].update(start_min=241),
            "pacing_plans[0].start_min",
        ),
        (lambda g: g["pacing_plans"][0].update(extra=1), "pacing_plans[0]"),
        (lambda g: g.update(minor_version=-1), "minor_version"),
    ],
)
def test_schema_names_the_bad_tool_field(edit: Any, message: str) -> None:
    log = _new_log()
    progress_log.validate(copy.deepcopy(log))
    edit(log)
    with pytest.raises(InvalidProgressLog, match=message.replace("[", r"\[")):
        progress_log.validate(log)
