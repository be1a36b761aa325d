"""What the person sees about the standardised tests: names, units, sentences.

The scoring and the norm tables live in one place, `escape_home.standard_tests`
(Rikli & Jones 1999 for the 30 s chair stand, Bohannon 2006 for the five-times sit
to stand). This module only turns the profile into what `run_test` needs
(`age_for_norms`, `sex_for_norms`), turns its result into what the progress log
stores (`log_norm`) and into a plain-English sentence (`describe`).
"""

from __future__ import annotations

from typing import Any

#: Units as the progress log records them (schema: "reps" or "s").
UNITS = {"chair_stand_30s": "reps", "five_times_sts": "s"}
NAMES = {
    "chair_stand_30s": "30-second chair stand",
    "five_times_sts": "Five times sit to stand",
}

#: Ratings, as `standard_tests` words them, in the short words of the sentence.
#: The short keys are also what results logged before the shared scoring stored.
_CHAIR_WORDS = {
    "below the normal range": "below",
    "within the normal range": "within",
    "above the normal range": "above",
}
_FIVE_WORDS = {"average or better": "better", "slower than average": "worse"}


def age_for_norms(age_band: str | None) -> int | None:
    """The age used to look up a norm for a profile's age band: its lower bound.

    The profile's bands ("60-64" ... "85-89", "90+") are the five-year rows of the
    chair-stand table and lie inside the ten-year rows of the five-times table, so
    every age in a band has the same norm row as the band's lower bound (checked in
    tests/participant/test_participant_rules.py). "90+" uses the 90-94 chair-stand
    row; the five-times table stops at 89, so there is no five-times norm for it.
    Bands below 60 have no published norm either.

    Returns:
        The lower bound in years, or None when the band is missing or unreadable.
    """
    if not age_band:
        return None
    first = age_band.replace("+", "").split("-")[0].strip()
    return int(first) if first.isdigit() else None


def sex_for_norms(sex: str | None) -> str | None:
    """ "female" or "male" for the norm tables; None for "other" or not given."""
    return sex if sex in ("female", "male") else None


def log_norm(result: dict[str, Any]) -> dict[str, Any] | None:
    """The `tests[].norm` object of the progress log, from a `run_test` result.

    Keeps the numbers of `standard_tests.norm_band` as they are (`low`/`high` for
    the chair stand, `cutoff_s` for the five-times test) and adds `band` (the norm
    row, shown by the instructor dashboard) and `rating`. For the five-times test
    `high` repeats the cut-off: the participant's progress chart draws it as the
    "average cut-off" line, as it did for results logged before.

    Returns:
        None when no norm applies (under 60, unknown age or sex, no score).
    """
    band = result.get("norm")
    if not band or result.get("rating") is None:
        return None
    out: dict[str, Any] = {**band, "rating": result["rating"]}
    who = band.get("sex")
    out["band"] = f"{band['age_group']} {who}" if who else band["age_group"]
    if "cutoff_s" in band:
        out["high"] = band["cutoff_s"]
    return out


def describe(
    kind: str, result: float, n: dict[str, Any] | None, reason: str | None = None
) -> str:
    """One sentence about a result, for the person.

    Args:
        kind: The test.
        result: Stands (chair stand) or seconds (five-times test).
        n: The stored norm (`log_norm`), or one logged before the shared scoring
            (short ratings, `high` as the five-times cut-off); None if no norm.
        reason: Why there is no norm (`no_norm_reason`), when known.
    """
    unit = "stands" if kind == "chair_stand_30s" else "seconds"
    shown = f"{result:g} {unit}"
    if n is None:
        why = reason or "There is no published comparison for your age."
        return f"You scored {shown}. {why}"
    rating = str(n.get("rating", ""))
    if kind == "chair_stand_30s":
        span = f"{n['low']} to {n['high']} stands"
        words = {
            "below": "below the usual range",
            "within": "within the usual range",
            "above": "above the usual range",
        }[_CHAIR_WORDS.get(rating, rating)]
        return f"You scored {shown}: {words} for your age ({span})."
    cut = n.get("cutoff_s", n.get("high"))
    if _FIVE_WORDS.get(rating, rating) == "better":
        return f"You took {shown}: quicker than the average cut-off ({cut} s)."
    return f"You took {shown}: slower than the average cut-off ({cut} s)."


def no_norm_reason(age: int | None, sex: str | None, kind: str) -> str:
    """Why there is no comparison, in plain words (for the result sentence)."""
    if age is None:
        return "There is no published comparison without your age."
    if age < 60:
        return "There is no published comparison for people under 60."
    if kind == "chair_stand_30s" and sex is None:
        return (
            "The published ranges are for women and men separately, so there is "
            "no comparison to show."
        )
    return "There is no published comparison for your age."
