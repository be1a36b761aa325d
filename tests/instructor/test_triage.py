"""Alerts that triage (issue 11, dashboard item 1): ordered by urgency with the
safety question named, reviewed with a note and re-raised only on new evidence, no
alert for improving pain, thresholds per class, the reason with its numbers.

Rules directly on records, and the real routes on a real database (SQLite, and
PostgreSQL when one answers)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from instructor_support import Web, bearer, enrol
from test_alerts import _session, _summary

from escape_home import progress_log
from escape_home.instructor import db
from escape_home.instructor.alerts import Thresholds, pain_alerts, triage
from escape_home.instructor.models import AlertReview, Cohort
from escape_home.instructor.sample import make_log


def test_pain_that_improved_raises_no_alert() -> None:
    # High after session 1, lower after every session since: improving.
    assert _summary([_session(1, 2, 6, 3), _session(2, 3, 4, 3)]) == []
    # Pain that eased during the session (8 before, 6 after) is not an alert.
    assert _summary([_session(1, 8, 6, 6)]) == []
    # Next-day pain above the pain before twice, then settled: no alert.
    settled = [_session(1, 3, 3, 4), _session(2, 3, 3, 5), _session(3, 3, 3, 3)]
    assert _summary(settled) == []
    # ...but still going on (the last session's next day not scored yet): alert.
    going = [_session(1, 3, 3, 4), _session(2, 3, 3, 5), _session(3, 3, 3, None)]
    assert _summary(going) == [
        (
            "next_day",
            "Next-day pain above pre-session pain after sessions 1 and 2 "
            "(3 → 4, 3 → 5)",
        )
    ]


def test_thresholds_change_the_rules() -> None:
    sessions = [_session(1, 3, 5, 3)]  # +2 and not above 5
    assert [a.kind for a in pain_alerts(sessions)] == ["pain_after"]
    assert pain_alerts(sessions, Thresholds(pain_rise=3)) == []
    strict = pain_alerts(sessions, Thresholds(pain_above=4, pain_rise=5))
    assert [a.text for a in strict] == ["Pain 5/10 after session 1 (before: 3, +2)"]
    assert "above 4/10 or at least 5 points" in strict[0].reason


def _cohort(**thresholds: Any) -> Cohort:
    return Cohort(
        name="c",
        start_date=date(2026, 11, 2),
        schedule="",
        sessions_per_week=2,
        enrol_code="X",
        **thresholds,
    )


def test_urgency_puts_a_safety_yes_first_and_names_the_question() -> None:
    from escape_home.instructor.alerts import summarise_participant
    from escape_home.instructor.models import Participant

    s1 = _session(1, 3, 3, 3, faults={"squat": {"trunk_flexion": 6}})
    s2 = _session(2, 3, 7, 3)
    s3 = _session(3, 3, 7, 3, any_yes=True)
    s3.data = (
        '{"safety_check": {"answers": {"calf_pain": false, "chest_pain": true},'
        ' "any_yes": true}}'
    )
    calm = Participant(public_id="a", nickname="Ann", sessions=[s1])
    worried = Participant(public_id="b", nickname="Bob", sessions=[s2, s3])
    cohort = _cohort()
    today = date(2026, 11, 2) + timedelta(days=14)
    rows = [summarise_participant(p, cohort, today) for p in (calm, worried)]
    order = [(a.kind, who.nickname) for a, who in triage(rows)]
    assert order[0] == ("safety", "Bob")
    assert order[1] == ("pain_after", "Bob")
    assert order[-1][0] == "form"
    first = triage(rows)[0][0]
    assert "“Do you have chest pain, either now or when you are active?”" in (
        first.text
    )
    assert first.text.startswith("Safety check before session 3: “yes” to")
    missed = next(a for a, _ in triage(rows) if a.kind == "missed")
    assert missed.text == "3 sessions behind the schedule (1 done, 4 expected by today)"
    assert "2 or more sessions behind 2 a week from 2 November 2026" in missed.reason


def _upload(app: Flask, token: str, log: dict[str, Any]) -> None:
    r = app.test_client().post(
        "/api/logs", data=progress_log.dumps(log), headers=bearer(token)
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)


def _alerts_section(page: str) -> str:
    start = page.index('id="alerts"')
    return page[start : page.index("</section>", start)]


def _open_keys(page: str) -> list[str]:
    """The keys of the open alerts on a participant page (the reviewed are after)."""
    alerts = _alerts_section(page)
    open_part = alerts.split('id="reviewed-h"')[0]
    return re.findall(r'<li class="alert-item [^"]*" data-key="([^"]+)"', open_part)


def test_acknowledge_then_new_evidence_raises_it_again(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    pid, token = enrol(app, code, "Ann")
    start = datetime.now(UTC) - timedelta(days=10)
    log = make_log(
        sessions=2, start=start, pain=[(2, 6, 3), (3, 6, 3)], participant_id=None
    )
    _upload(app, token, log)
    page = web.client.get(f"/participants/{pid}").get_data(as_text=True)
    alerts = _alerts_section(page)
    assert "Pain 6/10 after session 2 (before: 3, +3); also after session 1" in alerts
    assert "Why: Alert when pain after exercise is above 5/10" in alerts

    # A note is needed; an unknown alert is refused; nothing is stored for either.
    r = web.post(
        f"/participants/{pid}/alerts/review",
        {"key": "pain_after", "status": "acknowledged", "note": "  "},
        follow_redirects=True,
    )
    assert "write a short note" in r.get_data(as_text=True)
    r = web.post(
        f"/participants/{pid}/alerts/review",
        {"key": "made_up", "status": "resolved", "note": "x"},
        follow_redirects=True,
    )
    assert "That alert is no longer there" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session().query(AlertReview).count() == 0

    r = web.post(
        f"/participants/{pid}/alerts/review",
        {"key": "pain_after", "status": "acknowledged", "note": "Phoned her\u202e"},
        follow_redirects=True,
    )
    page = r.get_data(as_text=True)
    assert "Alert marked as seen" in page
    alerts = _alerts_section(page)
    assert "pain_after" not in _open_keys(page)
    assert _open_keys(page)  # the sample's form faults are still open
    assert "Seen, following up" in alerts and "“Phoned her”" in alerts
    cohort = web.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert "Pain 6/10 after session 2" not in cohort.split('id="participants"')[1]
    assert "1 seen or resolved" in cohort

    # The same log again, and pain next day filled in: nothing new, stays seen.
    log["sessions"][1]["pain_next_day"] = 2
    _upload(app, token, log)
    page = web.client.get(f"/participants/{pid}").get_data(as_text=True)
    assert "pain_after" not in _open_keys(page)

    # A third session that triggers it again: open again, with the earlier note.
    longer = make_log(
        sessions=3,
        start=start,
        pain=[(2, 6, 3), (3, 6, 2), (3, 7, 3)],
        participant_id=log["participant"]["id"],
    )
    _upload(app, token, longer)
    page = web.client.get(f"/participants/{pid}").get_data(as_text=True)
    alerts = _alerts_section(page)
    assert _open_keys(page)[0] == "pain_after"  # the most urgent open one
    assert "Pain 7/10 after session 3 (before: 3, +4)" in alerts
    assert "Came back after you saw it" in alerts and "Phoned her" in alerts

    # Resolved: off the class's triage list.
    r = web.post(
        f"/participants/{pid}/alerts/review",
        {"key": "pain_after", "status": "resolved", "note": "Dropped a level"},
        follow_redirects=True,
    )
    assert "Alert resolved" in r.get_data(as_text=True)
    cohort = web.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    triage_html = cohort[
        cohort.index('id="triage"') : cohort.index('id="participants"')
    ]
    assert "Pain 7/10" not in triage_html and "Ann" in triage_html  # form faults


def test_thresholds_are_set_per_class(app: Flask, web: Web) -> None:
    mine, code = web.create_cohort("Tuesday")
    other, _ = web.create_cohort("Friday")
    _, token = enrol(app, code, "Ann")
    _upload(app, token, make_log(sessions=1, pain=[(3, 5, 3)]))  # +2, not above 5
    page = web.client.get(f"/cohorts/{mine}").get_data(as_text=True)
    assert "Pain 5/10 after session 1 (before: 3, +2)" in page
    assert re.search(r'id="t-pain_rise"[^>]*value="2"', page)

    bad = web.post(
        f"/cohorts/{mine}/thresholds",
        {
            "pain_above": "11",
            "pain_rise": "3",
            "next_day_sessions": "2",
            "behind": "2",
            "fault_percent": "50",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Thresholds not saved: Pain after exercise above (0-10): from 0 to 10" in bad
    r = web.post(
        f"/cohorts/{mine}/thresholds",
        {
            "pain_above": "5",
            "pain_rise": "3",
            "next_day_sessions": "2",
            "behind": "2",
            "fault_percent": "50",
        },
        follow_redirects=True,
    )
    page = r.get_data(as_text=True)
    assert "Alert thresholds saved for this class." in page
    assert "Pain 5/10 after session 1" not in page
    assert re.search(r'id="t-pain_rise"[^>]*value="3"', page)
    friday = web.client.get(f"/cohorts/{other}").get_data(as_text=True)
    assert re.search(r'id="t-pain_rise"[^>]*value="2"', friday)  # untouched
