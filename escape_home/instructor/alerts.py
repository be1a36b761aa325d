"""What the class view shows per participant: progress, pain trend and alerts that
triage.

Alert rules (docs/escape-pain.md §1.6; the thresholds are engineering heuristics that
need clinician sign-off). Each class sets its own thresholds (`Thresholds`, columns
of `Cohort`); the defaults are the programme's pain rules:

* **safety**: any "yes" in the pre-session safety check, naming the question(s)
  answered yes (chest pain first of all);
* **pain_after**: pain after exercise above 5, or at least 2 points above the pain
  before; not when the pain eased during the session (after below before), and not
  once it has improved since (a later session scored lower after exercise);
* **next_day**: next-day pain above that session's pre-exercise pain on 2 sessions
  in a row (of the sessions with both scores), still going on: not once a later
  session's next-day pain settled;
* **missed**: 2 or more sessions behind the class's schedule (sessions per week since
  the start date, at most 12);
* **form**: the same fault on at least half the reps of an exercise in a session (at
  least 4 reps), or in 2 of the last 3 sessions.

Triage: alerts are ordered by urgency (`URGENCY`). An instructor acknowledges an
alert (being followed up) or resolves it, with a note (`AlertReview`). Each alert
rests on evidence (`Alert.evidence`: the sessions behind it, or how far behind the
schedule); a reviewed alert opens again only when it rests on something the review
did not see: a later session that triggers it again, or falling further behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from escape_home.instructor.models import (
    AlertReview,
    Cohort,
    Participant,
    SessionRecord,
)
from escape_home.participant.programme import load_programme

PROGRAMME_SESSIONS = 12

#: Review states an instructor can give an alert (the form offers exactly these).
REVIEW_STATES = ("acknowledged", "resolved")

#: Lower is more urgent. A safety "yes" to chest pain comes first of all.
URGENCY = {
    "safety_emergency": 0,
    "safety": 1,
    "pain_high": 2,
    "next_day": 3,
    "pain_rise": 4,
    "missed": 5,
    "form": 6,
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A class's alert thresholds; the defaults are the programme's pain rules."""

    pain_above: int = 5
    pain_rise: int = 2
    next_day_sessions: int = 2
    behind: int = 2
    fault_percent: int = 50

    @classmethod
    def of(cls, cohort: Cohort) -> Thresholds:
        """The cohort's thresholds (a column not set yet takes its default)."""
        d = cls()
        return cls(
            pain_above=_or(cohort.alert_pain_above, d.pain_above),
            pain_rise=_or(cohort.alert_pain_rise, d.pain_rise),
            next_day_sessions=_or(cohort.alert_next_day_sessions, d.next_day_sessions),
            behind=_or(cohort.alert_behind, d.behind),
            fault_percent=_or(cohort.alert_fault_percent, d.fault_percent),
        )


def _or(value: int | None, default: int) -> int:
    return default if value is None else int(value)


@dataclass(frozen=True, slots=True)
class Alert:
    """One thing the instructor should look at.

    `text` says what happened with its numbers; `reason` the rule and threshold
    that made it an alert; `evidence` what it rests on (for re-raising)."""

    kind: str
    text: str
    session: int | None = None
    key: str = ""
    urgency: int = 9
    reason: str = ""
    evidence: tuple[str, ...] = ()
    status: str = "open"
    review: AlertReview | None = None

    @property
    def open(self) -> bool:
        return self.status == "open"


@dataclass(slots=True)
class ParticipantSummary:
    """One row of the class view."""

    participant: Participant
    sessions_done: int
    last_activity: datetime | None
    pain_trend: list[int]
    trend: str
    alerts: list[Alert] = field(default_factory=list)
    """Open alerts, most urgent first."""
    reviewed: list[Alert] = field(default_factory=list)
    """Acknowledged or resolved alerts with nothing new since (most urgent first)."""


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


def _sessions_text(numbers: Sequence[int]) -> str:
    words = [str(n) for n in numbers]
    if len(words) == 1:
        return f"session {words[0]}"
    return f"sessions {', '.join(words[:-1])} and {words[-1]}"


def pain_alerts(
    sessions: Sequence[SessionRecord], limits: Thresholds | None = None
) -> list[Alert]:
    """Pain after exercise, and next-day pain, per the rules in the module docstring."""
    t = limits or Thresholds()
    out: list[Alert] = []

    def triggers(s: SessionRecord) -> bool:
        before, after = s.pain_before, s.pain_after
        if after is None or (before is not None and after < before):
            return False  # not scored, or it eased during the session
        return after > t.pain_above or (
            before is not None and after - before >= t.pain_rise
        )

    hits = [s for s in sessions if triggers(s)]
    if hits:
        last = hits[-1]
        assert last.pain_after is not None
        later = sessions[sessions.index(last) + 1 :]
        improved = any(
            s.pain_after is not None and s.pain_after < last.pain_after for s in later
        )
        if not improved:
            before = last.pain_before
            high = last.pain_after > t.pain_above
            numbers = f"Pain {last.pain_after}/10 after session {last.number}"
            if before is not None:
                numbers += f" (before: {before}, {last.pain_after - before:+d})"
            also = [s.number for s in hits[:-1]]
            if also:
                numbers += f"; also after {_sessions_text(also)}"
            out.append(
                Alert(
                    "pain_after",
                    numbers,
                    last.number,
                    key="pain_after",
                    urgency=URGENCY["pain_high" if high else "pain_rise"],
                    reason=(
                        f"Alert when pain after exercise is above {t.pain_above}/10 "
                        f"or at least {t.pain_rise} points above the pain before "
                        "(not when it eased during the session or has improved "
                        "since)."
                    ),
                    evidence=tuple(s.uuid for s in hits),
                )
            )
    scored = [
        s for s in sessions if s.pain_next_day is not None and s.pain_before is not None
    ]
    streak: list[SessionRecord] = []
    for s in scored:
        assert s.pain_next_day is not None and s.pain_before is not None
        streak = [*streak, s] if s.pain_next_day > s.pain_before else []
    if len(streak) >= t.next_day_sessions:
        pairs = ", ".join(f"{s.pain_before} → {s.pain_next_day}" for s in streak)
        out.append(
            Alert(
                "next_day",
                "Next-day pain above pre-session pain after "
                f"{_sessions_text([s.number for s in streak])} ({pairs})",
                streak[-1].number,
                key="next_day",
                urgency=URGENCY["next_day"],
                reason=(
                    "Alert when next-day pain is above the pain before the session "
                    f"on {t.next_day_sessions} sessions in a row (still going on)."
                ),
                evidence=tuple(s.uuid for s in streak),
            )
        )
    return out


def fault_alerts(
    sessions: Sequence[SessionRecord], limits: Thresholds | None = None
) -> list[Alert]:
    """Repeated form faults (see the module docstring)."""
    t = limits or Thresholds()
    out: list[Alert] = []
    recent: dict[tuple[str, str], list[str]] = {}
    reported: set[tuple[str, str]] = set()
    why = (
        f"Alert when a fault is on at least {t.fault_percent}% of an exercise's reps "
        "in a session (at least 4 reps), or in 2 of the last 3 sessions."
    )
    for s in sessions[-3:]:
        summary: dict[str, Any] = json.loads(s.summary)
        for ex, faults in summary["faults"].items():
            reps = summary["reps"].get(ex, 0)
            for key, n in faults.items():
                recent.setdefault((ex, key), []).append(s.uuid)
                cue = summary["cues"].get(key, key)
                share = n * 100 / reps if reps else 0
                if reps >= 4 and share >= t.fault_percent and (ex, key) not in reported:
                    reported.add((ex, key))
                    out.append(
                        Alert(
                            "form",
                            f"{_label(ex)}: “{cue}” on {n} of {reps} reps "
                            f"({share:.0f}%) in session {s.number}",
                            s.number,
                            key=f"form:{ex}:{key}",
                            urgency=URGENCY["form"],
                            reason=why,
                            evidence=(s.uuid,),
                        )
                    )
    for (ex, key), with_fault in recent.items():
        if len(with_fault) >= 2 and (ex, key) not in reported:
            out.append(
                Alert(
                    "form",
                    f"{_label(ex)}: {key.replace('_', ' ')} in "
                    f"{len(with_fault)} of the last {min(3, len(sessions))} sessions",
                    key=f"form:{ex}:{key}",
                    urgency=URGENCY["form"],
                    reason=why,
                    evidence=tuple(with_fault),
                )
            )
    return out


@lru_cache(maxsize=1)
def safety_questions() -> dict[str, dict[str, Any]]:
    """The programme's safety questions by key (text, and whether an emergency)."""
    return {q["key"]: q for q in load_programme().safety_questions}


def safety_answers(session: SessionRecord) -> dict[str, bool]:
    """The safety-check answers of a stored session (key: answered yes)."""
    data: dict[str, Any] = json.loads(session.data or "{}")
    check = data.get("safety_check") or {}
    answers = check.get("answers") or {}
    return {str(k): bool(v) for k, v in answers.items()}


def question_text(key: str) -> str:
    q = safety_questions().get(key)
    return str(q["text"]) if q else key.replace("_", " ").capitalize() + "?"


def safety_alerts(sessions: Sequence[SessionRecord]) -> list[Alert]:
    """One alert for every "yes" of the safety check, naming the latest questions."""
    yes = [s for s in sessions if s.safety_any_yes]
    if not yes:
        return []
    last = yes[-1]
    keys = [k for k, v in safety_answers(last).items() if v]
    emergency = any(safety_questions().get(k, {}).get("emergency") for k in keys)
    named = "; ".join(f"“{question_text(k)}”" for k in keys) or "(question not sent)"
    text = f"Safety check before session {last.number}: “yes” to {named}"
    also = [s.number for s in yes[:-1]]
    if also:
        text += f"; also a “yes” before {_sessions_text(also)}"
    return [
        Alert(
            "safety",
            text,
            last.number,
            key="safety",
            urgency=URGENCY["safety_emergency" if emergency else "safety"],
            reason="Any “yes” in the safety check before a session is an alert; "
            "the app stopped that session.",
            evidence=tuple(s.uuid for s in yes),
        )
    ]


def _label(exercise: str) -> str:
    return exercise.replace("_", " ").capitalize()


def reviews_for(
    db: Session, participant_ids: Iterable[int]
) -> dict[int, dict[str, AlertReview]]:
    """Every alert review of these participants: {participant id: {key: review}}."""
    ids = list(participant_ids)
    out: dict[int, dict[str, AlertReview]] = {i: {} for i in ids}
    if ids:
        for r in db.scalars(
            select(AlertReview).where(AlertReview.participant_id.in_(ids))
        ):
            out[r.participant_id][r.key] = r
    return out


def apply_reviews(
    alerts: Iterable[Alert], reviews: Mapping[str, AlertReview]
) -> list[Alert]:
    """Mark each alert with its review, unless it rests on something new since."""
    out = []
    for a in alerts:
        r = reviews.get(a.key)
        if r is None:
            out.append(a)
            continue
        seen = set(json.loads(r.evidence))
        if set(a.evidence) - seen:
            out.append(replace(a, review=r))  # new evidence: open again
        else:
            out.append(replace(a, status=r.status, review=r))
    return out


def summarise_participant(
    participant: Participant,
    cohort: Cohort,
    today: date,
    reviews: Mapping[str, AlertReview] | None = None,
) -> ParticipantSummary:
    """Build the class-view row for one participant."""
    limits = Thresholds.of(cohort)
    sessions = sorted(participant.sessions, key=lambda s: (s.started_at, s.number))
    done = len({s.number for s in sessions if s.status == "completed"})
    alerts = safety_alerts(sessions) + pain_alerts(sessions, limits)
    alerts += fault_alerts(sessions, limits)
    expected = expected_sessions(cohort, today)
    missed = expected - done
    if missed >= limits.behind:
        alerts.append(
            Alert(
                "missed",
                f"{missed} sessions behind the schedule ({done} done, {expected} "
                "expected by today)",
                key="missed",
                urgency=URGENCY["missed"],
                reason=f"Alert at {limits.behind} or more sessions behind "
                f"{cohort.sessions_per_week} a week from "
                f"{cohort.start_date.strftime('%-d %B %Y')}.",
                evidence=tuple(f"behind:{n}" for n in range(1, missed + 1)),
            )
        )
    marked = apply_reviews(alerts, reviews or {})
    marked.sort(key=lambda a: a.urgency)  # stable: rule order within one urgency
    trend = [s.pain_before for s in sessions if s.pain_before is not None]
    last = max((s.ended_at or s.started_at for s in sessions), default=None)
    return ParticipantSummary(
        participant=participant,
        sessions_done=min(done, PROGRAMME_SESSIONS),
        last_activity=last,
        pain_trend=trend,
        trend=_trend_word(trend),
        alerts=[a for a in marked if a.open],
        reviewed=[a for a in marked if not a.open],
    )


def triage(rows: Iterable[ParticipantSummary]) -> list[tuple[Alert, Participant]]:
    """Every open alert of a class, most urgent first (then the latest session)."""
    found = [(a, r.participant) for r in rows for a in r.alerts]
    found.sort(key=lambda ap: (ap[0].urgency, -(ap[0].session or 0)))
    return found
