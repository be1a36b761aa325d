"""Exports: a cohort as CSV, a participant's observations as a FHIR R4 Bundle, and the
numbers behind the participant page's charts."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import Counter
from typing import Any

from escape_home.instructor.models import Cohort, Participant
from escape_home.instructor.text import clean_name

LOCAL_SYSTEM = "https://escape-home.example/fhir/CodeSystem/escape-home"
LOINC = "http://loinc.org"
_CSV_RISKY = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "participant_id",
    "nickname",
    "joint",
    "session_number",
    "session_id",
    "status",
    "started_at",
    "ended_at",
    "pain_before",
    "pain_after",
    "pain_next_day",
    "exertion",
    "safety_any_yes",
    "total_reps",
    "exercises",
    "fault_count",
)


def _cell(value: Any) -> str:
    """Text for a CSV cell; neutralises formulas (CSV injection) from hostile input."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_RISKY) else text


def cohort_csv(cohort: Cohort) -> str:
    """One row per stored session of every participant in `cohort`."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for p in cohort.participants:
        for s in sorted(p.sessions, key=lambda s: (s.started_at, s.number)):
            summary = json.loads(s.summary)
            faults = sum(sum(f.values()) for f in summary["faults"].values())
            row = (
                p.public_id,
                clean_name(p.nickname),  # also rows stored before names were cleaned
                p.joint,
                s.number,
                s.uuid,
                s.status,
                s.started_at.isoformat(),
                s.ended_at.isoformat() if s.ended_at else "",
                s.pain_before,
                s.pain_after,
                s.pain_next_day,
                s.exertion,
                "yes" if s.safety_any_yes else "no",
                s.total_reps,
                " ".join(sorted(summary["reps"])),
                faults,
            )
            writer.writerow([_cell(v) for v in row])
    return buf.getvalue()


def _coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {
        "coding": [{"system": system, "code": code, "display": display}],
        "text": display,
    }


def _obs(
    oid: str, subject: str, code: dict[str, Any], when: str, **value: Any
) -> dict[str, Any]:
    return {
        "fullUrl": f"urn:uuid:{oid}",
        "resource": {
            "resourceType": "Observation",
            "id": oid,
            "status": "final",
            "category": [
                _coding(
                    "http://terminology.hl7.org/CodeSystem/observation-category",
                    "activity",
                    "Activity",
                )
            ],
            "code": code,
            "subject": {"reference": subject},
            "effectiveDateTime": when,
            **value,
        },
    }


_PAIN = _coding(
    LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
)
_PAIN_WHEN = {
    "pain_before": "before exercise",
    "pain_after": "after exercise",
    "pain_next_day": "next day",
}


def participant_fhir(participant: Participant) -> dict[str, Any]:
    """A FHIR R4 ``Bundle`` (type collection) of the participant's observations.

    Pain scores use LOINC 72514-3; each session is an "Exercise activity" (73985-4)
    observation with an "Exercise duration" (55411-3) component in minutes and a
    reps component per exercise (local code: no LOINC exists); test results use
    local codes. The subject is the pseudonymous participant ID, never a name.
    """
    subject = f"Patient/{participant.public_id}"
    entries: list[dict[str, Any]] = []
    for s in sorted(participant.sessions, key=lambda s: s.started_at):
        when = s.started_at.isoformat()
        for fld, label in _PAIN_WHEN.items():
            score = getattr(s, fld)
            if score is not None:
                entries.append(
                    _obs(
                        str(uuid.uuid5(uuid.NAMESPACE_URL, f"{s.uuid}/{fld}")),
                        subject,
                        _PAIN,
                        when,
                        valueInteger=score,
                        note=[{"text": f"Session {s.number}, {label}"}],
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
                        "system": "http://unitsofmeasure.org",
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
        entries.append(
            _obs(
                s.uuid,
                subject,
                _coding(LOINC, "73985-4", "Exercise activity"),
                when,
                valueString=f"ESCAPE-pain session {s.number} ({s.status})",
                component=components,
            )
        )
    for t in participant.tests:
        code = "chair-stand-30s" if t.kind == "chair_stand_30s" else "five-times-sts"
        unit = {"value": t.result, "unit": t.unit}
        entries.append(
            _obs(
                t.uuid,
                subject,
                _coding(LOCAL_SYSTEM, code, t.kind.replace("_", " ")),
                t.taken_at.isoformat(),
                valueQuantity=unit,
            )
        )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


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
