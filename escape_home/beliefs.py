"""The beliefs and confidence check (issue 14 item 4), read from ``data/beliefs.toml``.

A brief scale written for this app, **not a validated measure** (the file says why):
a few 0-10 questions on exercise confidence and on the beliefs the programme sets
out to change, asked at the first session, half way and at the end. Both the
participant's app and the instructor's server score answers with `score`, so both
show the same numbers. A check's answers travel in the progress log as
``belief_checks`` (docs/progress-log.md).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from escape_home.errors import EscapeHomeError
from escape_home.lessons import BELIEFS

#: Every answer is a whole number on this scale.
LOW, HIGH = 0, 10
#: Shown wherever a score is shown (the app, the instructor's page, the docs).
NOT_VALIDATED = "not a validated measure"


class BeliefsError(EscapeHomeError):
    """The beliefs file is missing or malformed (the message says where)."""


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    sessions: tuple[int, ...]
    """The check is offered before the first of these sessions still to come."""


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    instructor: str


@dataclass(frozen=True)
class Item:
    key: str
    measure: str
    question: str
    low: str
    high: str
    reverse: bool
    belief: str = ""

    def points(self, answer: int) -> int:
        """The answer as it counts towards its measure (higher is better)."""
        return HIGH - answer if self.reverse else answer


@dataclass(frozen=True)
class Scale:
    title: str
    note: str
    reviewed_by: str
    stages: tuple[Stage, ...]
    measures: tuple[Measure, ...]
    items: tuple[Item, ...]

    def stage(self, key: str) -> Stage:
        for s in self.stages:
            if s.key == key:
                return s
        raise KeyError(key)

    def item(self, key: str) -> Item:
        for i in self.items:
            if i.key == key:
                return i
        raise KeyError(key)

    @property
    def stage_keys(self) -> list[str]:
        return [s.key for s in self.stages]

    @property
    def item_keys(self) -> list[str]:
        return [i.key for i in self.items]


def _req(d: Mapping[str, Any], key: str, where: str, kind: type = str) -> Any:
    if key not in d or not isinstance(d[key], kind) or d[key] in ("", []):
        raise BeliefsError(f"{where}: '{key}' is missing or not a {kind.__name__}")
    return d[key]


def parse_scale(data: Mapping[str, Any], where: str = "beliefs.toml") -> Scale:
    """Check the beliefs data and return the scale."""
    stages = []
    for i, raw in enumerate(_req(data, "stage", where, list), start=1):
        at = f"{where}: stage {i}"
        sessions = _req(raw, "sessions", at, list)
        if not all(isinstance(n, int) and 1 <= n <= 12 for n in sessions):
            raise BeliefsError(f"{at}: sessions must be numbers from 1 to 12")
        stages.append(
            Stage(_req(raw, "key", at), _req(raw, "name", at), tuple(sessions))
        )
    measures = [
        Measure(
            _req(raw, "key", f"{where}: measure {i}"),
            _req(raw, "name", f"{where}: measure {i}"),
            _req(raw, "instructor", f"{where}: measure {i}"),
        )
        for i, raw in enumerate(_req(data, "measure", where, list), start=1)
    ]
    known = {m.key for m in measures}
    items = []
    for i, raw in enumerate(_req(data, "item", where, list), start=1):
        at = f"{where}: item {i}"
        item = Item(
            key=_req(raw, "key", at),
            measure=_req(raw, "measure", at),
            question=_req(raw, "question", at),
            low=_req(raw, "low", at),
            high=_req(raw, "high", at),
            reverse=_req(raw, "reverse", at, bool) if "reverse" in raw else False,
            belief=str(raw.get("belief", "")),
        )
        if item.measure not in known:
            raise BeliefsError(f"{at}: measure {item.measure!r} is not one of {known}")
        if item.belief and item.belief not in BELIEFS:
            raise BeliefsError(f"{at}: belief {item.belief!r} is not one of {BELIEFS}")
        items.append(item)
    for what, keys in (
        ("stage", [s.key for s in stages]),
        ("measure", [m.key for m in measures]),
        ("item", [i.key for i in items]),
    ):
        if len(set(keys)) != len(keys):
            raise BeliefsError(f"{where}: two {what}s have the same key: {keys}")
    for m in measures:
        if not any(i.measure == m.key for i in items):
            raise BeliefsError(f"{where}: measure {m.key!r} has no items")
    return Scale(
        title=_req(data, "title", where),
        note=_req(data, "note", where),
        reviewed_by=str(data.get("reviewed_by", "")),
        stages=tuple(stages),
        measures=tuple(measures),
        items=tuple(items),
    )


def load_scale(path: str | Path | None = None) -> Scale:
    """Load and check the scale (the packaged file unless `path` is given)."""
    if path is None:
        return _packaged()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BeliefsError(f"The beliefs file could not be read: {exc}") from exc
    return parse_scale(data, str(path))


@cache
def _packaged() -> Scale:
    try:
        text = (
            resources.files("escape_home")
            .joinpath("data/beliefs.toml")
            .read_text(encoding="utf-8")
        )
        data = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BeliefsError(f"The beliefs file could not be read: {exc}") from exc
    return parse_scale(data)


def score(
    answers: Mapping[str, int], scale: Scale | None = None
) -> dict[str, float | None]:
    """Score one check: each measure's mean points (0-10, one decimal, higher is
    better) over its items answered; None for a measure with none answered.

    Answers to items the scale no longer has are left out.
    """
    sc = scale or load_scale()
    out: dict[str, float | None] = {}
    for m in sc.measures:
        pts = [
            i.points(answers[i.key])
            for i in sc.items
            if i.measure == m.key and i.key in answers
        ]
        out[m.key] = round(sum(pts) / len(pts), 1) if pts else None
    return out


def due_stage(
    next_session: int, done: Iterable[str], scale: Scale | None = None
) -> Stage | None:
    """The stage whose check should be offered before session `next_session`: one
    listing that session that is not `done` yet (None when there is none)."""
    sc = scale or load_scale()
    finished = set(done)
    for s in sc.stages:
        if next_session in s.sessions and s.key not in finished:
            return s
    return None


@dataclass(frozen=True)
class Row:
    """One measure across the checks done, for a before/after table."""

    measure: Measure
    scores: list[float | None]  # one per check, in stage order
    change: float | None  # last minus first (None with fewer than two scores)


def before_after(
    checks: Iterable[Mapping[str, Any]], scale: Scale | None = None
) -> tuple[list[Stage], list[Row]]:
    """Finished checks (``{"stage", "answers", ...}``, any order) as a table:
    the stages done in the scale's order, and one row per measure."""
    sc = scale or load_scale()
    by_stage = {c["stage"]: c for c in checks}
    stages = [s for s in sc.stages if s.key in by_stage]
    scored = [score(by_stage[s.key]["answers"], sc) for s in stages]
    rows = []
    for m in sc.measures:
        values = [s[m.key] for s in scored]
        known = [v for v in values if v is not None]
        change = round(known[-1] - known[0], 1) if len(known) >= 2 else None
        rows.append(Row(m, values, change))
    return stages, rows
