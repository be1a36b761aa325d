"""The instructor's exercise plan: checked, merged, applied and described, once.

The plan travels as message ``plan`` (data/messages/plan.v1.schema.json). Both ends
call `problems` with the programme: the server on the instructor's form (each problem
becomes a form error), the app on what it fetched (`check`: a bad plan is not used).
The app then lays the plan over the session's steps (`apply`) and tells the person
what changed (`changes`), in plain words.

Field names come from the schema: `FIELDS` is read from it, not written here again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from escape_home import messages
from escape_home.exercises import exercise_ids, get_exercise
from escape_home.progress_log_messages import describe

if TYPE_CHECKING:
    from escape_home.participant.programme import Programme

NAME = "plan"
"""The message's name in escape_home/data/messages."""

Items = dict[str, dict[str, Any]]


def item_schema() -> dict[str, Any]:
    """The schema of one plan item (``$defs.item``)."""
    item: dict[str, Any] = messages.schema(NAME)["$defs"]["item"]
    return item


FIELDS: tuple[str, ...] = tuple(item_schema()["properties"])
"""swap, level, target_reps, target_s, sets, note: in the schema's order."""

LABELS = {
    "swap": "do instead",
    "level": "level",
    "target_reps": "repetitions",
    "target_s": "seconds",
    "sets": "sets",
    "note": "note",
}


def bounds(field: str) -> tuple[int, int]:
    """The smallest and largest value the schema allows for a number field."""
    prop = item_schema()["properties"][field]
    return int(prop["minimum"]), int(prop["maximum"])


def note_limit() -> int:
    return int(item_schema()["properties"]["note"]["maxLength"])


@dataclass(frozen=True)
class Problem:
    """Why one field of a plan cannot be followed (for a form error or a note)."""

    exercise: str
    field: str
    text: str

    def __str__(self) -> str:
        return self.text


def _name(programme: Programme | None, exercise: str) -> str:
    if programme is not None and exercise in programme.exercises:
        return str(programme.exercises[exercise]["name"])
    if exercise in exercise_ids():  # in the catalogue, not in the programme
        return get_exercise(exercise).name
    return exercise.replace("_", " ")


def _schema_problems(items: Any, programme: Programme | None) -> list[Problem]:
    body = {"version": 0, "updated_at": None, "items": items}
    validator = Draft202012Validator(messages.schema(NAME))
    found: list[Problem] = []
    for err in validator.iter_errors(body):
        where = list(err.absolute_path)
        exercise = str(where[1]) if len(where) > 1 else ""
        field = str(where[2]) if len(where) > 2 else ""
        name, label = _name(programme, exercise), LABELS.get(field, field)
        kind, want, got = err.validator, err.validator_value, err.instance
        if "propertyNames" in err.absolute_schema_path:
            text = f"{got!r:.40} is not an exercise of the catalogue"
            exercise = str(got)
        elif kind in ("minimum", "maximum"):
            low, high = bounds(field)
            text = f"{name}, {label}: {got} is not possible; give {low} to {high}"
        elif kind == "type" and field in LABELS:
            text = f"{name}, {label}: give a whole number"
        elif kind == "enum" and field == "swap":
            text = f"{name}: {got!r:.40} is not an exercise of the catalogue"
        elif kind == "maxLength":
            text = f"{name}, note: keep it to {want} characters"
        elif kind == "pattern" and isinstance(got, str) and got.strip():
            bad = messages._not_text(got) or "has control or text-direction characters"
            text = f"{name}, note: {bad}"
        elif kind in ("minLength", "pattern"):
            text = f"{name}, note: write something or leave it empty"
        elif kind == "minProperties":
            text = f"{name}: the item is empty"
        else:
            text = f"{name}{', ' + label if label else ''}: {describe(err)}"
        found.append(Problem(exercise, field, text))
    return found


def problems(items: Any, programme: Programme) -> list[Problem]:
    """Everything that keeps `items` from being followed with `programme`: the
    schema's limits, then the programme's (exercises and swap in it, a level the
    exercise has, repetitions only for a counted exercise, seconds only for a timed
    one). Empty when the plan can be followed."""
    found = _schema_problems(items, programme)
    if found or not isinstance(items, dict):
        return found
    for station, item in items.items():
        name = _name(programme, station)
        if station not in programme.exercises:
            found.append(
                Problem(station, "", f"{name} is not one of the programme's exercises")
            )
            continue
        done = item.get("swap", station)
        if done not in programme.exercises:
            found.append(
                Problem(
                    station,
                    "swap",
                    f"{name}: {_name(programme, done)} is in the catalogue but not in "
                    "the programme, so the app has no levels or instructions for it",
                )
            )
            continue
        if done == station and "swap" in item:
            found.append(Problem(station, "swap", f"{name}: cannot swap for itself"))
        done_name = _name(programme, done)
        top = programme.max_level(done)
        if "level" in item and item["level"] > top:
            found.append(
                Problem(
                    station,
                    "level",
                    f"{done_name} has levels 1 to {top}; level {item['level']} "
                    "does not exist",
                )
            )
        timed = not programme.level(done, 1).get("target_reps")
        if timed and "target_reps" in item:
            found.append(
                Problem(
                    station,
                    "target_reps",
                    f"{done_name} is timed: give seconds, not repetitions",
                )
            )
        if not timed and "target_s" in item:
            found.append(
                Problem(
                    station,
                    "target_s",
                    f"{done_name} is counted in repetitions: give repetitions, "
                    "not seconds",
                )
            )
        note = item.get("note")
        if isinstance(note, str) and (bad := messages._not_text(note)) is not None:
            found.append(Problem(station, "note", f"{name}, note: {bad}"))
    return found


def check(obj: Any, programme: Programme) -> dict[str, Any]:
    """A fetched plan message, checked against the schema and `programme`.

    Raises:
        messages.InvalidMessage: Naming the first problem in plain words.
    """
    if isinstance(obj, dict) and isinstance(obj.get("items"), dict):
        found = problems(obj["items"], programme)  # in plain words, per item
        if found:
            raise messages.InvalidMessage(str(found[0]))
    return messages.validate(NAME, obj)


def merge(class_items: Items, own_items: Items) -> Items:
    """The class plan with the participant's own items laid over it, item by item."""
    return {**class_items, **own_items}


def planned_levels(
    items: Items, levels: Mapping[str, int], step_backs: Mapping[str, tuple[int, int]]
) -> dict[str, int]:
    """The levels to do: the person's own, the plan's where it names one, and the
    level the person moved to from the plan's (a step back when pain says so, or up
    by the programme's rule; `step_backs`: exercise -> (the plan's level, the level
    now)) while the plan still says that level."""
    out = dict(levels)
    for station, item in items.items():
        if "level" not in item:
            continue
        done = item.get("swap", station)
        level = int(item["level"])
        back = step_backs.get(done)
        out[done] = back[1] if back is not None and back[0] == level else level
    return out


def apply(
    steps: list[dict[str, Any]],
    plan: Mapping[str, Any],
    programme: Programme,
    levels: Mapping[str, int],
    step_backs: Mapping[str, tuple[int, int]],
) -> list[dict[str, Any]]:
    """`steps` (from `Programme.plan`) with the plan followed: swaps, levels and
    targets, a set repeated `sets` times, the note on the card. Each exercise step the
    plan touched carries ``plan_version``, and ``swapped_from`` /
    ``stepped_back_from`` where they apply (the progress log's set fields)."""
    items: Items = plan.get("items") or {}
    if not items:
        return steps
    todo = planned_levels(items, levels, step_backs)
    out: list[dict[str, Any]] = []
    for step in steps:
        item = (
            items.get(step.get("exercise", "")) if step["kind"] == "exercise" else None
        )
        if item is None:
            out.append(step)
            continue
        station = step["exercise"]
        done = item.get("swap", station)
        ex = programme.exercises[done]
        level = todo.get(done, 1)
        lv = programme.level(done, level)
        new = {
            **step,
            "exercise": done,
            "name": ex["name"],
            "how": ex["how"],
            "picture": programme.picture(done),
            "view": ex["view"],
            "level": lv["level"],
            "level_name": lv["name"],
            "level_text": lv["text"],
            "target_reps": item.get("target_reps", lv["target_reps"]),
            "target_s": item.get("target_s", lv["target_s"]),
            "plan_version": int(plan["version"]),
        }
        if done != station:
            new["swapped_from"] = station
        if "level" in item and lv["level"] < int(item["level"]):
            new["stepped_back_from"] = int(item["level"])
        if "note" in item:
            new["note"] = item["note"]
        sets = int(item.get("sets", 1))
        for n in range(1, sets + 1):
            out.append({**new, "set": n, "sets": sets} if sets > 1 else dict(new))
    circuit = [s for s in out if s["kind"] == "exercise"]
    for i, s in enumerate(circuit):
        s["next"] = circuit[i + 1]["name"] if i + 1 < len(circuit) else None
    return out


def _effective(
    programme: Programme, items: Items, station: str, levels: Mapping[str, int]
) -> dict[str, Any]:
    item = items.get(station, {})
    done = item.get("swap", station)
    level = int(item.get("level", levels.get(done, 1)))
    lv = programme.level(done, level)
    return {
        "exercise": done,
        "level": lv["level"],
        "target_reps": item.get("target_reps", lv["target_reps"]),
        "target_s": item.get("target_s", lv["target_s"]),
        "sets": int(item.get("sets", 1)),
        "note": item.get("note"),
    }


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def changes(
    programme: Programme, old: Items, new: Items, levels: Mapping[str, int]
) -> list[str]:
    """What is different for the person between two plans, in plain words
    ("Mini squat: 10 repetitions instead of 8"), in programme order."""
    out: list[str] = []
    for station in programme.exercises:
        if old.get(station) == new.get(station):
            continue
        a = _effective(programme, old, station, levels)
        b = _effective(programme, new, station, levels)
        name = _name(programme, station)
        if a["exercise"] != b["exercise"]:
            out.append(
                f"{name}: do {_name(programme, b['exercise'])} instead of "
                f"{_name(programme, a['exercise'])}"
            )
            name = _name(programme, b["exercise"])
        if a["level"] != b["level"]:
            out.append(f"{name}: level {b['level']} instead of level {a['level']}")
        if a["target_reps"] != b["target_reps"] and b["target_reps"]:
            was = f" instead of {a['target_reps']}" if a["target_reps"] else ""
            out.append(
                f"{name}: {_count(b['target_reps'], 'repetition', 'repetitions')}{was}"
            )
        if a["target_s"] != b["target_s"] and b["target_s"]:
            was = f" instead of {a['target_s']:g}" if a["target_s"] else ""
            out.append(f"{name}: {b['target_s']:g} seconds{was}")
        if a["sets"] != b["sets"]:
            out.append(
                f"{name}: {_count(b['sets'], 'set', 'sets')} instead of {a['sets']}"
            )
        if a["note"] != b["note"]:
            out.append(
                f"{name}: a note from your instructor: {b['note']}"
                if b["note"]
                else f"{name}: your instructor's note was removed"
            )
    return out
