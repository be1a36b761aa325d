"""The progress log: the one file a participant's app shares with an instructor.

`parse` turns untrusted bytes into a checked dict; `validate` checks a dict already in
memory; `build_progress_log` is what the participant app uses to export. The format is
described in docs/progress-log.md and pinned by data/progress_log.schema.json. Every
rejection is an `InvalidProgressLog` whose message names the offending field, e.g.
``sessions[0].pain_after: 11 is above the maximum of 10``.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from escape_home.beliefs import load_scale
from escape_home.errors import InvalidProgressLog
from escape_home.exercises import exercise_ids
from escape_home.lessons import load_lessons
from escape_home.progress_log_messages import describe, innermost, short
from escape_home.progress_log_messages import path as _path
from escape_home.replay import JOINT_NAMES, REFERENCE_JOINTS

FORMAT = "escape-home-progress-log"
VERSION = 1
MINOR_VERSION = 2
"""Compatible additions within version 1 (``minor_version``; absent means 0). 1 adds
the self-management tools: ``flare_plan``, ``pacing_plans``, ``class_questions``;
2 adds the optional fields listed under "minor version 2" in docs/progress-log.md."""
MAX_BYTES = 5_000_000
"""Default upload limit: a full 12-session log with every rep is well under 1 MB."""
MAX_DEPTH = 12
"""The deepest real path (root/sessions/session/sets/set/reps/rep/faults/fault) is 9."""
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
"""Clock skew we tolerate on a participant's computer."""

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "MINOR_VERSION",
    "VERSION",
    "InvalidProgressLog",
    "LogTooLarge",
    "MalformedLog",
    "build_progress_log",
    "dumps",
    "new_id",
    "parse",
    "schema",
    "session_summary",
    "validate",
]


class LogTooLarge(InvalidProgressLog):
    """The upload is bigger than the size limit (HTTP 413 at the edge)."""


class MalformedLog(InvalidProgressLog):
    """Not UTF-8 JSON we accept at all (HTTP 400); schema failures are 422."""


def _fail(path: str, message: str) -> InvalidProgressLog:
    where = path or "the log"
    return InvalidProgressLog(f"{where}: {message}")


@cache
def schema() -> dict[str, Any]:
    """Return the JSON Schema (version 1) shipped in escape_home/data.

    The exercise IDs are not listed in the file: ``$defs.exercise`` is filled in here
    from the catalogue (data/exercises.toml), so an exercise is declared once.
    """
    text = (
        resources.files("escape_home")
        .joinpath("data/progress_log.schema.json")
        .read_text("utf-8")
    )
    loaded: dict[str, Any] = json.loads(text)
    loaded["$defs"]["exercise"] = {"enum": exercise_ids()}
    loaded["$defs"]["joint"] = {"enum": list(JOINT_NAMES)}  # movement replays
    scale = load_scale()  # the beliefs check's stage and item keys (minor version 2)
    loaded["$defs"]["belief_stage"] = {"enum": scale.stage_keys}
    loaded["$defs"]["belief_item"] = {"enum": scale.item_keys}
    return loaded


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Replace local ``$ref``s by their targets (the schema has no cycles).

    jsonschema resolves a reference on every visit, which was 40 % of the time spent
    on a 12-session log; inlining once makes validation about twice as fast.
    """
    if isinstance(node, list):
        return [_inline(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _inline(v, defs) for k, v in node.items() if k not in ("$ref", "$defs")}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        out = {**_inline(defs[ref.removeprefix("#/$defs/")], defs), **out}
    return out


@cache
def _validator() -> Draft202012Validator:
    full = schema()
    return Draft202012Validator(_inline(full, full["$defs"]))


def new_id() -> str:
    """Return a fresh random UUID string for a session, test or participant."""
    return str(uuid.uuid4())


# --- parsing -------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise MalformedLog(f"the log: {name} is not allowed; use a finite number")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedLog(f"the log: number {text[:30]} is out of range")
    return value


def _parse_int(text: str) -> int:
    # Bound the digits before int() so a 100,000-digit number costs nothing.
    if len(text) > 20:
        raise MalformedLog(f"the log: number {text[:20]}... is out of range")
    return int(text)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            # Two values for one field is ambiguous, and parsers disagree on which
            # wins; refuse rather than guess.
            raise MalformedLog(f"the log: field {key[:40]!r} appears twice")
        out[key] = value
    return out


#: Files people pick by mistake, by their first bytes: named in the refusal.
_FILE_KINDS = (
    (b"\x89PNG", "a PNG picture"),
    (b"\xff\xd8\xff", "a JPEG photo"),
    (b"GIF8", "a GIF picture"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP file (or a Word or Excel document)"),
    (b"{\\rtf", "a Rich Text document"),
    (b"\xd0\xcf\x11\xe0", "an older Word or Excel document"),
    (b"<?xml", "an XML file"),
    (b"<!doctype html", "a web page"),
    (b"<html", "a web page"),
)


def _file_kind(raw: bytes) -> str | None:
    head = raw[:64].lstrip().lower()
    for magic, kind in _FILE_KINDS:
        if head.startswith(magic.lower()):
            return kind
    return None


def _wrong_file(raw: bytes, detail: str, short: str) -> MalformedLog:
    """The message for an upload that is not JSON: a plain sentence when the file
    is of a kind people pick by mistake (a photo, a document), else the detail."""
    kind = _file_kind(raw)
    if kind is None:
        return MalformedLog(f"the log: {detail}")
    return MalformedLog(
        f"The file is {kind}, not a progress log ({short}). Choose the file the "
        "app saved: its name ends in .json."
    )


def parse(
    data: bytes | str, *, max_bytes: int = MAX_BYTES, now: datetime | None = None
) -> dict[str, Any]:
    """Parse and validate an uploaded progress log.

    Args:
        data: The raw upload (UTF-8 JSON).
        max_bytes: Size limit; bigger uploads raise `LogTooLarge`.
        now: The time used for the "not in the future" check (default: now, UTC).

    Returns:
        The log as a plain dict, checked against the schema and the rules in
        docs/progress-log.md.

    Raises:
        InvalidProgressLog: With a message naming the offending field.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise LogTooLarge(
            f"the log: {len(raw)} bytes is over the limit of {max_bytes} bytes"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _wrong_file(
            raw,
            f"not valid UTF-8 (bad byte at position {exc.start})",
            "not valid UTF-8",
        ) from None
    text = text.removeprefix("\ufeff")
    try:
        obj = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
            object_pairs_hook=_no_duplicate_keys,
        )
    except MalformedLog:
        raise
    except RecursionError:
        raise MalformedLog("the log: JSON is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise _wrong_file(
            raw,
            f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            "not valid JSON",
        ) from None
    except ValueError as exc:  # int() limits and the like
        raise MalformedLog(f"the log: not valid JSON ({exc})") from None
    return validate(obj, now=now)


# --- validation ----------------------------------------------------------------------


def _depth_ok(obj: Any) -> bool:
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, depth + 1) for c in children)
    return True


def _strings(obj: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(obj, str):
        yield _path(path), obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield _path((*path, "<key>")), key
            yield from _strings(value, (*path, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _strings(value, (*path, i))


def _when(path: str, text: str | None, now: datetime) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(path, f"{short(text)} is not a real date and time") from None
    if when < EARLIEST:
        raise _fail(path, f"{text} is before {EARLIEST.date()}")
    if when > now + FUTURE_SLACK:
        raise _fail(path, f"{text} is in the future")
    return when


def _check_order(path: str, start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end < start:
        raise _fail(path, "ends before it starts")


def _check_rules(log: dict[str, Any], now: datetime) -> None:
    """Checks JSON Schema cannot express: real dates, order, uniqueness, agreement."""
    for path, text in _strings(log):
        if "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text):
            raise _fail(path, "contains a NUL or an unpaired surrogate character")
    _when("exported_at", log["exported_at"], now)
    seen: set[str] = set()
    for i, ses in enumerate(log["sessions"]):
        p = f"sessions[{i}]"
        if ses["id"] in seen:
            raise _fail(f"{p}.id", f"session {ses['id']} appears twice")
        seen.add(ses["id"])
        start = _when(f"{p}.started_at", ses["started_at"], now)
        _check_order(p, start, _when(f"{p}.ended_at", ses["ended_at"], now))
        scored = _when(f"{p}.pain_next_day_at", ses.get("pain_next_day_at"), now)
        if scored is not None and start is not None and scored < start:
            raise _fail(f"{p}.pain_next_day_at", "is before the session started")
        check = ses["safety_check"]
        if check is not None and check["any_yes"] != any(check["answers"].values()):
            raise _fail(f"{p}.safety_check.any_yes", "disagrees with the answers")
        for j, st in enumerate(ses["sets"]):
            q = f"{p}.sets[{j}]"
            s_start = _when(f"{q}.started_at", st["started_at"], now)
            _check_order(q, s_start, _when(f"{q}.ended_at", st.get("ended_at"), now))
            back = st.get("stepped_back_from")
            if back is not None and back <= st["level"]:
                raise _fail(
                    f"{q}.stepped_back_from",
                    f"level {back} is not above the level done ({st['level']})",
                )
            if st.get("swapped_from") == st["exercise"]:
                raise _fail(f"{q}.swapped_from", "is the exercise done itself")
            for k, item in enumerate(st["reps"] + st["holds"]):
                if item["end_s"] < item["start_s"]:
                    kind = "reps" if k < len(st["reps"]) else "holds"
                    idx = k if kind == "reps" else k - len(st["reps"])
                    raise _fail(f"{q}.{kind}[{idx}]", "ends before it starts")
        check_replays(p, ses.get("replays", []))
    seen_tests: set[str] = set()
    for i, test in enumerate(log["tests"]):
        p = f"tests[{i}]"
        if test["id"] in seen_tests:
            raise _fail(f"{p}.id", f"test {test['id']} appears twice")
        seen_tests.add(test["id"])
        _when(f"{p}.taken_at", test["taken_at"], now)
        want = "reps" if test["kind"] == "chair_stand_30s" else "s"
        if test["unit"] != want:
            raise _fail(f"{p}.unit", f"a {test['kind']} result is in {want!r}")
    _check_self_management(log, now)
    _check_education(log, now)


def check_replays(p: str, replays: list[dict[str, Any]]) -> None:
    """Minor version 2: each frame of a movement replay has a time and an x and y
    for every joint named, times never go back, and the fault's joints are ones kept
    (the instructor's page draws from these without checking again)."""
    for i, rp in enumerate(replays):
        q = f"{p}.replays[{i}]"
        want = 1 + 2 * len(rp["joints"])
        last = 0
        for j, frame in enumerate(rp["frames"]):
            if len(frame) != want:
                raise _fail(
                    f"{q}.frames[{j}]",
                    f"has {len(frame)} numbers; {len(rp['joints'])} joints need "
                    f"{want} (the time, then x and y of each joint)",
                )
            if frame[0] < last:
                raise _fail(f"{q}.frames[{j}]", "goes back in time")
            last = frame[0]
        fault = rp["fault"]
        for joint in fault["joints"] if fault else []:
            if joint not in rp["joints"]:
                raise _fail(f"{q}.fault.joints", f"{joint!r} is not in joints")
        if fault and len(fault["joints"]) != REFERENCE_JOINTS[fault["reference"]]:
            raise _fail(
                f"{q}.fault.joints",
                f"a {fault['reference']!r} reference is drawn with "
                f"{REFERENCE_JOINTS[fault['reference']]} joints, not "
                f"{len(fault['joints'])}",
            )


def _check_self_management(log: dict[str, Any], now: datetime) -> None:
    """Minor version 1: real dates and unique IDs of the self-management tools."""
    if log.get("flare_plan") is not None:
        _when("flare_plan.updated_at", log["flare_plan"]["updated_at"], now)
    for field, stamp in (
        ("pacing_plans", "created_at"),
        ("class_questions", "asked_at"),
    ):
        seen: set[str] = set()
        for i, item in enumerate(log.get(field, [])):
            if item["id"] in seen:
                raise _fail(f"{field}[{i}].id", f"{item['id']} appears twice")
            seen.add(item["id"])
            _when(f"{field}[{i}].{stamp}", item[stamp], now)


def _check_education(log: dict[str, Any], now: datetime) -> None:
    """Minor version 2: the beliefs checks (one per stage, unique IDs, finished after
    started) and the lessons read (one record per lesson, each question once)."""
    ids: set[str] = set()
    stages: set[str] = set()
    for i, check in enumerate(log.get("belief_checks", [])):
        p = f"belief_checks[{i}]"
        if check["id"] in ids:
            raise _fail(f"{p}.id", f"{check['id']} appears twice")
        if check["stage"] in stages:
            raise _fail(f"{p}.stage", f"the {check['stage']!r} check appears twice")
        ids.add(check["id"])
        stages.add(check["stage"])
        start = _when(f"{p}.started_at", check["started_at"], now)
        _check_order(p, start, _when(f"{p}.finished_at", check["finished_at"], now))
    numbers: set[int] = set()
    questions = {lesson.number: len(lesson.questions) for lesson in load_lessons()}
    for i, rec in enumerate(log.get("lessons", [])):
        p = f"lessons[{i}]"
        if rec["number"] in numbers:
            raise _fail(f"{p}.number", f"lesson {rec['number']} appears twice")
        numbers.add(rec["number"])
        opened = _when(f"{p}.first_opened_at", rec["first_opened_at"], now)
        _check_order(p, opened, _when(f"{p}.finished_at", rec["finished_at"], now))
        asked: set[int] = set()
        has = questions.get(rec["number"], 0)
        for j, ans in enumerate(rec["answers"]):
            if ans["question"] > has:
                raise _fail(
                    f"{p}.answers[{j}].question",
                    f"lesson {rec['number']} has {has} questions, not "
                    f"{ans['question']}",
                )
            if ans["question"] in asked:
                raise _fail(
                    f"{p}.answers[{j}].question",
                    f"question {ans['question']} appears twice",
                )
            asked.add(ans["question"])
            _when(f"{p}.answers[{j}].answered_at", ans["answered_at"], now)


def validate(obj: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """Check a log already in memory against the schema and the extra rules.

    Args:
        obj: The decoded JSON value.
        now: Reference time for the "not in the future" rule (default: now, UTC).

    Returns:
        The same object, typed as a dict.

    Raises:
        InvalidProgressLog: Naming the first offending field.
    """
    if not _depth_ok(obj):
        raise InvalidProgressLog(f"the log: nested deeper than {MAX_DEPTH} levels")
    errors = list(_validator().iter_errors(obj))
    if errors:
        # Report the shallowest error: a wrong top-level field explains the rest.
        err = min(errors, key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
        err = innermost(err)
        raise _fail(_path(err.absolute_path), describe(err))
    log: dict[str, Any] = obj
    _check_rules(log, now or datetime.now(UTC))
    _check_goals(log, now or datetime.now(UTC))
    return log


def _check_goals(log: dict[str, Any], now: datetime) -> None:
    """Minor version 2: goals have unique IDs, real dates, and are done after set."""
    seen: set[str] = set()
    for i, goal in enumerate(log.get("goals", [])):
        p = f"goals[{i}]"
        if goal["id"] in seen:
            raise _fail(f"{p}.id", f"{goal['id']} appears twice")
        seen.add(goal["id"])
        start = _when(f"{p}.set_at", goal["set_at"], now)
        done = _when(f"{p}.done_at", goal["done_at"], now)
        if start is not None and done is not None and done < start:
            raise _fail(f"{p}.done_at", "is before the goal was set")


# --- building (participant side) ---------------------------------------------------


def _iso(when: datetime) -> str:
    """UTC, seconds precision, '+00:00': as the participant app stores its times."""
    if when.tzinfo is None:
        raise ValueError("datetimes in a progress log need a time zone (use UTC)")
    return when.astimezone(UTC).isoformat(timespec="seconds")


def build_progress_log(
    *,
    participant_id: str,
    joint: str,
    sessions: Sequence[Mapping[str, Any]],
    tests: Sequence[Mapping[str, Any]] = (),
    app_version: str = "0.1.0",
    age_band: str | None = None,
    sex: str | None = None,
    exported_at: datetime | None = None,
    goals: Sequence[Mapping[str, Any]] = (),
    flare_plan: Mapping[str, Any] | None = None,
    pacing_plans: Sequence[Mapping[str, Any]] = (),
    class_questions: Sequence[Mapping[str, Any]] = (),
    belief_checks: Sequence[Mapping[str, Any]] = (),
    lessons: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Assemble a version-1 progress log and validate it: the one place a log is made.

    Sessions and tests are dicts shaped as in docs/progress-log.md (the engine's
    ``Rep.to_dict()`` / ``Hold.to_dict()`` already match the rep and hold shapes).
    The participant app's export (participant/export.py) builds every log it saves
    or sends with this, so nothing the server would refuse leaves the computer.

    Args:
        participant_id: The app's pseudonymous participant UUID.
        joint: "knee", "hip" or "both".
        sessions: Session dicts.
        tests: Test-result dicts.
        app_version: escape-home version string.
        age_band: e.g. "65-69", or None.
        sex: "female", "male", "other", "not_given" or None.
        exported_at: Export time (default now, UTC).
        goals: The goals the participant wrote down (minor version 2).
        flare_plan: The flare-up plan (minor version 1), or None if not made.
        pacing_plans: Pacing plans (minor version 1).
        class_questions: Questions for class (minor version 1), as kept.
        belief_checks: Finished beliefs and confidence checks (minor version 2).
        lessons: The lessons opened, finished and answered (minor version 2).

    Returns:
        The log dict, ready for `dumps`.

    Raises:
        InvalidProgressLog: If the result would not pass the server's checks.
    """
    log = {
        "format": FORMAT,
        "version": VERSION,
        "app_version": app_version,
        "exported_at": _iso(exported_at or datetime.now(UTC)),
        "participant": {
            "id": participant_id,
            "joint": joint,
            "age_band": age_band,
            "sex": sex,
        },
        "sessions": [dict(s) for s in sessions],
        "tests": [dict(t) for t in tests],
        # Always written, even when empty: a server tells "none any more" (the
        # person removed them) from an older app that never sends them.
        "minor_version": MINOR_VERSION,
        "goals": [dict(g) for g in goals],
        "flare_plan": None if flare_plan is None else dict(flare_plan),
        "pacing_plans": [dict(p) for p in pacing_plans],
        "class_questions": [dict(q) for q in class_questions],
        "belief_checks": [dict(c) for c in belief_checks],
        "lessons": [dict(rec) for rec in lessons],
    }
    return validate(log)


def session_summary(sets: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-exercise digest of one session's sets (the log's set shape).

    The one summary both apps use: the participant's progress page and the
    instructor's dashboards (stored with each session at upload).

    Returns:
        ``{"reps": {exercise: n}, "rom": {exercise: mean rom, 1 decimal},
        "faults": {exercise: {fault_key: n}}, "cues": {fault_key: cue}}``, exercises
        in the order of their first set; an exercise whose reps have no ``rom`` is
        missing from "rom".
    """
    reps: Counter[str] = Counter()
    rom: dict[str, list[float]] = {}
    faults: dict[str, Counter[str]] = {}
    cues: dict[str, str] = {}
    for st in sets:
        ex = st["exercise"]
        reps[ex] += len(st["reps"])
        for rep in st["reps"]:
            if "rom" in rep["metrics"]:
                rom.setdefault(ex, []).append(float(rep["metrics"]["rom"]))
        for item in st["reps"] + st["holds"]:
            for fault in item["faults"]:
                faults.setdefault(ex, Counter())[fault["key"]] += 1
                cues.setdefault(fault["key"], fault["cue"])
    return {
        "reps": dict(reps),
        "rom": {ex: round(sum(v) / len(v), 1) for ex, v in rom.items()},
        "faults": {ex: dict(c) for ex, c in faults.items()},
        "cues": cues,
    }


def dumps(log: Mapping[str, Any]) -> str:
    """Serialise a log as compact UTF-8 JSON (refuses NaN, as `parse` does)."""
    return json.dumps(log, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
