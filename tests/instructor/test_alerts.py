"""Alert rules of the cohort view, on real uploads (SQLite) and directly."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from instructor_support import add_instructor, bearer, enrol, login

from escape_home import progress_log
from escape_home.instructor.alerts import expected_sessions, summarise_participant
from escape_home.instructor.models import Cohort, Participant, SessionRecord
from escape_home.instructor.sample import make_log


def _session(
    number: int,
    before: int | None,
    after: int | None,
    next_day: int | None,
    *,
    any_yes: bool = False,
    faults: dict[str, dict[str, int]] | None = None,
    reps: int = 8,
) -> SessionRecord:
    t = datetime(2026, 11, 2, 10, tzinfo=UTC) + timedelta(days=3.5 * number)
    summary = {
        "reps": {"squat": reps},
        "rom": {},
        "faults": faults or {},
        "cues": {"trunk_flexion": "Keep your chest up"},
    }
    return SessionRecord(
        uuid=progress_log.new_id(),
        number=number,
        status="completed",
        started_at=t,
        ended_at=t + timedelta(minutes=40),
        pain_before=before,
        pain_after=after,
        pain_next_day=next_day,
        exertion=5,
        safety_any_yes=any_yes,
        total_reps=reps,
        data="{}",
        summary=json.dumps(summary),
    )


def _summary(
    sessions: list[SessionRecord],
    start: date = date(2026, 11, 2),
    today: date = date(2026, 11, 2),
) -> list[tuple[str, str]]:
    cohort = Cohort(
        name="c", start_date=start, schedule="", sessions_per_week=2, enrol_code="X"
    )
    p = Participant(public_id="p", nickname="n", sessions=sessions)
    row = summarise_participant(p, cohort, today)
    return [(a.kind, a.text) for a in row.alerts]


def test_no_alerts_for_a_calm_participant() -> None:
    assert _summary([_session(1, 3, 4, 3), _session(2, 3, 3, 2)]) == []


def test_pain_after_two_points_above_before_or_above_five() -> None:
    kinds = _summary([_session(1, 2, 4, 2), _session(2, 5, 6, 4)])
    assert kinds == [
        (
            "pain_after",
            "Pain 6/10 after session 2 (before: 5, +1); also after session 1",
        ),
    ]
    assert _summary([_session(1, 2, 4, 2)]) == [
        ("pain_after", "Pain 4/10 after session 1 (before: 2, +2)")
    ]


def test_next_day_pain_above_baseline_twice_in_a_row() -> None:
    alerts = _summary(
        [
            _session(1, 3, 4, 4),
            _session(2, 3, 3, 2),
            _session(3, 3, 4, 4),
            _session(4, 3, 4, 5),
        ]
    )
    assert [k for k, _ in alerts] == ["next_day"]
    assert "sessions 3 and 4" in alerts[0][1]


def test_safety_yes_is_always_an_alert() -> None:
    alerts = _summary([_session(1, 3, 3, 3, any_yes=True)])
    assert alerts == [
        ("safety", "Safety check before session 1: “yes” to (question not sent)")
    ]


def test_repeated_form_fault() -> None:
    faults = {"squat": {"trunk_flexion": 5}}
    alerts = _summary([_session(1, 3, 3, 3, faults=faults)])
    assert (
        alerts[0][0] == "form" and "“Keep your chest up” on 5 of 8 reps" in alerts[0][1]
    )
    few = {"squat": {"trunk_flexion": 1}}
    alerts = _summary(
        [_session(1, 3, 3, 3, faults=few), _session(2, 3, 3, 3, faults=few)]
    )
    assert [k for k, _ in alerts] == ["form"]
    assert _summary([_session(1, 3, 3, 3, faults=few)]) == []


def test_missed_sessions_against_the_schedule() -> None:
    start = date(2026, 11, 2)
    cohort = Cohort(
        name="c", start_date=start, schedule="", sessions_per_week=2, enrol_code="X"
    )
    assert expected_sessions(cohort, start) == 0
    assert expected_sessions(cohort, start + timedelta(days=14)) == 4
    assert expected_sessions(cohort, start + timedelta(days=365)) == 12
    alerts = _summary([_session(1, 3, 3, 3)], start, start + timedelta(days=14))
    assert alerts == [
        ("missed", "3 sessions behind the schedule (1 done, 4 expected by today)")
    ]
    assert _summary([_session(1, 3, 3, 3)], start, start + timedelta(days=4)) == []


def test_alerts_show_on_the_cohort_page(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    web = login(sqlite_app, "alice")
    cohort_id, code = web.create_cohort()
    _, token = enrol(sqlite_app, code, "Ann")
    log = make_log(sessions=2, pain=[(2, 6, 3), (3, 6, 3)])
    log["sessions"][1]["safety_check"] = {
        "answers": {"calf_pain": True},
        "any_yes": True,
    }
    r = sqlite_app.test_client().post(
        "/api/logs", data=progress_log.dumps(log), headers=bearer(token)
    )
    assert r.status_code == 201
    page = web.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert "Pain 6/10 after session 2 (before: 3, +3); also after session 1" in page
    assert (
        "Safety check before session 2: “yes” to “Do you have new pain or "
        "swelling in your calf?”" in page
    )
    assert "2/12" in page
