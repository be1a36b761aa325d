"""An exercise is declared once: every other place derives from, or agrees with, the
catalogue (escape_home/data/exercises.toml).

`problems()` lists every place that disagrees with the catalogue, naming the file to
change. It is run on the real catalogue (must find nothing) and on a copy with one
exercise added (must name each place that still lacks it), so it can fail.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from escape_home import exercises, progress_log, synth
from escape_home.errors import UnknownExercise
from escape_home.instructor import sample
from escape_home.participant import WEB, views_tests
from escape_home.participant.programme import (
    Programme,
    ProgrammeError,
    load_programme,
)

REPO = Path(__file__).resolve().parents[1]
NEW = "wall_push"


def _clear_caches() -> None:
    progress_log.schema.cache_clear()
    progress_log._validator.cache_clear()


@pytest.fixture
def fresh_schema() -> Iterator[None]:
    """Schema caches emptied before and after, so no other test sees a fake one."""
    _clear_caches()
    yield
    _clear_caches()


def problems(programme: Programme) -> list[str]:
    """Every place that names an exercise the catalogue lacks, or lacks one it needs."""
    ids = exercises.exercise_ids()
    out: list[str] = []
    enum = progress_log.schema()["$defs"]["exercise"].get("enum")
    if enum != ids:
        out.append(
            "escape_home/data/progress_log.schema.json: the exercise list "
            f"{enum} is not the catalogue's {ids}"
        )
    for ex in ids:
        try:
            synth.pose_config(ex, 0.5, "right", synth.Faults(), False)
        except ValueError:
            out.append(f"escape_home/synth.py: pose_config has no motion for {ex!r}")
    for ex_id, entry in programme.exercises.items():
        if ex_id not in ids:
            out.append(f"escape_home/data/programme.json: {ex_id!r} is not catalogued")
            continue
        views = exercises.get_exercise(ex_id).views
        if entry["view"] not in views:
            out.append(
                f"escape_home/data/programme.json: {ex_id!r} view {entry['view']!r} "
                f"is not one of the catalogue's {views}"
            )
        picture = WEB / "static" / programme.picture(ex_id)
        if not picture.is_file():
            out.append(f"{picture.relative_to(REPO)}: missing (drawing of {ex_id!r})")
    for s in programme.data["sessions"]:
        for ex_id in s["circuit"]:
            if ex_id not in programme.exercises:
                out.append(
                    f"escape_home/data/programme.json: session {s['number']} uses "
                    f"{ex_id!r}, which has no entry under 'exercises'"
                )
    for ex_id in sample._EXERCISES:
        if ex_id not in ids:
            out.append(f"escape_home/instructor/sample.py: {ex_id!r} is not catalogued")
    for ex_id, key in sample._FAULTS.items():
        keys = (
            [r.key for r in exercises.get_exercise(ex_id).form] if ex_id in ids else []
        )
        if key not in keys:
            out.append(
                f"escape_home/instructor/sample.py: {ex_id!r} has no form rule {key!r}"
            )
    if views_tests.EXERCISE not in ids:
        out.append("escape_home/participant/views_tests.py: EXERCISE is not catalogued")
    doc = (REPO / "docs" / "progress-log.md").read_text("utf-8")
    row = re.search(r"^\| `sets\[\]\.exercise` \| enum \| (.*) \|$", doc, re.M)
    listed = re.findall(r"`([a-z_0-9]+)`", row.group(1)) if row else []
    if listed != ids:
        out.append(
            f"docs/progress-log.md: the sets[].exercise row lists {listed}, "
            f"not the catalogue's {ids}"
        )
    return out


def test_every_place_agrees_with_the_catalogue(fresh_schema: None) -> None:
    assert problems(load_programme()) == []


def _with_new_exercise(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Add NEW (a copy of the squat) to a copy of the catalogue; return the copy."""
    cat = copy.deepcopy(exercises._catalogue())
    cat[NEW] = copy.deepcopy(cat["squat"]) | {"name": "Wall push"}
    monkeypatch.setattr(exercises, "_catalogue", lambda: cat)
    return cat


def _programme_with(ex_id: str, view: str = "side") -> Programme:
    data = copy.deepcopy(load_programme().data)
    data["exercises"][ex_id] = copy.deepcopy(data["exercises"]["squat"]) | {
        "name": "Wall push",
        "view": view,
    }
    data["sessions"][0]["circuit"].append(ex_id)
    return Programme(data)


def test_a_new_catalogue_exercise_reaches_the_schema(
    fresh_schema: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = sample.make_log(sessions=1)
    log["sessions"][0]["sets"][0]["exercise"] = NEW
    with pytest.raises(progress_log.InvalidProgressLog, match="exercise"):
        progress_log.validate(log)
    _with_new_exercise(monkeypatch)
    _clear_caches()
    assert progress_log.schema()["$defs"]["exercise"]["enum"][-1] == NEW
    progress_log.validate(log)  # the server would accept it: nothing else to edit


def test_a_new_catalogue_exercise_is_missing_where_it_must_be_added(
    fresh_schema: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_new_exercise(monkeypatch)
    _clear_caches()
    found = problems(_programme_with(NEW))
    assert found == [
        f"escape_home/synth.py: pose_config has no motion for {NEW!r}",
        f"web/static/img/exercises/{NEW}.svg: missing (drawing of {NEW!r})",
        "docs/progress-log.md: the sets[].exercise row lists "
        f"{exercises.exercise_ids()[:-1]}, not the catalogue's "
        f"{exercises.exercise_ids()}",
    ]


def test_places_naming_an_uncatalogued_exercise_are_named(
    fresh_schema: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sample, "_EXERCISES", (*sample._EXERCISES, NEW))
    monkeypatch.setattr(sample, "_FAULTS", {**sample._FAULTS, "squat": "trunk_lean"})
    found = problems(_programme_with(NEW))
    assert f"escape_home/data/programme.json: {NEW!r} is not catalogued" in found
    assert f"escape_home/instructor/sample.py: {NEW!r} is not catalogued" in found
    assert (
        "escape_home/instructor/sample.py: 'squat' has no form rule 'trunk_lean'"
        in found
    )
    assert len(found) == 3, found


def test_schema_file_declares_no_exercise_list() -> None:
    raw = json.loads(
        (REPO / "escape_home" / "data" / "progress_log.schema.json").read_text()
    )
    assert "enum" not in raw["$defs"]["exercise"]  # the catalogue is the list


def test_the_programme_loader_refuses_uncatalogued_exercises_and_views(
    tmp_path: Path,
) -> None:
    for prog, message in (
        (_programme_with(NEW), f"exercise '{NEW}' is not in the exercise catalogue"),
        (_programme_with("squat", view="top"), "exercise 'squat' has view 'top'"),
    ):
        path = tmp_path / "p.json"
        path.write_text(json.dumps(prog.data))
        with pytest.raises(ProgrammeError, match=message):
            load_programme(path)


def test_pictures_are_found_by_exercise_id() -> None:
    prog = load_programme()
    steps = [s for s in prog.plan(12, {}) if s["kind"] == "exercise"]
    assert steps
    for s in steps:
        assert s["picture"] == f"img/exercises/{s['exercise']}.svg"
    data = copy.deepcopy(prog.data)
    data["exercises"]["squat"]["picture"] = "img/other.svg"
    assert Programme(data).picture("squat") == "img/other.svg"


def test_unknown_exercise_is_still_an_error() -> None:
    with pytest.raises(UnknownExercise):
        exercises.get_exercise(NEW)
