"""The participant's education records on the instructor server (issue 14 items 4-5).

A log of minor version 2 carries the finished beliefs and confidence checks
(``belief_checks``; scored with `escape_home.beliefs`, the app's own scale, not a
validated measure) and which lessons were opened, finished and answered
(``lessons``). As with the self-management tools, they are what the app has *now*:
the newest log that carries them replaces what is kept; a log without them (an
older app) leaves them, and a delayed upload older than the one kept is skipped.
They live as one JSON text on the participant (`Participant.education`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from escape_home import beliefs
from escape_home.instructor.models import Participant
from escape_home.lessons import Lesson, load_lessons

FIELDS = ("belief_checks", "lessons")


def store(participant: Participant, log: dict[str, Any]) -> bool:
    """Keep the log's education records on `participant` (in the caller's
    transaction). Returns False for a log without them or older than the one kept."""
    if not any(f in log for f in FIELDS):
        return False
    exported = datetime.fromisoformat(log["exported_at"])
    kept = participant.education_at
    if kept is not None and exported < kept:
        return False
    data = {f: log.get(f, []) for f in FIELDS}
    participant.education = json.dumps(data, sort_keys=True, ensure_ascii=False)
    participant.education_at = exported
    return True


def merge(db: Session, source: Participant, target: Participant) -> None:
    """When `source` is merged into `target`: keep the newer of their records."""
    if source.education_at and (
        target.education_at is None or target.education_at < source.education_at
    ):
        db.execute(
            update(Participant)
            .where(Participant.id == target.id)
            .values(education=source.education, education_at=source.education_at)
        )


@dataclass(frozen=True)
class ItemRow:
    item: beliefs.Item
    answers: list[int | None]  # one per stage shown, as given (0-10)


@dataclass(frozen=True)
class LessonRow:
    lesson: Lesson
    opened: int  # times opened (0: never)
    first_opened_at: datetime | None
    finished_at: datetime | None
    answered: int
    right: int

    @property
    def questions(self) -> int:
        return len(self.lesson.questions)


@dataclass(frozen=True)
class Education:
    """What the participant page shows."""

    scale: beliefs.Scale
    stages: list[beliefs.Stage]  # the checks done, in the scale's order
    sessions: list[int]  # the session each was answered at
    rows: list[beliefs.Row]
    items: list[ItemRow]
    lessons: list[LessonRow]  # all twelve, in order
    received_at: datetime | None

    @property
    def any_lesson(self) -> bool:
        return any(r.opened for r in self.lessons)


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def education(participant: Participant) -> Education:
    """The participant's records as kept (empty when no log has carried them)."""
    data: dict[str, Any] = json.loads(participant.education or "{}")
    scale = beliefs.load_scale()
    checks = data.get("belief_checks", [])
    stages, rows = beliefs.before_after(checks, scale)
    by_stage = {c["stage"]: c for c in checks}
    items = [
        ItemRow(item, [by_stage[s.key]["answers"].get(item.key) for s in stages])
        for item in scale.items
    ]
    records = {r["number"]: r for r in data.get("lessons", [])}
    lessons = []
    for lesson in load_lessons():
        rec = records.get(lesson.number)
        answers = rec["answers"] if rec else []
        lessons.append(
            LessonRow(
                lesson=lesson,
                opened=rec["times_opened"] if rec else 0,
                first_opened_at=_when(rec["first_opened_at"]) if rec else None,
                finished_at=_when(rec["finished_at"]) if rec else None,
                answered=len(answers),
                right=sum(bool(a["correct"]) for a in answers),
            )
        )
    return Education(
        scale=scale,
        stages=stages,
        sessions=[by_stage[s.key]["session_number"] for s in stages],
        rows=rows,
        items=items,
        lessons=lessons,
        received_at=participant.education_at,
    )
