"""The exercise catalogue: exercises as data, loaded from ``data/exercises.toml``.

A physiotherapist reads and adjusts the TOML file; this module only parses it into typed
specs and applies overrides (a mapping or a TOML file) on top, so every number can be
changed per person without touching code.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from escape_home.counting import CounterConfig
from escape_home.errors import EscapeHomeError, UnknownExercise
from escape_home.movement import MovementSpec

MODES = ("bilateral", "per_side", "alternating", "hold")
VIEWS = ("side", "front", "oblique")


@dataclass(frozen=True, slots=True)
class FormRule:
    """One form check: a fault when ``value <op> threshold`` on a rep.

    Attributes:
        key: Stable fault identifier (used in logs).
        quantity: Per-frame quantity aggregated over the rep ("" when `metric` is set).
        agg: How the quantity is aggregated over the rep: "max", "min" or "range".
        metric: A per-rep metric to test instead of a quantity ("" if unused).
        op: "<" or ">".
        threshold: The limit.
        unit: Unit of the value and threshold.
        cue: Plain-English cue for the person.
        priority: Higher is more important (the one live cue is the highest).
        views: Camera views in which the rule can be judged.
        during: "any" frame of the rep, or only "moving" frames (between the start
            and far positions, e.g. hands pushing during the rise, not resting).
    """

    key: str
    op: str
    threshold: float
    cue: str
    quantity: str = ""
    agg: str = "max"
    metric: str = ""
    unit: str = ""
    priority: int = 0
    views: tuple[str, ...] = VIEWS
    during: str = "any"

    def fires(self, value: float) -> bool:
        """True when `value` is a fault under this rule."""
        return value < self.threshold if self.op == "<" else value > self.threshold


@dataclass(frozen=True, slots=True)
class HoldConfig:
    """Settings for timed holds (balance)."""

    lift_on: float = 0.15
    lift_off: float = 0.08
    min_dwell_s: float = 0.25
    min_hold_s: float = 1.0
    max_gap_s: float = 1.0


@dataclass(frozen=True, slots=True)
class ExerciseSpec:
    """One exercise of the catalogue (see the comments in data/exercises.toml)."""

    id: str
    name: str
    summary: str
    view: str
    views: tuple[str, ...]
    mode: str
    signal: str
    out_phase: str
    required: tuple[str, ...]
    metrics: tuple[str, ...]
    counter: CounterConfig
    smoothing: dict[str, Any]
    form: tuple[FormRule, ...]
    hold: HoldConfig
    movement: MovementSpec = field(default_factory=MovementSpec)
    side_vote: str = ""
    max_trunk_flexion: float = 0.0


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `over` into a copy of `base`; "a.b" keys address nested tables."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if "." in key:
            head, rest = key.split(".", 1)
            out[head] = _merge(out.get(head, {}), {rest: value})
        elif key == "form" and isinstance(value, Mapping):
            # Form rules are overridden by key: {"form": {"trunk_flexion": {...}}}.
            rules = [dict(r) for r in out.get("form", [])]
            for rule_key, changes in value.items():
                match = [r for r in rules if r["key"] == rule_key]
                if not match:
                    raise EscapeHomeError(f"No form rule {rule_key!r} to override")
                match[0].update(changes)
            out["form"] = rules
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _typed(cls: type[Any], table: Mapping[str, Any], where: str) -> Any:
    names = {f.name for f in fields(cls)}
    unknown = set(table) - names
    if unknown:
        raise EscapeHomeError(
            f"{where}: unknown setting(s) {', '.join(sorted(unknown))}"
        )
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}
    return cls(**kwargs)


def _build(exercise_id: str, t: Mapping[str, Any]) -> ExerciseSpec:
    where = f"exercise {exercise_id!r}"
    if t.get("mode") not in MODES:
        raise EscapeHomeError(f"{where}: mode must be one of {', '.join(MODES)}")
    rules = tuple(_typed(FormRule, r, f"{where} form rule") for r in t.get("form", []))
    return ExerciseSpec(
        id=exercise_id,
        name=t["name"],
        summary=t["summary"],
        view=t["view"],
        views=tuple(t["views"]),
        mode=t["mode"],
        signal=t["signal"],
        out_phase=t.get("out_phase", "up"),
        required=tuple(t.get("required", ())),
        metrics=tuple(t.get("metrics", ())),
        counter=_typed(CounterConfig, t.get("counter", {}), f"{where} counter"),
        smoothing=dict(t.get("smoothing", {"kind": "ema"})),
        form=rules,
        hold=_typed(HoldConfig, t.get("hold", {}), f"{where} hold"),
        movement=_typed(MovementSpec, t.get("movement", {}), f"{where} movement"),
        side_vote=t.get("side_vote", ""),
        max_trunk_flexion=float(t.get("max_trunk_flexion", 0.0)),
    )


@cache
def _catalogue() -> dict[str, dict[str, Any]]:
    text = (
        resources.files("escape_home")
        .joinpath("data/exercises.toml")
        .read_text("utf-8")
    )
    return tomllib.loads(text)


def exercise_ids() -> list[str]:
    """All exercise IDs in catalogue order."""
    return list(_catalogue())


def get_exercise(
    exercise_id: str, overrides: Mapping[str, Any] | None = None
) -> ExerciseSpec:
    """Return one exercise, with `overrides` (same layout as its TOML table) applied.

    Raises:
        UnknownExercise: The ID is not in the catalogue (the message lists valid IDs).
    """
    cat = _catalogue()
    if exercise_id not in cat:
        raise UnknownExercise(
            f"Unknown exercise {exercise_id!r}. Valid exercises: {', '.join(cat)}"
        )
    table = _merge(cat[exercise_id], overrides or {})
    return _build(exercise_id, table)


def list_exercises() -> list[ExerciseSpec]:
    """Every exercise of the catalogue (with `.id`, `.name`, `.summary`, `.view`)."""
    return [get_exercise(i) for i in exercise_ids()]


def load_overrides(path: str | Path) -> dict[str, Any]:
    """Read a TOML overrides file (tables keyed by exercise ID, like the catalogue)."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise EscapeHomeError(f"Could not read exercise settings {path}: {e}") from e
