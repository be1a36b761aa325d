"""`make_log`: realistic progress logs for the tests, the load benchmark and demos."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from escape_home import progress_log
from escape_home.exercises import FormRule, get_exercise

#: Exercises of the sample sessions (catalogue IDs: tests/test_catalogue.py checks).
_EXERCISES = ("sit_to_stand", "knee_extension", "squat", "step_up", "hip_abduction")
#: The form rule (of the catalogue) the sample person breaks on every third rep.
_FAULTS = {
    "sit_to_stand": "hands_used",
    "squat": "forward_lean",
    "step_up": "knee_valgus",
}


def _rule(exercise: str) -> FormRule | None:
    key = _FAULTS.get(exercise)
    if key is None:
        return None
    return next(r for r in get_exercise(exercise).form if r.key == key)


def make_log(
    *,
    participant_id: str | None = None,
    sessions: int = 2,
    reps: int = 8,
    start: datetime | None = None,
    seed: int = 0,
    pain: list[tuple[int | None, int | None, int | None]] | None = None,
) -> dict[str, Any]:
    """Return a valid, realistic progress log.

    Args:
        participant_id: The app's participant UUID (random if None).
        sessions: Number of sessions (at most 12).
        reps: Reps per set.
        start: Time of the first session (default: so the last ends a day ago).
        seed: Seeds the generator, so session IDs and numbers are reproducible.
        pain: Optional (before, after, next_day) per session.

    Returns:
        A log dict that passes `progress_log.validate`.
    """
    rng = random.Random(seed)
    if start is None:
        # Recent enough that every date is in the past and within the schedule.
        today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
        start = today - timedelta(days=3.5 * sessions + 1)

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    test_id = uid()  # drawn first: session IDs stay the same as the log grows
    out_sessions = []
    for n in range(min(sessions, 12)):
        t0 = start + timedelta(days=3.5 * n)
        sets = []
        for k, exercise in enumerate(_EXERCISES[: 2 + n % 3]):
            rule = _rule(exercise)
            rep_list = []
            for i in range(reps):
                faults = []
                if rule and i % 3 == 0:
                    worse = 1.3 if rule.op == ">" else 0.7
                    faults.append(
                        {
                            "key": rule.key,
                            "cue": rule.cue,
                            "value": round(rule.threshold * worse, 2),
                            "threshold": rule.threshold,
                            "unit": rule.unit,
                        }
                    )
                rep_list.append(
                    {
                        "index": i + 1,
                        "side": "both",
                        "start_s": round(3.0 * i, 2),
                        "end_s": round(3.0 * i + 2.5, 2),
                        "metrics": {
                            "rom": round(70 + 3 * n + rng.uniform(-5, 5), 1),
                            "peak_angle": round(170 + rng.uniform(-4, 4), 1),
                        },
                        "faults": faults,
                    }
                )
            s0 = t0 + timedelta(minutes=5 + 4 * k)
            sets.append(
                {
                    "exercise": exercise,
                    "level": 1 + n // 4,
                    "target_reps": 10,
                    "target_s": None,
                    "started_at": _iso(s0),
                    "ended_at": _iso(s0 + timedelta(minutes=2)),
                    "reps": rep_list,
                    "holds": [],
                }
            )
        before, after, next_day = pain[n] if pain and n < len(pain) else (3, 4, 3)
        out_sessions.append(
            {
                "id": uid(),
                "number": n + 1,
                "started_at": _iso(t0),
                "ended_at": _iso(t0 + timedelta(minutes=40)),
                "status": "completed",
                "pain_before": before,
                "pain_after": after,
                "pain_next_day": next_day,
                "exertion": 5,
                "safety_check": {
                    "answers": {"chest_pain": False, "new_swelling": False},
                    "any_yes": False,
                },
                "sets": sets,
            }
        )
    tests = [
        {
            "id": test_id,
            "kind": "chair_stand_30s",
            "taken_at": _iso(start - timedelta(minutes=30)),
            "result": 11,
            "unit": "reps",
            "norm": {"low": 11, "high": 16, "band": "65-69 female", "rating": "within"},
        }
    ]
    log = {
        "format": progress_log.FORMAT,
        "version": progress_log.VERSION,
        "app_version": "0.1.0",
        "exported_at": _iso(start + timedelta(days=3.5 * sessions)),
        "participant": {
            "id": participant_id or uid(),
            "joint": "knee",
            "age_band": "65-69",
            "sex": "female",
        },
        "sessions": out_sessions,
        "tests": tests,
    }
    return log


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


#: The sample class's people: (name, sessions done, pain before/after/next day per
#: session or None for the default, a safety "yes" in the last session).
_DEMO_PEOPLE: tuple[tuple[str, int, list[tuple[int | None, ...]] | None, bool], ...] = (
    ("Ann (sample)", 8, [(4, 4, 3), (4, 3, 3), (3, 3, 2), (3, 2, 2)] * 2, False),
    (
        "Bill (sample)",
        5,
        [(3, 4, 3), (4, 6, 5), (5, 7, 6), (6, 7, 7), (6, 8, 7)],
        False,
    ),
    ("Carol (sample)", 3, None, True),
    ("Dev (sample)", 10, [(2, 2, 1)] * 10, False),
    ("Edna (sample)", 1, [(5, 5, None)], False),
    ("Frank (sample)", 0, None, False),
)
DEMO_CLASS = "Sample class (made by escape-home instructor demo)"


def demo_logs(seed: int | None = None) -> list[tuple[str, dict[str, Any] | None]]:
    """Names and progress logs of a varied sample class: improving, worsening (an
    alert), a safety "yes", steady, just started, not started (no log). Without a
    seed the IDs are new each time (each sample class has its own participants)."""
    if seed is None:
        seed = random.SystemRandom().getrandbits(62)
    out: list[tuple[str, dict[str, Any] | None]] = []
    for i, (name, done, pain, safety_yes) in enumerate(_DEMO_PEOPLE):
        if done == 0:
            out.append((name, None))
            continue
        log = make_log(
            sessions=done,
            seed=seed + i,
            pain=[(p[0], p[1], p[2]) for p in pain] if pain else None,
        )
        if safety_yes:
            last = log["sessions"][-1]
            last["status"] = "interrupted"
            last["safety_check"] = {
                "answers": {"chest_pain": False, "new_swelling": True},
                "any_yes": True,
            }
            last["sets"], last["pain_after"], last["pain_next_day"] = [], None, None
        out.append((name, log))
    return out
