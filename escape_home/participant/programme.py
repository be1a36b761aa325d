"""The 12-session programme, read from data, and the step-by-step plan of a session.

The programme lives in ``escape_home/data/programme.json`` so an instructor can edit
exercises, levels, targets and education cards without touching code. A different
file can be used with the ``PROGRAMME`` setting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from escape_home.errors import EscapeHomeError, UnknownExercise
from escape_home.exercises import get_exercise

NUM_SESSIONS = 12
#: Where an exercise's drawing is, under web/static, unless the programme names one.
PICTURE = "img/exercises/{id}.svg"


class ProgrammeError(EscapeHomeError):
    """The programme file is missing or malformed (the message says where)."""


@dataclass(frozen=True)
class Programme:
    """A loaded, checked programme (the JSON as plain dicts, plus helpers)."""

    data: dict[str, Any]

    @property
    def exercises(self) -> dict[str, Any]:
        ex: dict[str, Any] = self.data["exercises"]
        return ex

    @property
    def safety_questions(self) -> list[dict[str, Any]]:
        qs: list[dict[str, Any]] = self.data["safety_questions"]
        return qs

    def brief_safety_questions(self) -> list[dict[str, Any]]:
        """The short list asked before every session."""
        keys = set(self.data.get("brief_safety_keys") or [])
        return [q for q in self.safety_questions if q["key"] in keys]

    def session(self, number: int) -> dict[str, Any]:
        """The definition of session `number` (1-12)."""
        for s in self.data["sessions"]:
            if s["number"] == number:
                found: dict[str, Any] = s
                return found
        raise ProgrammeError(f"The programme has no session {number}")

    def picture(self, exercise: str) -> str:
        """The drawing shown on the exercise's card (a path under web/static)."""
        named: str | None = self.exercises[exercise].get("picture")
        return named or PICTURE.format(id=exercise)

    def level(self, exercise: str, level: int) -> dict[str, Any]:
        """The level record, clamped to the levels the exercise has."""
        levels = self.exercises[exercise]["levels"]
        chosen: dict[str, Any] = levels[max(1, min(level, len(levels))) - 1]
        return chosen

    def max_level(self, exercise: str) -> int:
        return len(self.exercises[exercise]["levels"])

    def plan(
        self,
        number: int,
        levels: dict[str, int],
        circuit: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Return the ordered steps of session `number` for the person's levels.

        Args:
            number: Session number, 1-12.
            levels: Current level per exercise ID (missing means level 1).
            circuit: A class led live's stations (issue 12 item 4), done once in
                place of the session's own circuit; an exercise this programme
                lacks is left out (its station has no step).

        Returns:
            A list of JSON-ready step dicts, each with a ``kind`` of
            ``education``, ``move`` (warm-up/cool-down), ``test``, ``exercise`` or
            ``relax``. The page plays them in order. Each exercise step has
            ``station``: its index in the circuit (the class's station).
        """
        s = self.session(number)
        steps: list[dict[str, Any]] = [
            {
                "kind": "education",
                "title": s["theme"]["title"],
                "text": s["theme"]["text"],
                "lesson": number,  # the full lesson: data/lessons.toml (issue 14)
            }
        ]
        for move in self.data["warm_up"]:
            steps.append({"kind": "move", "part": "warm_up", **move})
        for test in s.get("tests", []):
            steps.append({"kind": "test", "test": test})
        rounds = int(s.get("rounds", 1)) if circuit is None else 1
        stations: list[str] = list(s["circuit"] if circuit is None else circuit)
        done: list[dict[str, Any]] = []
        for rnd in range(1, rounds + 1):
            for station, ex_id in enumerate(stations):
                if ex_id not in self.exercises:
                    continue
                ex = self.exercises[ex_id]
                lv = self.level(ex_id, levels.get(ex_id, 1))
                done.append(
                    {
                        "kind": "exercise",
                        "exercise": ex_id,
                        "station": station,
                        "name": ex["name"],
                        "how": ex["how"],
                        "picture": self.picture(ex_id),
                        "view": ex["view"],
                        "level": lv["level"],
                        "level_name": lv["name"],
                        "level_text": lv["text"],
                        "target_reps": lv["target_reps"],
                        "target_s": lv["target_s"],
                        "round": rnd,
                        "rounds": rounds,
                        "rest_s": self.data.get("rest_s", 20),
                    }
                )
        for i, step in enumerate(done):
            step["next"] = done[i + 1]["name"] if i + 1 < len(done) else None
        steps.extend(done)
        for move in self.data["cool_down"]:
            steps.append({"kind": "move", "part": "cool_down", **move})
        steps.append({"kind": "relax", **self.data["relaxation"]})
        return steps


def _check(data: Any, where: str) -> None:
    """Raise ProgrammeError naming the first problem found."""
    if not isinstance(data, dict):
        raise ProgrammeError(f"{where}: the programme must be a JSON object")
    for key in (
        "exercises",
        "sessions",
        "safety_questions",
        "warm_up",
        "cool_down",
        "relaxation",
    ):
        if key not in data:
            raise ProgrammeError(f"{where}: '{key}' is missing")
    numbers = sorted(s.get("number") for s in data["sessions"])
    if numbers != list(range(1, NUM_SESSIONS + 1)):
        raise ProgrammeError(
            f"{where}: sessions must be numbered 1 to 12, got {numbers}"
        )
    for ex_id, ex in data["exercises"].items():
        try:
            spec = get_exercise(ex_id)
        except UnknownExercise:
            raise ProgrammeError(
                f"{where}: exercise '{ex_id}' is not in the exercise catalogue "
                "(escape_home/data/exercises.toml)"
            ) from None
        if ex.get("view") not in spec.views:
            raise ProgrammeError(
                f"{where}: exercise '{ex_id}' has view {ex.get('view')!r}; the "
                f"catalogue judges it from {', '.join(spec.views)}"
            )
        levels = ex.get("levels") or []
        if not levels:
            raise ProgrammeError(f"{where}: exercise '{ex_id}' has no levels")
        for lv in levels:
            if not (lv.get("target_reps") or lv.get("target_s")):
                raise ProgrammeError(
                    f"{where}: exercise '{ex_id}' level {lv.get('level')} needs "
                    "target_reps or target_s"
                )
    for s in data["sessions"]:
        for ex_id in s["circuit"]:
            if ex_id not in data["exercises"]:
                raise ProgrammeError(
                    f"{where}: session {s['number']} uses unknown exercise '{ex_id}'"
                )


def load_programme(path: str | Path | None = None) -> Programme:
    """Load and check the programme (the packaged one unless `path` is given)."""
    try:
        if path is None:
            where = "programme.json"
            text = (
                resources.files("escape_home")
                .joinpath("data/programme.json")
                .read_text(encoding="utf-8")
            )
        else:
            where = str(path)
            text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise ProgrammeError(f"The programme file could not be read: {exc}") from exc
    _check(data, where)
    return Programme(data)
