"""Plain-language messages for progress-log validation errors.

jsonschema's own messages quote the whole offending value, which for an upload can be
megabytes of someone else's text; these name the field and stay short.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import ValidationError


def path(parts: Iterable[str | int]) -> str:
    """Render a JSON path the way the docs do: ``sessions[0].sets[1].reps``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def short(value: Any) -> str:
    """A repr of `value` of at most 40 characters (containers by type name)."""
    text = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


_TYPE_NAMES = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def innermost(err: ValidationError) -> ValidationError:
    """For a nullable field (anyOf [thing, null]) the useful reason is the deepest
    error of the non-null branch."""
    while err.validator == "anyOf" and err.context:
        best = [
            e
            for e in err.context
            if not (e.validator == "type" and e.validator_value == "null")
        ]
        if not best:
            break
        err = max(best, key=lambda e: len(e.relative_path))
    return err


def describe(err: ValidationError) -> str:
    """Turn one jsonschema error into a short sentence that never echoes big input."""
    kind, want, got = err.validator, err.validator_value, err.instance
    if kind == "required":
        missing = [k for k in want if isinstance(got, dict) and k not in got]
        return f"missing field {missing[0]!r}" if missing else "a field is missing"
    if kind == "additionalProperties":
        allowed = set(err.schema.get("properties", {}))
        extra = (
            sorted(k for k in got if k not in allowed) if isinstance(got, dict) else []
        )
        return f"unexpected field {short(extra[0]) if extra else '?'}"
    if kind == "type":
        names = [want] if isinstance(want, str) else list(want)
        wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        return f"must be {wanted}, not {short(got)}"
    if kind == "enum":
        return f"{short(got)} is not one of {', '.join(map(json.dumps, want))}"
    if kind == "const":
        return f"must be {want!r}, not {short(got)}"
    if kind in ("minimum", "maximum"):
        word = "below the minimum" if kind == "minimum" else "above the maximum"
        return f"{short(got)} is {word} of {want}"
    if kind == "pattern" and "propertyNames" in err.absolute_schema_path:
        return f"field name {short(got)} is not allowed"
    if kind == "pattern":
        return f"{short(got)} is not in the expected form"
    if kind in ("maxLength", "maxItems", "maxProperties"):
        return f"too long (at most {want})"
    if kind in ("minLength", "minItems", "minProperties"):
        return f"too short (at least {want})"
    if kind == "uniqueItems":
        return "has the same item twice"
    if kind == "propertyNames":
        return f"field name {short(got)} is not allowed"
    return f"{short(got)} is not valid here"
