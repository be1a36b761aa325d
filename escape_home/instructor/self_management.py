"""The participant's self-management tools on the instructor server (issue 14 item 3).

A log of minor version 1 or later carries the flare-up plan, pacing plans and the
questions for class (docs/progress-log.md); minor version 2 adds the goals. They are
what the app has *now*, so the newest log replaces what is kept (a question the
person removed goes); a log that does not carry them (an older app, minor version 0)
leaves them as they are, and a delayed upload older than the one kept is skipped.
They live as one JSON text on the participant (`Participant.self_management`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from escape_home.errors import UnknownExercise
from escape_home.exercises import get_exercise
from escape_home.instructor.models import Participant
from escape_home.self_management import flare_plan_lines

FIELDS = ("flare_plan", "pacing_plans", "class_questions", "goals")


def store(participant: Participant, log: dict[str, Any]) -> bool:
    """Keep the log's tools on `participant` (inside the caller's transaction).

    Returns:
        True when they were stored; False for a log without them or older than
        the one kept.
    """
    if not any(f in log for f in FIELDS):
        return False
    exported = datetime.fromisoformat(log["exported_at"])
    kept = participant.self_management_at
    if kept is not None and exported < kept:
        return False
    data = {
        "flare_plan": log.get("flare_plan"),
        "pacing_plans": log.get("pacing_plans", []),
        "class_questions": log.get("class_questions", []),
    }
    # Goals (minor version 2): a log without them (an older app) keeps those held.
    held = json.loads(participant.self_management or "{}").get("goals", [])
    data["goals"] = log["goals"] if "goals" in log else held
    participant.self_management = json.dumps(data, sort_keys=True, ensure_ascii=False)
    participant.self_management_at = exported
    return True


@dataclass(frozen=True)
class Tools:
    """What the participant page shows."""

    questions: list[dict[str, Any]]  # newest first, "asked_at" as a datetime
    flare_plan: dict[str, Any] | None
    flare_lines: list[tuple[str, list[str]]]
    pacing_plans: list[dict[str, Any]]
    received_at: datetime | None
    goals: list[dict[str, Any]] = field(default_factory=list)  # oldest first


def _name(exercise: str) -> str:
    try:
        return get_exercise(exercise).name
    except UnknownExercise:  # an ID the catalogue dropped since: show it as is
        return exercise.replace("_", " ").capitalize()


def tools(participant: Participant) -> Tools:
    """The participant's tools as kept (empty when no log has carried them)."""
    data: dict[str, Any] = json.loads(participant.self_management or "{}")
    questions = sorted(
        (
            {**q, "asked_at": datetime.fromisoformat(q["asked_at"])}
            for q in data.get("class_questions", [])
        ),
        key=lambda q: q["asked_at"],
        reverse=True,
    )
    plan = data.get("flare_plan")
    lines = []
    if plan:
        names = {s["exercise"]: _name(s["exercise"]) for s in plan["step_back"]}
        lines = flare_plan_lines(plan, names)
        plan = {**plan, "updated_at": datetime.fromisoformat(plan["updated_at"])}
    return Tools(
        questions=questions,
        flare_plan=plan,
        flare_lines=lines,
        pacing_plans=data.get("pacing_plans", []),
        received_at=participant.self_management_at,
        goals=[
            {
                **g,
                "set_at": datetime.fromisoformat(g["set_at"]),
                "done_at": _when(g.get("done_at")),
            }
            for g in data.get("goals", [])
        ],
    )


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
