"""Store a validated progress log: idempotent, all-or-nothing, never cross-participant.

The session UUID is the key. Re-sending a log changes nothing; a longer log adds the
new sessions; a session whose content changed (pain next day filled in, a set added)
is updated in place, unless the incoming copy is *older* than the stored one (a
delayed retry), which is skipped so late packets never roll data back.

What one participant can store is bounded (``MAX_SESSIONS_PER_PARTICIPANT``: the
programme's 12 sessions, each up to 10 times; ``MAX_TESTS_PER_PARTICIPANT``): an
upload that would go beyond it is refused whole, so one enrolled device cannot fill
the database with made-up session IDs.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escape_home import progress_log
from escape_home.errors import InvalidProgressLog
from escape_home.instructor import education, self_management
from escape_home.instructor.models import (
    Participant,
    SessionRecord,
    TestResult,
    Upload,
    utcnow,
)
from escape_home.instructor.text import clean_log_text
from escape_home.participant.programme import NUM_SESSIONS

_STATUS_RANK = {"in_progress": 0, "interrupted": 1, "completed": 2}


class UploadConflict(InvalidProgressLog):
    """The log names a participant or session that belongs to someone else (409)."""


class OverLimit(InvalidProgressLog):
    """Storing the log would give the participant more sessions or test results than
    the programme can produce (422); nothing is stored."""


#: Defaults when no app is configured (see `escape_home.instructor.DEFAULTS`).
MAX_SESSIONS = 10 * NUM_SESSIONS
MAX_TESTS = 200


def _limit(key: str, default: int) -> int:
    return int(current_app.config.get(key, default)) if has_app_context() else default


def _check_room(
    db: Session,
    participant: Participant,
    model: type[SessionRecord] | type[TestResult],
    new: int,
    limit: int,
    what: str,
) -> None:
    if not new:
        return  # updates and resends always pass (even after a merge went over)
    stored = db.scalar(
        select(func.count())
        .select_from(model)
        .where(model.participant_id == participant.id)
    )
    total = int(stored or 0) + new
    if total > limit:
        per = (
            f" (the programme has {NUM_SESSIONS}; redone and interrupted ones "
            "count too)"
        )
        raise OverLimit(
            f"{what}: this upload would give the participant {total} {what} "
            f"({new} new); the server keeps at most {limit} per participant"
            f"{per if what == 'sessions' else ''}, so nothing was stored"
        )


def summarise(session: dict[str, Any]) -> dict[str, Any]:
    """Small per-session digest the dashboards read instead of the whole session.

    It is `progress_log.session_summary`, the same digest the participant's
    progress page shows.
    """
    return progress_log.session_summary(session["sets"])


def _progress(status: str, reps: int, pains: tuple[int | None, ...]) -> tuple[int, ...]:
    return (_STATUS_RANK[status], reps, sum(p is not None for p in pains))


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _session_values(ses: dict[str, Any]) -> dict[str, Any]:
    check = ses["safety_check"]
    return {
        "number": ses["number"],
        "status": ses["status"],
        "started_at": _when(ses["started_at"]),
        "ended_at": _when(ses["ended_at"]),
        "pain_before": ses["pain_before"],
        "pain_after": ses["pain_after"],
        "pain_next_day": ses["pain_next_day"],
        "exertion": ses["exertion"],
        "safety_any_yes": bool(check and check["any_yes"]),
        "total_reps": sum(len(st["reps"]) for st in ses["sets"]),
        "data": json.dumps(ses, sort_keys=True, ensure_ascii=False),
        "summary": json.dumps(summarise(ses), sort_keys=True, ensure_ascii=False),
    }


def _claim_participant(
    db: Session, participant: Participant, log: dict[str, Any]
) -> None:
    app_uuid = log["participant"]["id"]
    if participant.app_uuid is None:
        other = db.scalar(select(Participant).where(Participant.app_uuid == app_uuid))
        if other is not None and other.id != participant.id:
            raise UploadConflict(
                "participant.id: belongs to another participant (the instructor can "
                "give this app a re-link code, or merge the two)"
            )
        participant.app_uuid = app_uuid
    elif participant.app_uuid != app_uuid:
        raise UploadConflict(
            "participant.id: does not match the participant this upload is for"
        )
    participant.joint = log["participant"]["joint"]
    participant.age_band = log["participant"].get("age_band")
    participant.sex = log["participant"].get("sex")


def store_log(
    db: Session, participant: Participant, log: dict[str, Any], *, raw: bytes, via: str
) -> dict[str, int]:
    """Write a validated log for `participant` inside the caller's transaction.

    Args:
        db: Session inside an open write transaction (see `db.writing`).
        participant: The participant the token or the instructor's form names.
        log: A log that passed `progress_log.validate`.
        raw: The uploaded bytes (hashed for the audit trail).
        via: "api" or "web".

    Returns:
        Counts: sessions_new, sessions_updated, sessions_unchanged, sessions_stale,
        tests_new.

    Raises:
        UploadConflict: A participant or session ID belongs to someone else; the
            caller rolls back, so nothing is stored.
        OverLimit: The participant would have more sessions or test results than
            allowed; the caller rolls back, so nothing is stored.
    """
    clean_log_text(log)  # goals and replay cues, as names are cleaned
    _claim_participant(db, participant, log)
    sessions = log["sessions"]
    ids = [s["id"] for s in sessions]
    existing = (
        {
            r.uuid: r
            for r in db.scalars(
                select(SessionRecord).where(SessionRecord.uuid.in_(ids))
            )
        }
        if ids
        else {}
    )
    _check_room(
        db,
        participant,
        SessionRecord,
        len(set(ids) - set(existing)),
        _limit("MAX_SESSIONS_PER_PARTICIPANT", MAX_SESSIONS),
        "sessions",
    )
    counts = Counter({"sessions_new": 0, "sessions_updated": 0, "tests_new": 0})
    now = utcnow()
    for i, ses in enumerate(sessions):
        values = _session_values(ses)
        rec = existing.get(ses["id"])
        if rec is None:
            db.add(
                SessionRecord(
                    uuid=ses["id"],
                    participant_id=participant.id,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
            counts["sessions_new"] += 1
            continue
        if rec.participant_id != participant.id:
            raise UploadConflict(
                f"sessions[{i}].id: session {ses['id']} belongs to another participant"
            )
        if rec.data == values["data"]:
            counts["sessions_unchanged"] += 1
            continue
        old = _progress(
            rec.status,
            rec.total_reps,
            (rec.pain_before, rec.pain_after, rec.pain_next_day),
        )
        new = _progress(
            values["status"],
            values["total_reps"],
            (values["pain_before"], values["pain_after"], values["pain_next_day"]),
        )
        if new < old:
            counts["sessions_stale"] += 1
            continue
        for key, value in values.items():
            setattr(rec, key, value)
        rec.updated_at = now
        counts["sessions_updated"] += 1
    _store_tests(db, participant, log["tests"], counts)
    self_management.store(participant, log)  # flare-up plan, pacing, questions
    education.store(participant, log)  # beliefs checks, lessons read
    participant.last_upload_at = now
    db.add(
        Upload(
            participant_id=participant.id,
            received_at=now,
            via=via,
            size_bytes=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
            sessions_new=counts["sessions_new"],
            sessions_updated=counts["sessions_updated"],
        )
    )
    db.flush()
    return {
        k: counts[k]
        for k in (
            "sessions_new",
            "sessions_updated",
            "sessions_unchanged",
            "sessions_stale",
            "tests_new",
        )
    }


def _store_tests(
    db: Session,
    participant: Participant,
    tests: list[dict[str, Any]],
    counts: Counter[str],
) -> None:
    ids = [t["id"] for t in tests]
    if not ids:
        return
    existing = {
        r.uuid: r
        for r in db.scalars(select(TestResult).where(TestResult.uuid.in_(ids)))
    }
    _check_room(
        db,
        participant,
        TestResult,
        len(set(ids) - set(existing)),
        _limit("MAX_TESTS_PER_PARTICIPANT", MAX_TESTS),
        "tests",
    )
    for i, test in enumerate(tests):
        rec = existing.get(test["id"])
        if rec is not None:
            if rec.participant_id != participant.id:
                raise UploadConflict(
                    f"tests[{i}].id: test {test['id']} belongs to another participant"
                )
            continue  # a test result is final once taken
        db.add(
            TestResult(
                uuid=test["id"],
                participant_id=participant.id,
                kind=test["kind"],
                taken_at=datetime.fromisoformat(test["taken_at"]),
                result=float(test["result"]),
                unit=test["unit"],
                data=json.dumps(test, sort_keys=True, ensure_ascii=False),
            )
        )
        counts["tests_new"] += 1
