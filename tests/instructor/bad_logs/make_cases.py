"""Regenerate cases.json: hostile and malformed progress logs, as edits of a valid log.

Run: python tests/instructor/bad_logs/make_cases.py. Each case is a list of edits
("set" / "del" a dotted path; values {"$copy": path} or {"$repeat": [value, n]} or
{"$repeat_copy": [path, n]}) plus the status the server must answer and a piece of
text its error message must contain (the field's path, usually).
"""

from __future__ import annotations

import json
from pathlib import Path

S0 = "sessions.0"
SET = "sessions.0.sets.0"
REP = "sessions.0.sets.0.reps.0"
FAULT = "sessions.0.sets.0.reps.0.faults.0"
TEST = "tests.0"
cases: list[dict] = []


def disp(path: str) -> str:
    out = ""
    for part in path.split("."):
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def add(name, edits, expect, status=422):
    cases.append({"name": name, "edits": edits, "status": status, "expect": expect})


def set_(path, value, name=None, expect=None, status=422):
    add(
        name or f"{path} = {json.dumps(value)[:40]}",
        [["set", path, value]],
        expect if expect is not None else disp(path),
        status,
    )


def del_(path, required=True):
    _parent, _, field = path.rpartition(".")
    add(f"missing {path}", [["del", path]], f"missing field '{field}'")


# Wrong types, every field of every object.
wrong = {
    "format": 1,
    "version": "1",
    "app_version": 123,
    "exported_at": 1732550400,
    "participant": [],
    "participant.id": 42,
    "participant.joint": 1,
    "participant.age_band": 65,
    "participant.sex": True,
    "sessions": {},
    "tests": "none",
    f"{S0}.id": 123,
    f"{S0}.number": "1",
    f"{S0}.started_at": None,
    f"{S0}.ended_at": 5,
    f"{S0}.status": True,
    f"{S0}.pain_before": "3",
    f"{S0}.pain_after": 3.5,
    f"{S0}.pain_next_day": [],
    f"{S0}.exertion": {},
    f"{S0}.safety_check": "no",
    f"{S0}.safety_check.answers": [],
    f"{S0}.safety_check.any_yes": "false",
    f"{S0}.sets": None,
    f"{SET}.exercise": 7,
    f"{SET}.level": "1",
    f"{SET}.target_reps": "10",
    f"{SET}.target_s": "30",
    f"{SET}.started_at": False,
    f"{SET}.reps": {},
    f"{SET}.holds": None,
    f"{SET}.partial_reps": 1.5,
    f"{SET}.warnings": "careful",
    f"{SET}.side": 0,
    f"{REP}.index": "1",
    f"{REP}.side": 0,
    f"{REP}.start_s": "0",
    f"{REP}.end_s": None,
    f"{REP}.metrics": [],
    f"{REP}.metrics.rom": "wide",
    f"{REP}.faults": {},
    f"{FAULT}.key": 1,
    f"{FAULT}.cue": None,
    f"{FAULT}.value": "1",
    f"{FAULT}.threshold": None,
    f"{FAULT}.unit": 5,
    f"{FAULT}.priority": "high",
    f"{TEST}.id": 5,
    f"{TEST}.kind": 1,
    f"{TEST}.taken_at": [],
    f"{TEST}.result": "11",
    f"{TEST}.unit": None,
    f"{TEST}.norm": [],
    f"{TEST}.norm.low": {"nested": 1},
    f"{S0}.safety_check.answers.chest_pain": "no",
    f"{S0}.sets.0": "set",
    f"{S0}": 1,
    "sessions.0.sets.0.reps.0": [],
    TEST: None,
}
for path, value in wrong.items():
    set_(path, value, name=f"wrong type: {path}")

# Missing required fields.
for path in (
    "format",
    "version",
    "app_version",
    "exported_at",
    "participant",
    "sessions",
    "tests",
    "participant.id",
    "participant.joint",
):
    del_(path)
for field in (
    "id",
    "number",
    "started_at",
    "ended_at",
    "status",
    "pain_before",
    "pain_after",
    "pain_next_day",
    "exertion",
    "safety_check",
    "sets",
):
    del_(f"{S0}.{field}")
for field in ("exercise", "level", "started_at", "reps", "holds"):
    del_(f"{SET}.{field}")
for field in ("index", "side", "start_s", "end_s", "metrics", "faults"):
    del_(f"{REP}.{field}")
for field in ("key", "cue", "value", "threshold", "unit"):
    del_(f"{FAULT}.{field}")
for field in ("id", "kind", "taken_at", "result", "unit"):
    del_(f"{TEST}.{field}")
del_(f"{S0}.safety_check.answers")
del_(f"{S0}.safety_check.any_yes")

# Extra fields, including the things that must never be uploaded.
for parent, field, value in (
    ("", "video", "AAAAIGZ0eXBpc29t"),
    ("", "images", ["iVBORw0KGgo="]),
    ("participant", "name", "Joan Smith"),
    ("participant", "nhs_number", "9434765919"),
    ("participant", "date_of_birth", "1950-01-01"),
    (S0, "video_path", "/tmp/x.mp4"),
    (S0, "landmarks", [[0.1, 0.2]]),
    (SET, "frames", []),
    (REP, "image", "data:image/png;base64,AA"),
    (FAULT, "snapshot", "AA"),
    (TEST, "video", "AA"),
    (f"{S0}.safety_check", "notes", "x"),
    ("", "__proto__", {"admin": True}),
    ("", "constructor", {}),
):
    path = f"{parent}.{field}" if parent else field
    add(f"extra field {path}", [["set", path, value]], "unexpected field")

# Numbers out of range.
for path, value in (
    (f"{S0}.pain_before", -1),
    (f"{S0}.pain_after", 11),
    (f"{S0}.pain_next_day", 1000000),
    (f"{S0}.exertion", 11),
    (f"{S0}.number", 0),
    (f"{S0}.number", 13),
    (f"{S0}.number", -2147483649),
    (f"{SET}.level", 0),
    (f"{SET}.level", 11),
    (f"{SET}.target_reps", -1),
    (f"{SET}.target_reps", 501),
    (f"{SET}.target_s", -0.5),
    (f"{SET}.target_s", 100000),
    (f"{SET}.partial_reps", -1),
    (f"{REP}.index", 0),
    (f"{REP}.index", 10001),
    (f"{REP}.start_s", -1),
    (f"{REP}.end_s", 1e9),
    (f"{REP}.metrics.rom", 1e7),
    (f"{REP}.metrics.rom", -1e7),
    (f"{FAULT}.value", 1e300),
    (f"{FAULT}.threshold", -1e300),
    (f"{FAULT}.priority", 101),
    (f"{TEST}.result", -1),
    (f"{TEST}.result", 601),
    (f"{TEST}.norm.low", 1e12),
    ("version", 2),
    ("version", 0),
    (f"{S0}.pain_before", 9223372036854775807),
):
    set_(path, value, name=f"out of range: {path} = {value}")

# Dates: ancient, future, impossible, no time zone, nonsense, out of order.
for path in (
    "exported_at",
    f"{S0}.started_at",
    f"{SET}.started_at",
    f"{TEST}.taken_at",
):
    for value, _why in (
        ("1900-01-01T00:00:00Z", "before"),
        ("2019-12-31T23:59:59Z", "before"),
        ("2999-01-01T00:00:00Z", "future"),
        ("2026-13-01T10:00:00Z", "real date"),
        ("2026-02-30T10:00:00Z", "real date"),
        ("2026-11-01T10:00:00", "form"),
        ("yesterday", "form"),
        ("", "form"),
    ):
        set_(path, value, name=f"date {path} = {value!r}", expect=disp(path))
set_(
    f"{S0}.ended_at",
    "2020-01-02T00:00:00Z",
    name="session ends before it starts",
    expect=disp(S0),
)
set_(
    f"{SET}.ended_at",
    "2020-01-02T00:00:00Z",
    name="set ends before it starts",
    expect=disp(SET),
)
set_(
    f"{SET}.reps.1.end_s",
    1.0,
    name="rep ends before it starts",
    expect=disp(f"{SET}.reps.1"),
)
add(
    "rep ends before it starts (2)",
    [["set", f"{REP}.start_s", 50], ["set", f"{REP}.end_s", 10]],
    disp(REP),
)

# Enums and patterns (incl. SQL, script and path traversal in fields that have a form).
for path, value in (
    ("format", "escape-home-progress-log-v2"),
    ("participant.joint", "elbow"),
    ("participant.sex", "X"),
    ("participant.age_band", "sixty"),
    (f"{S0}.status", "done"),
    (f"{SET}.exercise", "burpee"),
    (f"{SET}.exercise", "squat; DROP TABLE session"),
    (f"{REP}.side", "middle"),
    (f"{TEST}.kind", "vo2max"),
    (f"{TEST}.unit", "kg"),
    ("participant.id", "../../etc/passwd"),
    ("participant.id", "not-a-uuid"),
    ("participant.id", "A1B2C3D4-0000-4000-8000-000000000000"),
    (f"{S0}.id", "'; DROP TABLE exercise_session;--"),
    (f"{S0}.id", "..\\..\\boot.ini"),
    (f"{TEST}.id", "<script>alert(1)</script>"),
    ("app_version", "<script>alert(1)</script>"),
    ("app_version", "1.0' OR '1'='1"),
    ("app_version", "../../../etc/passwd"),
    ("app_version", ""),
    (f"{FAULT}.key", "DROP TABLE"),
    (f"{FAULT}.key", "<b>x</b>"),
    (f"{FAULT}.key", "../x"),
):
    set_(path, value, name=f"bad value: {path} = {value!r}")
for parent, key in (
    (f"{REP}.metrics", "<img src=x onerror=alert(1)>"),
    (f"{REP}.metrics", "rom' OR 1=1"),
    (f"{REP}.metrics", "../../x"),
    (f"{S0}.safety_check.answers", "Chest Pain"),
    (f"{S0}.safety_check.answers", "<script>"),
    (f"{TEST}.norm", "a b"),
):
    add(
        f"bad key {parent}[{key!r}]",
        [
            [
                "set",
                [*parent.split("."), key],
                1 if "metrics" in parent else (True if "answers" in parent else "x"),
            ]
        ],
        "not allowed",
    )

# Too long / too many.
for path, value in (
    (f"{FAULT}.cue", "x" * 201),
    (f"{FAULT}.unit", "u" * 17),
    (f"{SET}.warnings", {"$repeat": ["w", 21]}),
    (f"{SET}.warnings", ["x" * 201]),
    ("app_version", "1" * 41),
    (f"{TEST}.norm.band", "b" * 121),
    (f"{REP}.faults", {"$repeat_copy": [FAULT, 21]}),
    (f"{SET}.reps", {"$repeat_copy": [REP, 1001]}),
    ("sessions", {"$repeat_copy": [S0, 201]}),
    ("tests", {"$repeat_copy": [TEST, 201]}),
):
    set_(
        path,
        value,
        name=f"too long: {path}",
        expect=disp(path) if "warnings.0" not in path else "",
    )
cases[-1]["note"] = "201 copies also duplicate IDs; the length check fires first"
add(
    "too many metrics",
    [["set", f"{REP}.metrics", {"$keys": ["m", 33, 1.0]}]],
    disp(f"{REP}.metrics"),
)
add(
    "too many safety answers",
    [["set", f"{S0}.safety_check.answers", {"$keys": ["q", 31, False]}]],
    disp(f"{S0}.safety_check.answers"),
)

# Duplicated and conflicting content.
add(
    "duplicated session id",
    [["set", "sessions.1.id", {"$copy": f"{S0}.id"}]],
    "appears twice",
)
add("duplicated test id", [["set", "tests.1", {"$copy": TEST}]], "appears twice")
add(
    "any_yes true but all answers no",
    [["set", f"{S0}.safety_check.any_yes", True]],
    "disagrees with the answers",
)
add(
    "any_yes false but an answer yes",
    [["set", f"{S0}.safety_check.answers.chest_pain", True]],
    "disagrees with the answers",
)
add("chair stand in seconds", [["set", f"{TEST}.unit", "s"]], "reps")

# Text with NUL or a lone surrogate (PostgreSQL would refuse NUL mid-transaction).
for path in (f"{FAULT}.cue", f"{FAULT}.unit", f"{TEST}.norm.band"):
    set_(path, "ok\u0000then", name=f"NUL in {path}", expect="NUL")
    set_(path, "\ud800", name=f"lone surrogate in {path}", expect="surrogate")

Path(__file__).with_name("cases.json").write_text(json.dumps(cases, indent=1) + "\n")
print(len(cases), "cases")
