"""Standardised tests scored from a sequence of poses: 30 s chair stand and 5xSTS.

Norms are from ../shared/docs/escape-pain.md section 2.2 (Rikli & Jones 1999 for the
30 s chair stand; Bohannon 2006 for the five-times sit-to-stand). Both tests need the
person to start seated; the stands are found with the same sit-to-stand signal and
thresholds as the exercise tracker.

Protocol versions (fixed, and recorded in every result):

* ``chair_stand_30s``: the 30 s window starts at `start_s` (the app's "go") or, if not
  given, at the first frame the person is seen seated. A stand counts when the person
  reaches the standing zone inside the window; a stand more than half-way up at 30 s
  also counts (Rikli & Jones).
* ``five_times_sts``: timed from `start_s` or, if not given, from the moment the person
  leaves the seat for the first rise, to the moment they reach full standing on the
  fifth rise ("stop at the fifth stand" version).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from escape_home.engine import ExerciseTracker
from escape_home.errors import EscapeHomeError
from escape_home.landmarks import Pose

TESTS = ("chair_stand_30s", "five_times_sts")

CHAIR_STAND_PROTOCOL = (
    "30s chair stand (Rikli & Jones 1999): stands reached within 30 s from the start; "
    "a stand more than half-way up at 30 s counts"
)
FIVE_STS_PROTOCOL = (
    "Five-times sit-to-stand, stop-at-fifth-stand version: from leaving the seat (or "
    "the given start) to reaching full standing on the fifth rise"
)

#: 30 s chair stand normal ranges (25th-75th percentile stands) by age and sex.
_CST_NORMS: tuple[tuple[int, int, tuple[int, int], tuple[int, int]], ...] = (
    # (age from, age to, women (low, high), men (low, high))
    (60, 64, (12, 17), (14, 19)),
    (65, 69, (11, 16), (12, 18)),
    (70, 74, (10, 15), (12, 17)),
    (75, 79, (10, 15), (11, 17)),
    (80, 84, (9, 14), (10, 15)),
    (85, 89, (8, 13), (8, 14)),
    (90, 94, (4, 11), (7, 12)),
)

#: 5xSTS: slower than this (seconds) is worse than average for the age group.
_FIVE_STS_CUTOFFS: tuple[tuple[int, int, float], ...] = (
    (60, 69, 11.4),
    (70, 79, 12.6),
    (80, 89, 14.8),
)


def _sex_key(sex: str | None) -> str | None:
    if sex is None:
        return None
    s = sex.strip().lower()
    if s in ("f", "female", "woman", "w"):
        return "female"
    if s in ("m", "male", "man"):
        return "male"
    raise EscapeHomeError(f"Unknown sex {sex!r}: use 'female' or 'male'")


def norm_band(test: str, age: int | None, sex: str | None) -> dict[str, Any] | None:
    """The published norm for a test, age and sex, or None where there is none.

    Returns:
        For ``chair_stand_30s``: ``{"age_group", "sex", "low", "high", "source"}``
        (the 25th-75th percentile number of stands). For ``five_times_sts``:
        ``{"age_group", "cutoff_s", "source"}`` (slower is worse than average).
        None below 60 or above the tabulated ages (no published norm), or when the
        age (or, for the chair stand, the sex) is not known.
    """
    if test not in TESTS:
        raise EscapeHomeError(f"Unknown test {test!r}. Valid tests: {', '.join(TESTS)}")
    if age is None:
        return None
    if test == "chair_stand_30s":
        key = _sex_key(sex)
        if key is None:
            return None
        for lo, hi, women, men in _CST_NORMS:
            if lo <= age <= hi:
                low, high = women if key == "female" else men
                return {
                    "age_group": f"{lo}-{hi}",
                    "sex": key,
                    "low": low,
                    "high": high,
                    "source": "Rikli & Jones 1999, 25th-75th percentile",
                }
        return None
    for lo, hi, cutoff in _FIVE_STS_CUTOFFS:
        if lo <= age <= hi:
            return {
                "age_group": f"{lo}-{hi}",
                "cutoff_s": cutoff,
                "source": "Bohannon 2006 meta-analysis",
            }
    return None


def _rating(test: str, score: float | None, norm: dict[str, Any] | None) -> str | None:
    if score is None or norm is None:
        return None
    if test == "chair_stand_30s":
        if score < norm["low"]:
            return "below the normal range"
        if score > norm["high"]:
            return "above the normal range"
        return "within the normal range"
    return "slower than average" if score > norm["cutoff_s"] else "average or better"


class _Stands:
    """Find seated periods and arrivals at standing from the sit-to-stand signal."""

    def __init__(self) -> None:
        self.tracker = ExerciseTracker("sit_to_stand", {"counter": {"anchor": "deep"}})
        self.first_seated: float | None = None
        self.stands: list[float] = []  # times the person reached standing
        self.seat_offs: list[float] = []  # times the person left the seat
        self.seat_level: float | None = None
        self.stand_level: float | None = None
        self._phase = "idle"
        self._last: tuple[float, float] | None = None
        self._seat_min = 1e9
        self._still_t = 0.0

    def feed(self, pose: Pose) -> None:
        upd = self.tracker.update(pose)
        phase, t = upd.phase, pose.timestamp_s
        counter = self.tracker._channels[0].counter
        if phase == "deep" and self.first_seated is None:
            self.first_seated = t
        if phase == "deep" and upd.signal is not None:
            # The rise starts when the knee angle first leaves its seated level.
            if self._phase != "deep":
                self._seat_min = upd.signal
            self._seat_min = min(self._seat_min, upd.signal)
            if upd.signal <= self._seat_min + 8.0:
                self._still_t = t
        if self.first_seated is not None:
            if phase == "rest" and self._phase != "rest":
                self.stands.append(t)
            if phase != "deep" and self._phase == "deep" and counter.in_cycle:
                self.seat_offs.append(self._still_t)
        if phase in ("rest", "deep", "moving"):
            self._phase = phase
        rest, deep = counter.thresholds()
        self.stand_level, self.seat_level = rest, deep
        if upd.signal is not None:
            self._last = (t, upd.signal)

    def half_way_at(self, t_end: float) -> bool:
        """True when, at `t_end`, the person is rising and more than half-way up."""
        if self._last is None or self._phase == "rest" or self._phase == "idle":
            return False
        if self.seat_level is None or self.stand_level is None:
            return False
        t, value = self._last
        if t < t_end - 0.5:
            return False
        frac = (value - self.seat_level) / max(self.stand_level - self.seat_level, 1e-6)
        rising = bool(self.seat_offs) and (
            not self.stands or self.seat_offs[-1] > self.stands[-1]
        )
        return frac > 0.5 and rising


def score_chair_stand_30s(
    poses: Iterable[Pose],
    start_s: float | None = None,
    duration_s: float = 30.0,
) -> dict[str, Any]:
    """Score the 30 s chair stand: stands reached in the window (see module docs)."""
    st = _Stands()
    end: float | None = None
    for p in poses:
        if start_s is None and st.first_seated is not None:
            start_s = st.first_seated
        if start_s is not None and p.timestamp_s > start_s + duration_s:
            end = start_s + duration_s
            break
        st.feed(p)
    if start_s is None:
        start_s = st.first_seated
    stands = [] if start_s is None else [t for t in st.stands if t >= start_s]
    extra = end is not None and st.half_way_at(end)
    summary = st.tracker.summary()
    hands = summary["faults"].get("hands_used", {}).get("count", 0)
    return {
        "test": "chair_stand_30s",
        "protocol": CHAIR_STAND_PROTOCOL,
        "score": len(stands) + (1 if extra else 0),
        "unit": "stands",
        "start_s": None if start_s is None else round(start_s, 3),
        "stand_times_s": [round(t, 3) for t in stands],
        "half_way_stand_counted": extra,
        "complete_window": end is not None,
        "hands_used": hands > 0,
        "warnings": summary["warnings"],
    }


def score_five_times_sts(
    poses: Iterable[Pose], start_s: float | None = None
) -> dict[str, Any]:
    """Score the five-times sit-to-stand: seconds to the fifth stand (or None)."""
    st = _Stands()
    for p in poses:
        st.feed(p)
        if len(st.stands) >= 5 and st.first_seated is not None:
            break
    if start_s is None and st.seat_offs:
        start_s = st.seat_offs[0]
    stands = [] if start_s is None else [t for t in st.stands if t >= start_s]
    time_s = (
        round(stands[4] - start_s, 2)
        if start_s is not None and len(stands) >= 5
        else None
    )
    summary = st.tracker.summary()
    hands = summary["faults"].get("hands_used", {}).get("count", 0)
    return {
        "test": "five_times_sts",
        "protocol": FIVE_STS_PROTOCOL,
        "score": time_s,
        "unit": "s",
        "start_s": None if start_s is None else round(start_s, 3),
        "stand_times_s": [round(t, 3) for t in stands[:5]],
        "stands_found": len(stands),
        "hands_used": hands > 0,
        "warnings": summary["warnings"],
    }


def run_test(
    kind: str,
    poses: Iterable[Pose],
    age: int | None = None,
    sex: str | None = None,
    start_s: float | None = None,
) -> dict[str, Any]:
    """Score a standardised test from poses and add its norm band (library entry).

    Args:
        kind: "chair_stand_30s" or "five_times_sts".
        poses: The poses of the test, in time order (from a video, a track or live).
        age: Age in years, for the norm (None: no norm).
        sex: "female" or "male", for the chair-stand norm.
        start_s: When the test started ("go"); default: found from the motion.

    Raises:
        EscapeHomeError: Unknown test or sex.
    """
    if kind not in TESTS:
        raise EscapeHomeError(f"Unknown test {kind!r}. Valid tests: {', '.join(TESTS)}")
    if kind == "chair_stand_30s":
        result = score_chair_stand_30s(poses, start_s)
    else:
        result = score_five_times_sts(poses, start_s)
    norm = norm_band(kind, age, sex)
    result["norm"] = norm
    result["rating"] = _rating(kind, result["score"], norm)
    if norm is None and age is not None and age < 60:
        result["norm_note"] = "No published norm for people under 60"
    return result
