"""Every message between the participant app and the instructor server, defined once.

Each message is a versioned JSON Schema in escape_home/data/messages/
(``<name>.v<VERSION>.schema.json``); the upload itself is the progress log
(data/progress_log.schema.json, checked by `escape_home.progress_log`). The app
validates what it sends and the enrolment reply it gets; the server validates what it
receives and answers a plain 400 whose message starts with the field at fault, e.g.
``state: 'done' is not one of "joined", ...``.

The live states are read from the schema: `live_state` refuses a name the schema does
not list, so the constants below fail at import rather than as a 400 in a class.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from escape_home.errors import EscapeHomeError
from escape_home.exercises import exercise_ids
from escape_home.progress_log_messages import describe, innermost, path, short

VERSION = 1
NAMES = ("enrol", "enrol-reply", "live", "upload-reply", "error", "plan", "class")
"""Messages with a schema here; the upload body is the progress log."""


class InvalidMessage(EscapeHomeError):
    """A message does not match its schema; the text names the field at fault."""


@cache
def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of message `name` (version `VERSION`).

    A ``$defs.exercise`` is filled in from the exercise catalogue, as in the progress
    log, so an exercise ID is declared once.
    """
    if name not in NAMES:
        raise KeyError(name)
    text = (
        resources.files("escape_home")
        .joinpath(f"data/messages/{name}.v{VERSION}.schema.json")
        .read_text("utf-8")
    )
    loaded: dict[str, Any] = json.loads(text)
    if "exercise" in loaded.get("$defs", {}):
        loaded["$defs"]["exercise"] = {"enum": exercise_ids()}
    return loaded


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


def _not_text(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None (JSON's \\uD800 escapes decode
    to lone surrogates, which no database encoding accepts)."""
    if "\x00" in value:
        return "contains a NUL character"
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return "contains a lone surrogate (not valid Unicode text)"
    return None


def validate(name: str, obj: Any) -> dict[str, Any]:
    """Check `obj` against message `name`; return it typed as a dict.

    Raises:
        InvalidMessage: Naming the first offending field (``reps: -1 is below ...``).
    """
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, str) and (problem := _not_text(value)) is not None:
                raise InvalidMessage(f"{key[:40]}: {problem}")
    errors = list(_validator(name).iter_errors(obj))
    if errors:
        err = min(errors, key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
        err = innermost(err)
        where = path(err.absolute_path)
        got = err.instance
        if err.validator == "required" and isinstance(got, dict):
            missing = [k for k in err.validator_value if k not in got]
            raise InvalidMessage(f"{path([*err.absolute_path, missing[0]])}: missing")
        if err.validator == "additionalProperties" and isinstance(got, dict):
            allowed = set(err.schema.get("properties", {}))
            extra = sorted(k for k in got if k not in allowed)
            raise InvalidMessage(f"{short(extra[0])}: unexpected field")
        if err.validator == "minLength":
            raise InvalidMessage(f"{where}: too short (at least {err.validator_value})")
        raise InvalidMessage(f"{where or 'the message'}: {describe(err)}")
    checked: dict[str, Any] = obj
    return checked


def with_defaults(name: str, obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` with every absent field set to its schema default."""
    props: dict[str, Any] = schema(name)["properties"]
    return {k: obj.get(k, p.get("default")) for k, p in props.items()}


def live_states() -> tuple[str, ...]:
    """Every state a live update can carry, in the schema's order."""
    return tuple(schema("live")["properties"]["state"]["enum"])


def live_state(name: str) -> str:
    """`name` if the live schema lists it as a state; ValueError otherwise."""
    if name not in live_states():
        raise ValueError(f"{name!r} is not a live state of the schema")
    return name


def cue_limit() -> int:
    """The longest cue a live update may carry."""
    cue = schema("live")["properties"]["cue"]["anyOf"][0]
    return int(cue["maxLength"])


JOINED = live_state("joined")
"""A session has started (pain before answered); no set yet."""
EXERCISING = live_state("exercising")
PAUSED = live_state("paused")
RESTING = live_state("resting")
"""Between sets."""
FINISHED = live_state("finished")
"""The session is completed (pain after answered): the end-of-session state."""
LEFT = live_state("left")
"""The session was closed unfinished."""


def class_phases() -> tuple[str, ...]:
    """Every phase of a class led live (message ``class``), in the schema's order."""
    return tuple(schema("class")["properties"]["phase"]["enum"])


def class_phase(name: str) -> str:
    """`name` if the class schema lists it as a phase; ValueError otherwise."""
    if name not in class_phases():
        raise ValueError(f"{name!r} is not a class phase of the schema")
    return name


NO_CLASS = class_phase("none")
"""No class led live is on for this participant's class."""
GATHERING = class_phase("gathering")
"""Started: each app plays its own topic and warm-up, then waits for a station."""
STATION = class_phase("station")
"""Everyone does the station's exercise, with their own level and targets."""
REST = class_phase("rest")
"""Everyone rests between stations."""
ENDED = class_phase("ended")
"""The class is over: each app goes on to its own cool-down."""
LIVE_PHASES = (GATHERING, STATION, REST)
"""Phases in which a class is on (a participant may join)."""
