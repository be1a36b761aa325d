"""Norms for the two standardised tests, by age band and sex (escape-pain.md 2.2).

30-second chair stand: Rikli & Jones 1999 normal range (25th-75th percentile), ages
60-94; there are no norms below 60. Five-times sit-to-stand: Bohannon 2006 "worse
than average" cut-offs, ages 60-89.
"""

from __future__ import annotations

from typing import Any

_CHAIR = {  # age band start: (women low, women high, men low, men high)
    60: (12, 17, 14, 19),
    65: (11, 16, 12, 18),
    70: (10, 15, 12, 17),
    75: (10, 15, 11, 17),
    80: (9, 14, 10, 15),
    85: (8, 13, 8, 14),
    90: (4, 11, 7, 12),
}
_FIVE = {60: 11.4, 70: 12.6, 80: 14.8}

UNITS = {"chair_stand_30s": "reps", "five_times_sts": "s"}
NAMES = {
    "chair_stand_30s": "30-second chair stand",
    "five_times_sts": "Five times sit to stand",
}


def _age_start(age_band: str | None) -> int | None:
    if not age_band:
        return None
    digits = age_band.replace("+", "").split("-")[0]
    return int(digits) if digits.isdigit() else None


def norm(
    kind: str, result: float, age_band: str | None, sex: str | None
) -> dict[str, Any] | None:
    """Compare a result with the norm for the person; None when no norm applies.

    Returns:
        A dict such as ``{"low": 11, "high": 16, "band": "65-69 female",
        "rating": "within", "source": "Rikli & Jones 1999"}``. ``rating`` is
        "below", "within" or "above" the band (more stands is better), or for the
        five-times test "better" or "worse" than average (less time is better).
    """
    start = _age_start(age_band)
    if start is None:
        return None
    who = sex if sex in ("female", "male") else "women and men"
    if kind == "chair_stand_30s":
        row = _CHAIR.get(min(90, start - start % 5))
        if row is None or start < 60:
            return None
        if sex == "female":
            low, high = row[0], row[1]
        elif sex == "male":
            low, high = row[2], row[3]
        else:
            low, high = min(row[0], row[2]), max(row[1], row[3])
        rating = "below" if result < low else "above" if result > high else "within"
        return {
            "low": low,
            "high": high,
            "band": f"{age_band} {who}",
            "rating": rating,
            "source": "Rikli & Jones 1999",
        }
    if kind == "five_times_sts":
        cut = _FIVE.get(min(80, start - start % 10))
        if cut is None or start < 60:
            return None
        return {
            "high": cut,
            "band": f"{age_band} {who}",
            "rating": "worse" if result > cut else "better",
            "source": "Bohannon 2006",
        }
    return None


def describe(kind: str, result: float, n: dict[str, Any] | None) -> str:
    """One sentence about a result, for the person."""
    unit = "stands" if kind == "chair_stand_30s" else "seconds"
    shown = f"{result:g} {unit}"
    if n is None:
        return f"You scored {shown}. There is no published comparison for your age."
    if kind == "chair_stand_30s":
        span = f"{n['low']} to {n['high']} stands"
        words = {
            "below": "below the usual range",
            "within": "within the usual range",
            "above": "above the usual range",
        }[n["rating"]]
        return f"You scored {shown}: {words} for your age ({span})."
    if n["rating"] == "better":
        return f"You took {shown}: quicker than the average cut-off ({n['high']} s)."
    return f"You took {shown}: slower than the average cut-off ({n['high']} s)."
