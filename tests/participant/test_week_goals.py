"""Plan the week and goals (issue 10, go beyond): the plan's rules, the calendar
file parsed back (RFC 5545, with its reminder), Home's next-session and missed-day
lines, goals kept, ticked off, in the progress log, at session 6 and the last one."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
from dateutil.rrule import rrulestr
from flask import Flask
from flask.testing import FlaskClient
from participant_support import Person

from escape_home import progress_log
from escape_home.errors import InvalidProgressLog
from escape_home.participant import db, export, goals, store, views_week, week

TUE, THU = 1, 3
PLAN = week.WeekPlan((TUE, THU), time(10, 0), 30, None)
# Tuesday 1 December 2026.
TUESDAY = datetime(2026, 12, 1, 8, 0)


def test_a_plan_needs_two_days_a_time_and_a_reminder() -> None:
    with pytest.raises(week.PlanError, match="choose 2 days"):
        week.build_plan(["1"], "10:00", "30")
    with pytest.raises(week.PlanError, match="hours and minutes"):
        week.build_plan(["1", "3"], "ten", "30")
    with pytest.raises(week.PlanError, match="remind"):
        week.build_plan(["1", "3"], "10:00", "7")
    plan = week.build_plan(["3", "1", "1", "9", "x"], "09:30", "60")
    assert plan.days == (TUE, THU) and plan.at == time(9, 30)
    assert plan.reminder_min == 60


def test_next_due_and_how_it_reads() -> None:
    assert week.next_due(PLAN, TUESDAY, []) == datetime(2026, 12, 1, 10, 0)
    # Done today already: the next planned day.
    done = [TUESDAY.replace(hour=7)]
    assert week.next_due(PLAN, TUESDAY, done) == datetime(2026, 12, 3, 10, 0)
    st = week.status(PLAN, TUESDAY, done, done=1)
    assert st is not None and st.next_text == "Thursday at 10am"
    st = week.status(PLAN, TUESDAY + timedelta(days=2), [], done=1)
    assert st is not None and st.next_text == "today at 10am"
    st = week.status(PLAN, TUESDAY.replace(hour=15), [], done=1)
    assert st is not None and st.next_text == "today (planned for 10am)"
    assert week.status(PLAN, TUESDAY, [], done=12) is None
    assert week.say_time(time(14, 30)) == "2:30pm"
    assert week.say_time(time(12, 0)) == "12 noon"
    assert week.say_time(time(0, 15)) == "12:15am"
    assert week.say_date("2026-12-01T12:00:00+00:00").endswith(" December")


def test_a_missed_day_is_noted_gently_and_only_when_it_was_planned() -> None:
    friday = TUESDAY + timedelta(days=3)
    made = TUESDAY - timedelta(days=7)
    # Last session on Tuesday: Thursday went by without one.
    tue = [TUESDAY.replace(hour=10)]
    assert week.missed(PLAN, friday, tue, made) == date(2026, 12, 3)
    # Done a day late (Friday) or a day early (Wednesday): nothing missed.
    assert week.missed(PLAN, friday, [*tue, friday.replace(hour=7)], made) is None
    wed = [TUESDAY.replace(hour=10) + timedelta(days=1)]
    assert week.missed(PLAN, friday, wed, made) is None
    # The plan was made after Thursday's time: Thursday never counts.
    assert week.missed(PLAN, friday, tue, friday.replace(hour=7)) is None
    st = week.status(
        week.WeekPlan(PLAN.days, PLAN.at, 30, made.replace(tzinfo=UTC)),
        friday,
        tue,
        done=1,
    )
    assert st is not None and st.missed_day == "Thursday"


def test_the_calendar_file_parses_back_with_its_reminder() -> None:
    now = TUESDAY.replace(hour=11)  # Tuesday's time has gone by
    body = week.calendar_file(PLAN, now, 11, 45, "uid-1@escape-home.local", "x")
    cal = icalendar.Calendar.from_ical(body)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    (event,) = cal.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 12, 3, 10, 0) and start.tzinfo is None  # floating
    assert event.decoded("DURATION") == timedelta(minutes=45)
    assert str(event["UID"]) == "uid-1@escape-home.local" and event.get("DTSTAMP")
    rule = event["RRULE"].to_ical().decode()
    dates = list(rrulestr(rule, dtstart=start))
    assert len(dates) == 11
    assert {d.weekday() for d in dates} == {TUE, THU}
    assert all(d.time() == time(10, 0) for d in dates)
    (alarm,) = event.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY" and alarm.get("DESCRIPTION")
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-30)


def _home(client: FlaskClient) -> str:
    r = client.get("/")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_plan_the_week_on_the_pages(client: FlaskClient, person: Person) -> None:
    person.sign_up()
    assert "Plan your week" in _home(client)
    assert client.get("/week/calendar.ics").status_code == 404  # no plan yet
    r = client.post("/week", data={"day": ["1"], "at": "10:00", "reminder": "30"})
    assert r.status_code == 400
    assert "Please choose 2 days or more" in r.get_data(as_text=True)
    assert 'value="1" checked' in r.get_data(as_text=True)  # the choice stays
    today = datetime.now().astimezone().weekday()
    days = [str(today), str((today + 2) % 7)]
    r = client.post("/week", data={"day": days, "at": "23:59", "reminder": "15"})
    assert r.status_code == 302
    assert "Your next session: today at 11:59pm" in _home(client)
    r = client.get("/week/calendar.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    assert "attachment" in r.headers["Content-Disposition"]
    (event,) = icalendar.Calendar.from_ical(r.data).walk("VEVENT")
    assert event["RRULE"]["COUNT"] == [12]
    client.post("/week/clear")
    assert "Plan your week" in _home(client)


def test_goals_are_kept_ticked_off_and_in_the_log(
    app: Flask, client: FlaskClient, person: Person
) -> None:
    person.sign_up()
    assert "Set yourself a goal" in _home(client)
    r = client.post("/goals", data={"goal": "   "})
    assert r.status_code == 400
    assert "Write your goal in the box first." in r.get_data(as_text=True)
    long = "a" * (goals.GOAL_MAX + 1)
    r = client.post("/goals", data={"goal": long})
    assert r.status_code == 400 and long in r.get_data(as_text=True)  # kept to fix
    r = client.post("/goals", data={"goal": " Walk to the\n shops "})
    assert r.status_code == 302
    page = _home(client)
    assert "Walk to the shops" in page and "I have done it" in page
    conn = db.connect(app.config["DATABASE"])
    try:
        (goal,) = goals.goals(conn)
    finally:
        conn.close()
    client.post(f"/goals/{goal['id']}/done", data={"done": "1"})
    assert "Take the tick off" in _home(client)
    assert (
        client.post(f"/goals/{'0' * 8}-0000-0000-0000-{'0' * 12}/done").status_code
        == 404
    )
    conn = db.connect(app.config["DATABASE"])
    try:
        log = export.build_log(conn)
    finally:
        conn.close()
    (logged,) = log["goals"]
    assert logged["text"] == "Walk to the shops" and logged["done_at"] is not None
    assert progress_log.parse(progress_log.dumps(log))["goals"] == log["goals"]
    client.post(f"/goals/{goal['id']}/remove")
    assert "Set yourself a goal" in _home(client)


def test_a_goal_done_before_it_was_set_is_refused() -> None:
    now = datetime.now(UTC)
    log = progress_log.build_progress_log(
        participant_id=progress_log.new_id(), joint="knee", sessions=[]
    )
    log["goals"] = [
        {
            "id": progress_log.new_id(),
            "set_at": now.isoformat(timespec="seconds"),
            "text": "Stairs",
            "done_at": (now - timedelta(days=1)).isoformat(timespec="seconds"),
        }
    ]
    with pytest.raises(InvalidProgressLog, match=r"goals\[0\]\.done_at"):
        progress_log.validate(log)
    old = dict(log)
    del old["goals"]
    old["minor_version"] = 1
    assert progress_log.validate(old) is old  # older logs stay valid


def _session(app: Flask, number: int) -> str:
    writer = db.get_writer_of(app)
    return str(writer.call(lambda c: store.start_session(c, number, {})))


def test_session_six_asks_for_a_goal_and_the_last_looks_back(
    app: Flask, client: FlaskClient, person: Person
) -> None:
    person.sign_up()
    client.post("/goals", data={"goal": "Dance at the wedding"})
    sid = _session(app, views_week.GOAL_SESSION)
    client.post(f"/session/{sid}/pain-before", data={"pain": "2"})
    page = client.get(f"/session/{sid}/play").get_data(as_text=True)
    info = json.loads(page.split('id="goal-info">')[1].split("</script>")[0])
    assert info["session"] == info["ask"] == 6
    assert info["url"].startswith("/goals?next=/session/")
    assert [g["text"] for g in info["goals"]] == ["Dance at the wedding"]
    last = _session(app, views_week.LAST_SESSION)
    page = client.get(f"/session/{last}/summary").get_data(as_text=True)
    assert "Look back at your goal" in page and "Dance at the wedding" in page
    first = _session(app, 1)
    assert "Look back" not in client.get(f"/session/{first}/summary").get_data(
        as_text=True
    )
    # Saving a goal from the session goes back to the session, never elsewhere.
    r = client.post("/goals", data={"goal": "Stairs", "next": f"/session/{sid}/play"})
    assert r.headers["Location"] == f"/session/{sid}/play"
    r = client.post("/goals", data={"goal": "Stairs", "next": "//evil.example/"})
    assert r.headers["Location"] == "/goals"


def test_home_notes_a_missed_planned_day(
    app: Flask, client: FlaskClient, person: Person
) -> None:
    person.sign_up()
    yesterday = (datetime.now().astimezone() - timedelta(days=1)).date()
    days = (yesterday.weekday(), (yesterday.weekday() + 3) % 7)
    made = datetime.now(UTC) - timedelta(days=14)
    writer = db.get_writer_of(app)
    writer.call(
        lambda c: c.execute(
            "INSERT INTO week_plan (id, days, at_time, reminder_min, updated_at)"
            " VALUES (1, ?, '10:00', 30, ?)",
            (json.dumps(sorted(days)), made.isoformat(timespec="seconds")),
        )
    )
    page = _home(client)
    assert f"You had planned a session on {week.DAYS[yesterday.weekday()]}" in page
    # A session begun today: nothing missed any more.
    writer.call(lambda c: store.start_session(c, 1, {}))
    assert "You had planned" not in _home(client)
