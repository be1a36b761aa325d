"""What the cohort view shows per participant: progress, pain trend and alerts.

Alert rules (docs/escape-pain.md §1.6; the thresholds are engineering heuristics that
need clinician sign-off):

* pain after exercise at least 2 points above pain before, or above 5;
* next-day pain above that session's pre-exercise pain on 2 sessions in a row;
* missed sessions: 2 or more behind the cohort's schedule (sessions per week since
  the start date, at most 12);
* repeated form fault: the same fault on at least half the reps of an exercise in a
  session (at least 4 reps), or in 2 of the last 3 sessions;
* any "yes" in the pre-session safety check.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from escape_home.instructor.models import Cohort, Participant, SessionRecord

PROGRAMME_SESSIONS = 12


@dataclass(frozen=True, slots=True)
class Alert:
    """One thing the instructor should look at."""

    kind: str
    text: str
    session: int | None = None


@dataclass(slots=True)
class ParticipantSummary:
    """One row of the cohort view."""

    participant: Participant
    sessions_done: int
    last_activity: datetime | None
    pain_trend: list[int]
    trend: str
    alerts: list[Alert] = field(default_factory=list)


def expected_sessions(cohort: Cohort, today: date) -> int:
    """Sessions the schedule expects to have happened by `today` (0-12)."""
    days = (today - cohort.start_date).days
    if days < 0:
        return 0
    return min(PROGRAMME_SESSIONS, int(days / 7 * cohort.sessions_per_week))


def _trend_word(values: Sequence[int]) -> str:
    if len(values) < 2:
        return "not enough data"
    first = sum(values[:2]) / len(values[:2])
    last = sum(values[-2:]) / len(values[-2:])
    if last <= first - 1:
        return "improving"
    if last >= first + 1:
        return "worse"
    return "steady"


def pain_alerts(sessions: Sequence[SessionRecord]) -> list[Alert]:
    """Pain after exercise, and next-day pain, per the rules in the module docstring."""
    out: list[Alert] = []
    for s in sessions:
        before, after = s.pain_before, s.pain_after
        if after is not None and (
            after > 5 or (before is not None and after - before >= 2)
        ):
            was = f" (before: {before})" if before is not None else ""
            out.append(
                Alert(
                    "pain_after",
                    f"Pain {after}/10 after session {s.number}{was}",
                    s.number,
                )
            )
    streak: list[SessionRecord] = []
    for s in sessions:
        if (
            s.pain_next_day is not None
            and s.pain_before is not None
            and s.pain_next_day > s.pain_before
        ):
            streak.append(s)
            if len(streak) == 2:
                out.append(
                    Alert(
                        "next_day",
                        "Next-day pain above pre-session pain after "
                        f"sessions {streak[0].number} and {streak[1].number}",
                        s.number,
                    )
                )
        else:
            streak = []
    return out


def fault_alerts(sessions: Sequence[SessionRecord]) -> list[Alert]:
    """Repeated form faults (see the module docstring)."""
    out: list[Alert] = []
    recent: dict[tuple[str, str], int] = {}
    reported: set[tuple[str, str]] = set()
    for s in sessions[-3:]:
        summary: dict[str, Any] = json.loads(s.summary)
        for ex, faults in summary["faults"].items():
            reps = summary["reps"].get(ex, 0)
            for key, n in faults.items():
                recent[(ex, key)] = recent.get((ex, key), 0) + 1
                cue = summary["cues"].get(key, key)
                if reps >= 4 and n * 2 >= reps and (ex, key) not in reported:
                    reported.add((ex, key))
                    out.append(
                        Alert(
                            "form",
                            f"{_label(ex)}: “{cue}” on {n} of {reps} reps "
                            f"in session {s.number}",
                            s.number,
                        )
                    )
    for (ex, key), sessions_with in recent.items():
        if sessions_with >= 2 and (ex, key) not in reported:
            out.append(
                Alert(
                    "form",
                    f"{_label(ex)}: {key.replace('_', ' ')} in "
                    f"{sessions_with} of the last sessions",
                )
            )
    return out


def _label(exercise: str) -> str:
    return exercise.replace("_", " ").capitalize()


def summarise_participant(
    participant: Participant, cohort: Cohort, today: date
) -> ParticipantSummary:
    """Build the cohort-view row for one participant."""
    sessions = sorted(participant.sessions, key=lambda s: (s.started_at, s.number))
    done = len({s.number for s in sessions if s.status == "completed"})
    alerts = pain_alerts(sessions)
    for s in sessions:
        if s.safety_any_yes:
            alerts.append(
                Alert(
                    "safety",
                    f"Safety check: “yes” answered before session {s.number}",
                    s.number,
                )
            )
    alerts += fault_alerts(sessions)
    missed = expected_sessions(cohort, today) - done
    if missed >= 2:
        alerts.append(Alert("missed", f"{missed} sessions behind the schedule"))
    trend = [s.pain_before for s in sessions if s.pain_before is not None]
    last = max((s.ended_at or s.started_at for s in sessions), default=None)
    return ParticipantSummary(
        participant=participant,
        sessions_done=min(done, PROGRAMME_SESSIONS),
        last_activity=last,
        pain_trend=trend,
        trend=_trend_word(trend),
        alerts=alerts,
    )
