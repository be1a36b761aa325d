"""Exports: a cohort as CSV, a participant's observations as a FHIR R4 Bundle, and the
numbers behind the participant page's charts.

Every time in both exports is UTC: the CSV's time columns end in ``_utc`` and hold
ISO 8601 times with ``+00:00``; FHIR times carry ``+00:00`` and the Bundle's
``meta.tag`` says so. Each pain score is dated when it was given: before exercise
at the session's start, after exercise at its end, next day at the time the app
recorded it (``pain_next_day_at``, progress log minor version 2; a log from an older
app has no such time, so the next-day score is dated by the day after the session,
as a date only).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from escape_home import beliefs
from escape_home.instructor import self_management
from escape_home.instructor.models import Cohort, Participant, SessionRecord
from escape_home.instructor.text import clean_name
from escape_home.lessons import load_lessons
from escape_home.participant.programme import load_programme

LOCAL_SYSTEM = "https://escape-home.example/fhir/CodeSystem/escape-home"
LOINC = "http://loinc.org"
_CSV_RISKY = ("=", "+", "-", "@", "\t", "\r")

#: What each CSV row is: a session, or one of the participant's self-management
#: tools (the flare-up plan, a pacing plan, a question for class).
RECORD_KINDS = ("session", "flare_plan", "pacing_plan", "class_question")
#: ... and the education records (issue 14; `education_rows`, at the end).
EDUCATION_KINDS = ("belief_check", "lesson")

CSV_COLUMNS = (
    "record",
    "participant_id",
    "nickname",
    "joint",
    "session_number",
    "session_id",
    "status",
    "started_at_utc",
    "ended_at_utc",
    "pain_before",
    "pain_after",
    "pain_next_day",
    "pain_next_day_at_utc",
    "exertion",
    "safety_any_yes",
    "safety_yes_answers",
    "total_reps",
    "exercises",
    "fault_count",
    "recorded_at_utc",
    "detail",
)


def _cell(value: Any) -> str:
    """Text for a CSV cell; neutralises formulas (CSV injection) from hostile input."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_RISKY) else text


def _utc(when: datetime | None) -> str:
    return "" if when is None else when.astimezone(UTC).isoformat()


def _session_data(s: SessionRecord) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(s.data)
    return data


def next_day_pain_at(s: SessionRecord) -> datetime | None:
    """When the next-day pain was scored, if the app said so (log minor version 2)."""
    text = _session_data(s).get("pain_next_day_at")
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def _yes_answers(s: SessionRecord) -> list[str]:
    check = _session_data(s).get("safety_check") or {}
    return sorted(k for k, v in (check.get("answers") or {}).items() if v)


def _tool_rows(p: Participant) -> list[dict[str, Any]]:
    """The participant's self-management tools as CSV rows (record, time, detail)."""
    tools = self_management.tools(p)
    rows: list[dict[str, Any]] = []
    if tools.flare_plan is not None:
        detail = "; ".join(
            f"{title}: {' / '.join(lines)}" for title, lines in tools.flare_lines
        )
        rows.append(
            {
                "record": "flare_plan",
                "recorded_at_utc": _utc(tools.flare_plan["updated_at"]),
                "detail": detail,
            }
        )
    for plan in tools.pacing_plans:
        rows.append(
            {
                "record": "pacing_plan",
                "recorded_at_utc": _utc(datetime.fromisoformat(plan["created_at"])),
                "detail": (
                    f"{plan['activity']}: usual {plan['usual_min']} min; minutes "
                    f"week by week: {', '.join(str(m) for m in plan['weeks'])}"
                    + (f"; goal {plan['goal_min']} min" if plan["goal_min"] else "")
                ),
            }
        )
    for q in sorted(tools.questions, key=lambda q: q["asked_at"]):
        rows.append(
            {
                "record": "class_question",
                "recorded_at_utc": _utc(q["asked_at"]),
                "detail": q["text"],
            }
        )
    return rows


def cohort_csv(cohort: Cohort) -> str:
    """One row per stored session of every participant in `cohort`, then one per
    self-management tool they shared (column ``record`` tells which). Times are UTC."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for p in cohort.participants:
        who = {
            "participant_id": p.public_id,
            "nickname": clean_name(p.nickname),  # also rows stored before cleaning
            "joint": p.joint,
        }
        rows: list[dict[str, Any]] = []
        for s in sorted(p.sessions, key=lambda s: (s.started_at, s.number)):
            summary = json.loads(s.summary)
            faults = sum(sum(f.values()) for f in summary["faults"].values())
            rows.append(
                {
                    "record": "session",
                    "session_number": s.number,
                    "session_id": s.uuid,
                    "status": s.status,
                    "started_at_utc": _utc(s.started_at),
                    "ended_at_utc": _utc(s.ended_at),
                    "pain_before": s.pain_before,
                    "pain_after": s.pain_after,
                    "pain_next_day": s.pain_next_day,
                    "pain_next_day_at_utc": _utc(next_day_pain_at(s)),
                    "exertion": s.exertion,
                    "safety_any_yes": "yes" if s.safety_any_yes else "no",
                    "safety_yes_answers": " ".join(_yes_answers(s)),
                    "total_reps": s.total_reps,
                    "exercises": " ".join(sorted(summary["reps"])),
                    "fault_count": faults,
                }
            )
        rows.extend(_tool_rows(p))
        rows.extend(education_rows(p))
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in {**who, **row}.items()})
    return buf.getvalue()


def _coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {
        "coding": [{"system": system, "code": code, "display": display}],
        "text": display,
    }


_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_UCUM = "http://unitsofmeasure.org"
#: Observation.status of a session's activity record: only a completed session is
#: final; one still going is preliminary; one stopped early (by the person, a
#: safety "yes" or a crash) is "cancelled", FHIR's word for a measurement that was
#: started and not completed.
SESSION_STATUS = {
    "completed": "final",
    "in_progress": "preliminary",
    "interrupted": "cancelled",
}
_CATEGORIES = {
    "activity": "Activity",
    "survey": "Survey",
    "exam": "Exam",
    "social-history": "Social History",
}
_UTC_TAG = {
    "system": f"{LOCAL_SYSTEM}/meta",
    "code": "times-utc",
    "display": "All times are UTC (+00:00)",
}


def _obs(
    oid: str,
    subject: str,
    code: dict[str, Any],
    when: dict[str, Any],
    *,
    category: str = "activity",
    status: str = "final",
    **value: Any,
) -> dict[str, Any]:
    return {
        "fullUrl": f"urn:uuid:{oid}",
        "resource": {
            "resourceType": "Observation",
            "id": oid,
            "status": status,
            "category": [_coding(_CATEGORY, category, _CATEGORIES[category])],
            "code": code,
            "subject": {"reference": subject},
            **when,
            **value,
        },
    }


def _at(when: datetime) -> dict[str, Any]:
    return {"effectiveDateTime": when.astimezone(UTC).isoformat()}


_PAIN_LOINC = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
#: Which pain score: the same LOINC code plus a local code naming when it was given.
PAIN_CODES = {
    "pain_before": ("pain-before-exercise", "Pain before exercise (0-10)"),
    "pain_after": ("pain-after-exercise", "Pain after exercise (0-10)"),
    "pain_next_day": ("pain-next-day", "Pain the day after exercise (0-10)"),
}
EXERTION_CODE = ("exertion-rpe-0-10", "Rate of perceived exertion, 0-10 (RPE)")
SAFETY_CODE = ("safety-check", "Pre-exercise safety questions")


def _pain_code(fld: str) -> dict[str, Any]:
    code, display = PAIN_CODES[fld]
    return {
        "coding": [
            _PAIN_LOINC,
            {"system": LOCAL_SYSTEM, "code": code, "display": display},
        ],
        "text": display,
    }


def _pain_when(s: SessionRecord, fld: str) -> dict[str, Any]:
    if fld == "pain_before":
        return _at(s.started_at)
    if fld == "pain_after":
        return _at(s.ended_at or s.started_at)
    scored = next_day_pain_at(s)
    if scored is not None:
        return _at(scored)
    # An older app did not say when: the day after the session (a date only).
    day = (s.ended_at or s.started_at).astimezone(UTC).date() + timedelta(days=1)
    return {"effectiveDateTime": day.isoformat()}


def _safety_texts() -> dict[str, str]:
    return {q["key"]: q["text"] for q in load_programme().safety_questions}


def _session_obs(
    s: SessionRecord, subject: str, texts: dict[str, str]
) -> list[dict[str, Any]]:
    sid = s.uuid
    label = f"Session {s.number}"

    def oid(part: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/{part}"))

    out: list[dict[str, Any]] = []
    for fld in PAIN_CODES:
        score = getattr(s, fld)
        if score is not None:
            out.append(
                _obs(
                    oid(fld),
                    subject,
                    _pain_code(fld),
                    _pain_when(s, fld),
                    category="survey",
                    valueInteger=score,
                    note=[{"text": f"{label}, {PAIN_CODES[fld][1]}"}],
                )
            )
    if s.exertion is not None:
        out.append(
            _obs(
                oid("exertion"),
                subject,
                _coding(LOCAL_SYSTEM, *EXERTION_CODE),
                _at(s.ended_at or s.started_at),
                category="survey",
                valueInteger=s.exertion,
                note=[{"text": f"{label}, how hard it felt"}],
            )
        )
    check = _session_data(s).get("safety_check")
    if check is not None:
        answers: dict[str, bool] = check.get("answers") or {}
        out.append(
            _obs(
                oid("safety"),
                subject,
                _coding(LOCAL_SYSTEM, *SAFETY_CODE),
                _at(s.started_at),
                category="survey",
                valueBoolean=bool(check.get("any_yes")),
                note=[{"text": f"{label}: any 'yes' answer stops the session"}],
                component=[
                    {
                        "code": {
                            "coding": [
                                {
                                    "system": LOCAL_SYSTEM,
                                    "code": f"safety-{key}",
                                    "display": texts.get(key, key),
                                }
                            ],
                            "text": texts.get(key, key),
                        },
                        "valueBoolean": bool(value),
                    }
                    for key, value in sorted(answers.items())
                ],
            )
        )
    components: list[dict[str, Any]] = []
    if s.ended_at is not None:
        minutes = round((s.ended_at - s.started_at).total_seconds() / 60, 1)
        components.append(
            {
                "code": _coding(LOINC, "55411-3", "Exercise duration"),
                "valueQuantity": {
                    "value": minutes,
                    "unit": "min",
                    "system": _UCUM,
                    "code": "min",
                },
            }
        )
    for ex, n in sorted(json.loads(s.summary)["reps"].items()):
        components.append(
            {
                "code": _coding(LOCAL_SYSTEM, f"reps-{ex}", f"Repetitions: {ex}"),
                "valueQuantity": {"value": n, "unit": "reps"},
            }
        )
    period = {"start": s.started_at.astimezone(UTC).isoformat()}
    if s.ended_at is not None:
        period["end"] = s.ended_at.astimezone(UTC).isoformat()
    out.append(
        _obs(
            sid,
            subject,
            _coding(LOINC, "73985-4", "Exercise activity"),
            {"effectivePeriod": period},
            status=SESSION_STATUS.get(s.status, "unknown"),
            valueString=f"ESCAPE-pain session {s.number} ({s.status})",
            component=components,
        )
    )
    return out


def _test_obs(t: Any, subject: str) -> dict[str, Any]:
    code = "chair-stand-30s" if t.kind == "chair_stand_30s" else "five-times-sts"
    extra: dict[str, Any] = {}
    norm = json.loads(t.data).get("norm") or {}
    band = _norm_band(t.data)
    if band["low"] is not None:
        extra["referenceRange"] = [
            {
                "low": {"value": band["low"], "unit": t.unit},
                "high": {"value": band["high"], "unit": t.unit},
                "text": f"Usual range for {norm.get('band') or 'this age and sex'}",
            }
        ]
    if isinstance(norm.get("rating"), str):
        extra["interpretation"] = [{"text": f"{norm['rating']} the usual range"}]
    return _obs(
        t.uuid,
        subject,
        _coding(LOCAL_SYSTEM, code, t.kind.replace("_", " ")),
        _at(t.taken_at),
        category="exam",
        valueQuantity={"value": t.result, "unit": t.unit},
        **extra,
    )


def _tool_obs(p: Participant, subject: str) -> list[dict[str, Any]]:
    """The self-management tools as observations (category social-history)."""
    out: list[dict[str, Any]] = []
    for row in _tool_rows(p) + education_rows(p):
        kind = row["record"]
        out.append(
            _obs(
                str(
                    uuid.uuid5(
                        uuid.NAMESPACE_URL,
                        f"{p.public_id}/{kind}/{row['recorded_at_utc']}/{row['detail']}",
                    )
                ),
                subject,
                _coding(LOCAL_SYSTEM, kind.replace("_", "-"), kind.replace("_", " ")),
                {"effectiveDateTime": row["recorded_at_utc"]},
                category="social-history",
                valueString=row["detail"],
            )
        )
    return out


def participant_fhir(participant: Participant) -> dict[str, Any]:
    """A FHIR R4 ``Bundle`` (type collection) of the participant's observations.

    Pain scores use LOINC 72514-3 with a second, local coding naming which score
    (before, after exercise, next day), each dated when it was given; exertion
    (RPE 0-10) and the safety questions (one component per question) use local
    codes; each session is an "Exercise activity" (73985-4) observation over its
    period, with an "Exercise duration" (55411-3) component in minutes and a reps
    component per exercise, ``final`` only when completed; test results carry the
    norm band as ``referenceRange``; the self-management tools follow. The subject
    is the pseudonymous participant ID, never a name. Times are UTC.
    """
    subject = f"Patient/{participant.public_id}"
    texts = _safety_texts()
    entries: list[dict[str, Any]] = []
    for s in sorted(participant.sessions, key=lambda s: s.started_at):
        entries.extend(_session_obs(s, subject, texts))
    entries.extend(_test_obs(t, subject) for t in participant.tests)
    entries.extend(_tool_obs(participant, subject))
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "meta": {"tag": [_UTC_TAG]},
        "entry": entries,
    }


def _norm_band(data: str) -> dict[str, Any]:
    norm = json.loads(data).get("norm") or {}
    low, high = norm.get("low"), norm.get("high")
    ok = all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)
    )
    return {"low": low, "high": high} if ok else {"low": None, "high": None}


def chart_data(participant: Participant) -> dict[str, Any]:
    """The numbers behind the participant page's charts (all plain JSON)."""
    sessions = sorted(participant.sessions, key=lambda s: (s.started_at, s.number))
    labels = [f"S{s.number}" for s in sessions]
    summaries = [json.loads(s.summary) for s in sessions]
    exercises = sorted({ex for sm in summaries for ex in sm["reps"]})
    faults: dict[str, Counter[str]] = {}
    for sm in summaries:
        for ex, counts in sm["faults"].items():
            faults.setdefault(ex, Counter()).update(counts)
    return {
        "labels": labels,
        "pain": {
            "before": [s.pain_before for s in sessions],
            "after": [s.pain_after for s in sessions],
            "next_day": [s.pain_next_day for s in sessions],
        },
        "reps": {ex: [sm["reps"].get(ex) for sm in summaries] for ex in exercises},
        "rom": {ex: [sm["rom"].get(ex) for sm in summaries] for ex in exercises},
        "faults": {ex: dict(c) for ex, c in sorted(faults.items())},
        "tests": [
            {
                "kind": t.kind,
                "taken_at": t.taken_at.date().isoformat(),
                "result": t.result,
                "unit": t.unit,
                **_norm_band(t.data),
            }
            for t in participant.tests
        ],
    }


# --- Education records (issue 14 items 4-5): beliefs checks and lessons read ---------


def education_rows(p: Participant) -> list[dict[str, Any]]:
    """The participant's education records as CSV rows (record, time, detail), which
    the FHIR Bundle carries too: one ``belief_check`` per finished check (its two
    scores, 0-10, from the app's own scale, not a validated measure) and one
    ``lesson`` per lesson opened (opened, finished, answered). Empty for a
    participant whose app has sent none (older apps)."""
    data: dict[str, Any] = json.loads(p.education or "{}")
    scale = beliefs.load_scale()
    names = {s.key: s.name for s in scale.stages}
    rows: list[dict[str, Any]] = []
    for c in sorted(data.get("belief_checks", []), key=lambda c: c["finished_at"]):
        scores = beliefs.score(c["answers"], scale)
        parts = [
            f"{m.instructor.split(' (')[0]} {scores[m.key]:g} of 10"
            for m in scale.measures
            if scores[m.key] is not None
        ]
        rows.append(
            {
                "record": "belief_check",
                "session_number": c["session_number"],
                "recorded_at_utc": _utc(datetime.fromisoformat(c["finished_at"])),
                "detail": f"{names.get(c['stage'], c['stage'])}: "
                + "; ".join(parts)
                + f" ({beliefs.NOT_VALIDATED})",
            }
        )
    lessons = {lesson.number: lesson for lesson in load_lessons()}
    for rec in sorted(data.get("lessons", []), key=lambda r: r["number"]):
        lesson = lessons[rec["number"]]
        right = sum(bool(a["correct"]) for a in rec["answers"])
        rows.append(
            {
                "record": "lesson",
                "session_number": rec["number"],
                "recorded_at_utc": _utc(datetime.fromisoformat(rec["first_opened_at"])),
                "detail": (
                    f"Lesson {lesson.number}: {lesson.title}; opened "
                    f"{rec['times_opened']} time(s); finished: "
                    f"{'yes' if rec['finished_at'] else 'no'}; answered "
                    f"{len(rec['answers'])} of {len(lesson.questions)}, {right} right "
                    "first time"
                ),
            }
        )
    return rows
