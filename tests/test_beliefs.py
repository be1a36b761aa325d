"""The beliefs and confidence check (issue 14 item 4): the scale as data, its scoring
(reverse items), when it is due, the before/after table, and its place in the
progress log (minor version 2) next to the lessons read (item 5)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escape_home import beliefs, progress_log
from escape_home.errors import InvalidProgressLog
from escape_home.instructor.sample import make_log
from escape_home.lessons import BELIEFS

WHEN = (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds")
LATER = (datetime.now(UTC) - timedelta(minutes=4)).isoformat(timespec="seconds")


def test_the_packaged_scale_is_brief_and_labelled_not_validated() -> None:
    scale = beliefs.load_scale()
    assert 4 <= len(scale.items) <= 6
    assert beliefs.NOT_VALIDATED in scale.note
    assert [s.key for s in scale.stages] == ["start", "middle", "end"]
    assert scale.stage("start").sessions[0] == 1
    assert scale.stage("end").sessions == (12,)
    assert set(scale.stage("middle").sessions) <= {6, 7}
    # Every belief the programme targets is asked about, scored the helpful way.
    asked = {i.belief for i in scale.items if i.belief}
    assert asked == set(BELIEFS)
    assert all(i.reverse for i in scale.items if i.belief)
    assert scale.reviewed_by == ""  # until a physiotherapist signs it off


def _all(confidence: int, agreement: int) -> dict[str, int]:
    scale = beliefs.load_scale()
    return {
        i.key: agreement if i.measure == "beliefs" else confidence for i in scale.items
    }


def test_scores_are_means_and_agreeing_with_a_target_belief_counts_against() -> None:
    assert beliefs.score(_all(8, 2)) == {"confidence": 8.0, "beliefs": 8.0}
    assert beliefs.score(_all(0, 10)) == {"confidence": 0.0, "beliefs": 0.0}
    answers = {"sure_on_bad_days": 3, "sure_in_flare_up": 4, "rest_is_best": 9}
    # One decimal; an unanswered item is left out, not counted as 0.
    assert beliefs.score(answers) == {"confidence": 3.5, "beliefs": 1.0}
    assert beliefs.score({}) == {"confidence": None, "beliefs": None}
    assert beliefs.score({"gone_item": 5}) == {"confidence": None, "beliefs": None}


def test_due_before_the_stages_sessions_and_only_once() -> None:
    due = [beliefs.due_stage(n, []) for n in range(1, 13)]
    keys = [s.key if s else None for s in due]
    assert keys[0] == keys[1] == "start"
    assert keys[5] == "middle" and keys[11] == "end"
    assert keys[2:5] == [None, None, None] and keys[7:11] == [None] * 4
    assert beliefs.due_stage(1, ["start"]) is None
    assert beliefs.due_stage(6, ["start"]) is not None


def test_before_after_orders_by_stage_and_gives_the_change() -> None:
    checks = [
        {"stage": "end", "answers": _all(9, 1)},
        {"stage": "start", "answers": _all(4, 7)},
    ]
    stages, rows = beliefs.before_after(checks)
    assert [s.key for s in stages] == ["start", "end"]
    conf, bel = rows
    assert conf.scores == [4.0, 9.0] and conf.change == 5.0
    assert bel.scores == [3.0, 9.0] and bel.change == 6.0
    _, single = beliefs.before_after(checks[1:])
    assert single[0].change is None


def test_a_malformed_scale_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text(
        'title = "t"\nnote = "n"\n[[stage]]\nkey = "s"\nname = "S"\nsessions = [13]\n'
    )
    with pytest.raises(beliefs.BeliefsError, match="stage 1: sessions"):
        beliefs.load_scale(path)
    text = (
        'title = "t"\nnote = "n"\n[[stage]]\nkey = "s"\nname = "S"\nsessions = [1]\n'
        '[[measure]]\nkey = "m"\nname = "M"\ninstructor = "M"\n'
        '[[item]]\nkey = "i"\nmeasure = "x"\nquestion = "q"\nlow = "0"\nhigh = "10"\n'
    )
    path.write_text(text)
    with pytest.raises(beliefs.BeliefsError, match="item 1: measure 'x'"):
        beliefs.load_scale(path)


# --- the progress log ----------------------------------------------------------------


def _check(stage: str = "start", **over: Any) -> dict[str, Any]:
    return {
        "id": progress_log.new_id(),
        "stage": stage,
        "session_number": 1,
        "started_at": WHEN,
        "finished_at": LATER,
        "answers": _all(5, 5),
        **over,
    }


def _lesson(number: int = 3, **over: Any) -> dict[str, Any]:
    return {
        "number": number,
        "first_opened_at": WHEN,
        "times_opened": 2,
        "finished_at": LATER,
        "answers": [
            {"question": 1, "answer": True, "correct": False, "answered_at": LATER}
        ],
        **over,
    }


def _log(**fields: Any) -> dict[str, Any]:
    base = make_log(participant_id=progress_log.new_id(), sessions=1)
    return progress_log.build_progress_log(
        participant_id=base["participant"]["id"],
        joint="knee",
        sessions=base["sessions"],
        **fields,
    )


def test_the_builder_writes_minor_2_and_both_fields_even_when_empty() -> None:
    empty = _log()
    assert empty["minor_version"] == 2
    assert empty["belief_checks"] == [] and empty["lessons"] == []
    full = _log(belief_checks=[_check()], lessons=[_lesson()])
    again = progress_log.parse(progress_log.dumps(full))
    assert again["belief_checks"][0]["answers"]["rest_is_best"] == 5
    assert again["lessons"][0]["answers"][0]["correct"] is False


def test_older_logs_without_the_fields_stay_valid() -> None:
    old = make_log(participant_id=progress_log.new_id(), sessions=2)
    assert "belief_checks" not in old and "lessons" not in old
    progress_log.validate(old)
    minor1 = {**old, "minor_version": 1, "flare_plan": None}
    progress_log.validate(minor1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda log: log["belief_checks"][0].update(stage="later"),
            "belief_checks[0].stage: ",
        ),
        (
            lambda log: log["belief_checks"][0]["answers"].update(made_up=3),
            "belief_checks[0].answers",
        ),
        (
            lambda log: log["belief_checks"][0]["answers"].update(rest_is_best=11),
            "belief_checks[0].answers.rest_is_best: 11 is above the maximum of 10",
        ),
        (
            lambda log: log["belief_checks"].append(_check()),
            "belief_checks[1].stage: the 'start' check appears twice",
        ),
        (
            lambda log: log["belief_checks"][0].update(
                finished_at="2021-01-01T00:00:00Z"
            ),
            "belief_checks[0]: ends before it starts",
        ),
        (
            lambda log: log["lessons"].append(_lesson()),
            "lessons[1].number: lesson 3 appears twice",
        ),
        (
            lambda log: log["lessons"][0]["answers"].append(
                dict(log["lessons"][0]["answers"][0])
            ),
            "lessons[0].answers[1].question: question 1 appears twice",
        ),
        (
            lambda log: log["lessons"][0].update(number=13),
            "lessons[0].number: 13 is above the maximum of 12",
        ),
        (
            lambda log: log["lessons"][0].update(times_opened=0),
            "lessons[0].times_opened",
        ),
    ],
)
def test_bad_education_records_are_refused_naming_the_field(
    change: Any, message: str
) -> None:
    log = copy.deepcopy(_log(belief_checks=[_check()], lessons=[_lesson()]))
    change(log)
    with pytest.raises(InvalidProgressLog) as err:
        progress_log.validate(log)
    assert str(err.value).startswith(message), str(err.value)
