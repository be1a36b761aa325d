"""Plan the week: the days and time a person means to do their two sessions.

The plan stays on this computer (table ``week_plan``). From it:

- `next_due` says when the next session is due ("Your next session: Thursday at
  10am"), and `missed` notes, gently, a planned day that went by without one;
- `calendar_file` makes an iCalendar file (RFC 5545, with the `icalendar` library)
  to add the sessions to the person's own calendar, with a reminder (VALARM).
  Nothing is sent anywhere: the browser downloads the file.

Times are the person's own wall-clock time ("floating" times in the calendar file:
10am stays 10am wherever they are). Sessions are stored in UTC and compared in the
computer's local time.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import icalendar

from escape_home.participant.db import now_iso

#: Weekday names, Monday first (``datetime.weekday()`` numbers them 0-6).
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: RFC 5545 weekday codes, in the same order.
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: Reminder choices offered: minutes before the session, and how they read.
REMINDERS = {15: "15 minutes before", 30: "30 minutes before", 60: "1 hour before"}
DEFAULT_REMINDER = 30
#: Sessions in the programme.
TOTAL_SESSIONS = 12


class PlanError(ValueError):
    """A plan that cannot be kept; the message says why, in plain words."""


@dataclass(frozen=True)
class WeekPlan:
    days: tuple[int, ...]  # 0 = Monday, sorted, no repeats
    at: time  # local wall-clock time
    reminder_min: int = DEFAULT_REMINDER
    updated_at: datetime | None = None  # UTC; planned days before it never count

    def day_names(self) -> list[str]:
        return [DAYS[d] for d in self.days]


def build_plan(days: list[str], at: str, reminder: str, per_week: int = 2) -> WeekPlan:
    """The plan from the form's answers, or a `PlanError` saying what to change."""
    chosen = sorted({int(d) for d in days if d.isdigit() and int(d) < len(DAYS)})
    if len(chosen) < per_week:
        raise PlanError(
            f"Please choose {per_week} days or more: the programme has {per_week}"
            " sessions a week."
        )
    try:
        when = time.fromisoformat(at.strip())
    except ValueError:
        raise PlanError(
            "Please give the time as hours and minutes, for example 10:00."
        ) from None
    if not reminder.isdigit() or int(reminder) not in REMINDERS:
        raise PlanError("Please choose when the calendar should remind you.")
    return WeekPlan(
        tuple(chosen), time(when.hour, when.minute), int(reminder), datetime.now(UTC)
    )


# --- storage ---------------------------------------------------------------------


def load(conn: sqlite3.Connection) -> WeekPlan | None:
    row = conn.execute("SELECT * FROM week_plan").fetchone()
    if row is None:
        return None
    return WeekPlan(
        tuple(json.loads(row["days"])),
        time.fromisoformat(row["at_time"]),
        int(row["reminder_min"]),
        datetime.fromisoformat(row["updated_at"]),
    )


def save(conn: sqlite3.Connection, plan: WeekPlan) -> None:
    conn.execute(
        "INSERT INTO week_plan (id, days, at_time, reminder_min, updated_at)"
        " VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET days = excluded.days,"
        " at_time = excluded.at_time, reminder_min = excluded.reminder_min,"
        " updated_at = excluded.updated_at",
        (
            json.dumps(list(plan.days)),
            plan.at.strftime("%H:%M"),
            plan.reminder_min,
            now_iso(),
        ),
    )


def clear(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM week_plan")


def session_starts(conn: sqlite3.Connection) -> list[datetime]:
    """When each session was begun, in the computer's local time (naive)."""
    return [
        datetime.fromisoformat(r[0]).astimezone().replace(tzinfo=None)
        for r in conn.execute("SELECT started_at FROM session ORDER BY started_at")
    ]


# --- when --------------------------------------------------------------------------


def _slot(day: date, plan: WeekPlan) -> datetime:
    return datetime.combine(day, plan.at)


def _local(when: datetime | None) -> datetime | None:
    return None if when is None else when.astimezone().replace(tzinfo=None)


def next_due(plan: WeekPlan, now: datetime, starts: list[datetime]) -> datetime:
    """The next planned session: today's if none was begun today, else the next day.

    `now` and `starts` are local, naive times.
    """
    today = now.date()
    done_today = any(s.date() == today for s in starts)
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        if day.weekday() in plan.days and not (ahead == 0 and done_today):
            return _slot(day, plan)
    raise AssertionError("a plan has at least one day")  # pragma: no cover


def missed(
    plan: WeekPlan, now: datetime, starts: list[datetime], updated: datetime | None
) -> date | None:
    """The last planned day (before today, within a week) that went by without a
    session, or None.

    A planned day counts as kept when a session was begun after the planned day
    before it (a day early or late is fine). Days planned before the plan was made
    or changed (`updated`, local naive) never count as missed.
    """
    today = now.date()
    past = [
        today - timedelta(days=back)
        for back in range(1, 8)
        if (today - timedelta(days=back)).weekday() in plan.days
    ]
    if not past:
        return None
    last = past[0]
    if updated is not None and _slot(last, plan) < updated:
        return None
    # The planned day before `last` (a week back if only one day is planned).
    before = next(
        last - timedelta(days=back)
        for back in range(1, 8)
        if (last - timedelta(days=back)).weekday() in plan.days
    )
    if any(s.date() > before for s in starts):
        return None
    return last


def say_time(at: time) -> str:
    """10am, 10:30am, 2pm, 12 noon: as people say it."""
    if at == time(12, 0):
        return "12 noon"
    hour = at.hour % 12 or 12
    mins = f":{at.minute:02d}" if at.minute else ""
    return f"{hour}{mins}{'am' if at.hour < 12 else 'pm'}"


def say_date(iso: str | None) -> str:
    """A stored UTC time as the local date people write: 'Tuesday 1 December'."""
    if not iso:
        return ""
    day = datetime.fromisoformat(iso).astimezone()
    return f"{DAYS[day.weekday()]} {day.day} {day.strftime('%B')}"


def say_day(when: datetime, now: datetime) -> str:
    """'today', 'tomorrow' or the weekday name."""
    delta = (when.date() - now.date()).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    return DAYS[when.weekday()]


@dataclass(frozen=True)
class Status:
    """What Home says about the plan."""

    next_text: str  # "Thursday at 10am"
    missed_day: str | None  # "Tuesday", when a planned day went by without one


def status(
    plan: WeekPlan, now: datetime, starts: list[datetime], done: int
) -> Status | None:
    """Home's line about the plan; None once all the sessions are done."""
    if done >= TOTAL_SESSIONS:
        return None
    due = next_due(plan, now, starts)
    gap = missed(plan, now, starts, _local(plan.updated_at))
    when = f"{say_day(due, now)} at {say_time(plan.at)}"
    if due < now:  # today's planned time has gone by, and no session yet today
        when = f"today (planned for {say_time(plan.at)})"
    return Status(
        when,
        None if gap is None else DAYS[gap.weekday()],
    )


# --- the calendar file -------------------------------------------------------------


def calendar_file(
    plan: WeekPlan,
    now: datetime,
    remaining: int,
    minutes: int,
    uid: str,
    home_url: str,
) -> bytes:
    """An iCalendar file with the remaining sessions as one repeating event.

    Args:
        plan: The week plan.
        now: Local, naive time: the first session is the next planned one after it.
        remaining: Sessions still to do (the event repeats this many times).
        minutes: About how long a session takes.
        uid: A stable identifier, so importing the file again updates the event.
        home_url: Where the app is (said in the event's description).
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//ESCAPE at home//escape-home//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", _first_after(plan, now))  # naive: a floating, wall-clock time
    event.add("duration", timedelta(minutes=minutes))
    event.add("summary", "ESCAPE-pain exercise session")
    event.add(
        "description",
        "Time for your ESCAPE-pain session. Open ESCAPE at home on your computer "
        f"({home_url}). Have a sturdy chair and something to hold on to nearby.",
    )
    event.add(
        "rrule",
        {
            "freq": "weekly",
            "byday": [_BYDAY[d] for d in plan.days],
            "count": max(1, remaining),
        },
    )
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", "Your ESCAPE-pain session starts soon.")
    alarm.add("trigger", timedelta(minutes=-plan.reminder_min))
    event.add_component(alarm)
    cal.add_component(event)
    return bytes(cal.to_ical())


def _first_after(plan: WeekPlan, now: datetime) -> datetime:
    """The first planned day and time at or after `now`."""
    for ahead in range(8):
        slot = _slot(now.date() + timedelta(days=ahead), plan)
        if slot.weekday() in plan.days and slot >= now:
            return slot
    raise AssertionError("a plan has at least one day")  # pragma: no cover
