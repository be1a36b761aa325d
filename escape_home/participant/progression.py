"""Pain guidance and level suggestions: pure rules with plain-words reasons.

The pain traffic light follows escape-pain.md 1.6 (a common physio convention, not
ESCAPE's own verified wording). The level rule is an engineering heuristic: move up
only when the target was reached with good form and little pain; step back when
pain was high; otherwise stay. The person always confirms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Share of reps with a form fault above which we do not suggest moving up.
FAULTY_SHARE_MAX = 0.3


@dataclass(frozen=True)
class PainAdvice:
    colour: str  # green, amber, red
    title: str
    text: str


def pain_advice(before: int | None, after: int | None) -> PainAdvice:
    """The traffic light for the pain reported straight after a session.

    The person sees the absolute scale (0-2 green, 3-5 amber, over 5 red); a rise
    from `before` is for the instructor to see in the log, not a reason to alarm.
    """
    if after is None:
        return PainAdvice("grey", "No pain score", "You did not give a pain score.")
    if after > 5:
        return PainAdvice(
            "red",
            "Red: take it a bit easier next time",
            "Your pain is quite high. Next time, drop to an easier level (fewer "
            "repetitions, smaller movements or more support) and build up again. "
            "Use heat or ice and keep moving gently. If it has not settled within a "
            "few days, or the joint swells, contact your GP or physiotherapist.",
        )
    if after >= 3:
        return PainAdvice(
            "amber",
            "Amber: this is fine if it settles",
            "Some pain during and after exercise is normal and safe. It should "
            "settle within about an hour and be no worse tomorrow morning. Stay at "
            "the same level next time.",
        )
    return PainAdvice(
        "green",
        "Green: well done",
        "Your pain is low. Keep going; you may be ready to make some exercises a "
        "little harder.",
    )


def suggest(
    exercise_set: dict[str, Any],
    level: int,
    max_level: int,
    pain_after: int | None,
    pain_before: int | None,
) -> tuple[str, str]:
    """Suggest 'up', 'stay' or 'back' for one exercise, with the reason in words.

    Args:
        exercise_set: A set as returned by `store.session_sets` (reps, holds,
            target_reps, target_s, outcome).
        level: The level the set was done at.
        max_level: The highest level the exercise has.
        pain_after: Pain straight after the session (0-10).
        pain_before: Pain before the session (0-10).
    """
    advice = pain_advice(pain_before, pain_after)
    if advice.colour == "red":
        if level > 1:
            return "back", "Your pain was high, so an easier level is suggested."
        return "stay", "Your pain was high; stay at the easiest level for now."
    reps = exercise_set["reps"]
    target = exercise_set.get("target_reps")
    if exercise_set.get("outcome") == "skipped":
        return "stay", "You skipped this one, so stay where you are."
    if target:
        reached = len(reps) >= int(target)
    else:
        # Time-based work (marching, balance): counted as reached when the person
        # kept going until the end of the work period.
        reached = exercise_set.get("outcome") == "done"
    faulty = sum(1 for r in reps if r.get("faults"))
    share = faulty / len(reps) if reps else 0.0
    if not reached:
        return "stay", "You did not quite reach the target yet; stay at this level."
    if share > FAULTY_SHARE_MAX:
        return "stay", "You reached the target; work on the form tips before moving up."
    if advice.colour == "amber":
        return "stay", "You reached the target, but with some pain; stay at this level."
    if level >= max_level:
        return "stay", "You reached the target at the hardest level. Excellent."
    return "up", "You reached the target with good form and little pain."


def new_level(choice: str, level: int, max_level: int) -> int:
    """Apply a confirmed choice to a level."""
    if choice == "up":
        return min(level + 1, max_level)
    if choice == "back":
        return max(level - 1, 1)
    return level
