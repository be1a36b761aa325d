"""Self-management tools (issue 14 item 3): the flare-up plan, the pacing planner and
"something to ask in class", shared by the participant app and the instructor server.

Both sides read the same log shapes (docs/progress-log.md, "Self-management"), and
both turn a flare-up plan into the same plain sentences with `flare_plan_lines`, so
the instructor sees exactly what the person sees.

The rules come from the programme's pain guidance (../shared/docs/escape-pain.md
1.6; its traffic-light wording is the common physiotherapy convention, not
ESCAPE-pain's own, which is unverified) and from lesson 5 (pacing):

* Pacing starts a little below what the person can do on most days without a
  flare-up the next day (`START_FRACTION`), and builds up by about a tenth of that
  starting time each week (`STEP_FRACTION`, at least one minute), never past the
  person's goal nor `MAX_MINUTES`, over at most `MAX_WEEKS` weeks.
* A flare-up means stepping back: one level easier on the exercises that hurt (at
  level 1, fewer repeats and a smaller movement), keep moving gently rather than
  resting completely, heat or ice, less of the usual activity for a few days, then
  build back up. Ask for advice if it does not start to settle within a few days, and
  at once for the warning signs of the safety check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Start at this share of what the person can do on most days without a flare-up.
START_FRACTION = 0.8
#: Each week adds this share of the starting time (the pain rules' "about 10%").
STEP_FRACTION = 0.10
#: The smallest weekly step: less than a minute cannot be seen on a clock.
MIN_STEP = 1
#: The longest time (minutes) the planner builds up to, and the longest plan.
MAX_MINUTES = 240
MAX_WEEKS = 12
#: Weeks shown when the person gives no goal (the length of the programme).
DEFAULT_WEEKS = 6
#: Text limits, the same in the log's schema.
ACTIVITY_MAX = 80
QUESTION_MAX = 500
DO_LESS_MAX = 200
NOTE_MAX = 300

HEAT_OR_ICE: dict[str, str] = {
    "heat": "Warmth",
    "ice": "Cold",
    "either": "Warmth or cold, whichever feels better",
    "neither": "Neither",
}
HEAT_OR_ICE_HOW: dict[str, str] = {
    "heat": (
        "Warmth eases stiff joints: a hot water bottle or a heat pad wrapped in a "
        "towel, for 15 to 20 minutes."
    ),
    "ice": (
        "Cold can calm a sore joint: a bag of frozen peas wrapped in a damp towel, "
        "for up to 15 minutes. Never put ice straight on the skin."
    ),
    "either": (
        "Try warmth (a wrapped hot water bottle) or cold (wrapped frozen peas) for "
        "about 15 minutes, and use whichever helps."
    ),
    "neither": "",
}
ASK: dict[str, str] = {
    "instructor": "my exercise instructor",
    "gp": "my GP",
    "physio": "my physiotherapist",
    "pharmacist": "a pharmacist",
}
#: The warning signs that need help at once, from the programme's safety check.
SEEK_HELP_NOW = (
    "a joint is hot, red or newly swollen, or you feel feverish or unwell",
    "you cannot put weight on your leg, or it gives way so that you fall",
    "you have new pain or swelling in your calf",
)


class PlanError(ValueError):
    """A planner input a person could get wrong (the message is for them)."""


@dataclass(frozen=True)
class PacingPlan:
    """A starting time for one activity and its gentle weekly build-up."""

    activity: str
    usual_min: int
    start_min: int
    step_min: int
    goal_min: int | None
    weeks: tuple[int, ...]
    """Minutes per week: week 1 is ``weeks[0]``."""

    def to_log(self) -> dict[str, Any]:
        """The log's shape (without ``id`` and ``created_at``, which the app adds)."""
        return {
            "activity": self.activity,
            "usual_min": self.usual_min,
            "start_min": self.start_min,
            "step_min": self.step_min,
            "goal_min": self.goal_min,
            "weeks": list(self.weeks),
        }


def _round(x: float) -> int:
    """Round half up (Python's round() sends 2.5 to 2)."""
    return math.floor(x + 0.5)


def starting_time(usual_min: int) -> int:
    """A little less than what the person manages on most days (at least 1)."""
    return max(1, math.floor(usual_min * START_FRACTION))


def weekly_step(start_min: int) -> int:
    """About a tenth of the starting time, in whole minutes, at least `MIN_STEP`."""
    return max(MIN_STEP, _round(start_min * STEP_FRACTION))


def pacing_plan(
    activity: str, usual_min: int, goal_min: int | None = None
) -> PacingPlan:
    """Plan an activity: start below the usual time and add a little each week.

    Args:
        activity: What the person wants to pace, e.g. "Walking".
        usual_min: Minutes they can do on most days without a flare-up next day.
        goal_min: Minutes they would like to reach; None shows `DEFAULT_WEEKS`.

    Returns:
        The plan: it stops at the goal (or after `MAX_WEEKS`), never passing the
        goal or `MAX_MINUTES`.

    Raises:
        PlanError: An empty activity or minutes out of range (plain message).
    """
    activity = " ".join(activity.split())
    if not activity:
        raise PlanError("Write the activity you want to pace, such as walking.")
    if len(activity) > ACTIVITY_MAX:
        raise PlanError(f"Keep the activity short: {ACTIVITY_MAX} letters at most.")
    if not 1 <= usual_min <= MAX_MINUTES:
        raise PlanError(f"Give the minutes as a number from 1 to {MAX_MINUTES}.")
    if goal_min is not None and not 1 <= goal_min <= MAX_MINUTES:
        raise PlanError(f"Give your goal as a number from 1 to {MAX_MINUTES}.")
    start = starting_time(usual_min)
    step = weekly_step(start)
    cap = MAX_MINUTES if goal_min is None else max(goal_min, start)
    limit = DEFAULT_WEEKS if goal_min is None else MAX_WEEKS
    weeks = [start]
    while len(weeks) < limit and weeks[-1] < cap:
        weeks.append(min(weeks[-1] + step, cap))
    return PacingPlan(activity, usual_min, start, step, goal_min, tuple(weeks))


def step_back(level: int) -> int:
    """The level to go back to in a flare-up: one easier, never below 1."""
    return max(1, level - 1)


def flare_plan_lines(
    plan: Mapping[str, Any],
    names: Mapping[str, str] | None = None,
    level_names: Mapping[tuple[str, int], str] | None = None,
) -> list[tuple[str, list[str]]]:
    """The plan as headed groups of plain sentences, as both sides show it.

    Args:
        plan: A flare-up plan in the log's shape.
        names: Exercise names by ID (missing: the ID with spaces).
        level_names: Level descriptions by (exercise, level), where known.

    Returns:
        ``[(heading, [sentence, ...]), ...]`` in the order of the plan.
    """
    names = names or {}
    level_names = level_names or {}
    out: list[tuple[str, list[str]]] = []
    moves = ["Keep moving gently. Do not rest all day: rest makes joints stiffer."]
    for item in plan["step_back"]:
        ex, lv = item["exercise"], int(item["level"])
        name = names.get(ex, ex.replace("_", " ").capitalize())
        what = level_names.get((ex, lv))
        detail = f" ({what})." if what else "."
        moves.append(f"{name}: use level {lv}{detail}")
    if plan["step_back"]:
        moves.append(
            "At level 1, do fewer repeats and a smaller movement instead. When the "
            "pain settles, build back up one level at a time."
        )
    out.append(("My exercises", moves))
    choice = plan.get("heat_or_ice") or "neither"
    if choice != "neither":
        out.append(("Warmth or cold", [HEAT_OR_ICE_HOW[choice]]))
    pacing = ["Do a bit less than usual for a few days, with short rests in between."]
    if plan.get("do_less"):
        pacing.append(f"I will do less of: {plan['do_less']}")
    out.append(("Pacing", pacing))
    who = ASK.get(plan.get("ask") or "", "my GP")
    out.append(
        (
            "When to get help",
            [
                f"If it has not started to settle after a few days, I will ask {who}.",
                "Get help the same day (your GP or NHS 111) if "
                + "; or ".join(SEEK_HELP_NOW)
                + ". For chest pain, call 999.",
            ],
        )
    )
    if plan.get("note"):
        out.append(("Something else that helps me", [str(plan["note"])]))
    return out


def build_flare_plan(
    chosen: Sequence[str],
    levels: Mapping[str, int],
    heat_or_ice: str,
    do_less: str,
    ask: str,
    note: str,
) -> dict[str, Any]:
    """The log's flare-up plan (without ``updated_at``) from the form's answers.

    Args:
        chosen: Exercise IDs to make easier in a flare-up.
        levels: The person's current level per exercise (missing: 1).
        heat_or_ice: A key of `HEAT_OR_ICE`.
        do_less: What they will do less of (free text, may be empty).
        ask: A key of `ASK`.
        note: Anything else that helps (free text, may be empty).

    Raises:
        PlanError: An answer out of range (plain message).
    """
    if heat_or_ice not in HEAT_OR_ICE:
        raise PlanError("Choose warmth, cold, either or neither.")
    if ask not in ASK:
        raise PlanError("Choose who you will ask for help.")
    do_less = " ".join(do_less.split())
    note = " ".join(note.split())
    if len(do_less) > DO_LESS_MAX or len(note) > NOTE_MAX:
        raise PlanError("Keep each answer short.")
    return {
        "step_back": [
            {"exercise": ex, "level": step_back(levels.get(ex, 1))}
            for ex in dict.fromkeys(chosen)
        ],
        "heat_or_ice": heat_or_ice,
        "do_less": do_less,
        "ask": ask,
        "note": note,
    }


def clean_question(text: str) -> str:
    """A class question as stored: trimmed, line breaks kept, within the limit.

    Raises:
        PlanError: Empty or too long.
    """
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    cleaned = "\n".join(line for line in lines if line)
    if not cleaned:
        raise PlanError("Write your question first.")
    if len(cleaned) > QUESTION_MAX:
        raise PlanError(f"Keep your question to {QUESTION_MAX} letters or fewer.")
    return cleaned
