"""The progress-log parser and validator: examples, and hypothesis properties."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escape_home import progress_log
from escape_home.errors import InvalidProgressLog
from escape_home.instructor.sample import make_log

FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

scores = st.one_of(st.none(), st.integers(0, 10))
safe_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=200,
)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def test_schema_is_versioned_and_loads() -> None:
    schema = progress_log.schema()
    assert schema["properties"]["version"] == {"const": 1}
    assert schema["properties"]["format"] == {"const": "escape-home-progress-log"}


def test_example_log_is_valid_and_round_trips() -> None:
    log = make_log(sessions=12, reps=10)
    assert progress_log.parse(progress_log.dumps(log)) == log


def test_dumps_refuses_nan() -> None:
    log = make_log(sessions=1)
    log["sessions"][0]["sets"][0]["reps"][0]["metrics"]["rom"] = float("nan")
    with pytest.raises(ValueError):
        progress_log.dumps(log)


def test_build_progress_log_fills_the_envelope() -> None:
    sessions = make_log(sessions=2)["sessions"]
    log = progress_log.build_progress_log(
        participant_id=progress_log.new_id(),
        joint="hip",
        sessions=sessions,
        age_band="70-74",
        sex="male",
        exported_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    assert log["format"] == "escape-home-progress-log" and log["version"] == 1
    assert log["participant"]["joint"] == "hip" and log["tests"] == []
    with pytest.raises(ValueError, match="time zone"):
        progress_log.build_progress_log(
            participant_id=progress_log.new_id(),
            joint="hip",
            sessions=[],
            exported_at=datetime(2026, 1, 1),
        )
    with pytest.raises(InvalidProgressLog, match=r"participant\.joint"):
        progress_log.build_progress_log(
            participant_id=progress_log.new_id(), joint="elbow", sessions=[]
        )


@pytest.mark.parametrize(
    "edit,message",
    [
        (
            lambda g: g["sessions"][0].update(pain_after=11),
            "sessions[0].pain_after: 11 is above the maximum of 10",
        ),
        (
            lambda g: g["sessions"][0].pop("status"),
            "sessions[0]: missing field 'status'",
        ),
        (
            lambda g: g["participant"].update(name="Joan"),
            "participant: unexpected field 'name'",
        ),
        (
            lambda g: g["sessions"][0].update(started_at="2026-02-30T10:00:00Z"),
            "sessions[0].started_at: '2026-02-30T10:00:00Z' is not a real date"
            " and time",
        ),
        (
            lambda g: g["sessions"][0]["safety_check"].update(answers=[]),
            "sessions[0].safety_check.answers: must be an object, not list",
        ),
        (lambda g: g.update(version=2), "version: must be 1, not 2"),
    ],
)
def test_messages_name_the_field(edit: Any, message: str) -> None:
    log = make_log(sessions=2)
    edit(log)
    with pytest.raises(InvalidProgressLog) as info:
        progress_log.validate(log)
    assert str(info.value) == message


def test_size_limit_is_its_own_error() -> None:
    with pytest.raises(progress_log.LogTooLarge):
        progress_log.parse(b" " * 101, max_bytes=100)


def test_future_is_relative_to_now() -> None:
    log = make_log(sessions=1)
    earlier = datetime.now(UTC) - timedelta(days=30)
    with pytest.raises(InvalidProgressLog, match="in the future"):
        progress_log.validate(log, now=earlier)


@st.composite
def valid_logs(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 12))
    log = make_log(
        sessions=n, reps=draw(st.integers(0, 4)), seed=draw(st.integers(0, 99))
    )
    for ses in log["sessions"]:
        ses["pain_before"], ses["pain_after"] = draw(scores), draw(scores)
        ses["pain_next_day"], ses["exertion"] = draw(scores), draw(scores)
        ses["status"] = draw(
            st.sampled_from(["completed", "interrupted", "in_progress"])
        )
        for st_ in ses["sets"]:
            for rep in st_["reps"]:
                rep["metrics"] = draw(
                    st.dictionaries(
                        st.from_regex(r"\A[a-z][a-z0-9_]{0,10}\Z"), finite, max_size=4
                    )
                )
                for fault in rep["faults"]:
                    fault["cue"] = draw(safe_text)
    return log


@FAST
@given(valid_logs())
def test_valid_logs_pass_and_round_trip(log: dict[str, Any]) -> None:
    text = progress_log.dumps(log)
    assert progress_log.parse(text) == json.loads(text)
    assert progress_log.parse(text.encode("utf-8")) == log


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_give_a_log_or_a_clear_error(data: bytes) -> None:
    try:
        progress_log.parse(data)
    except InvalidProgressLog as exc:
        assert str(exc).startswith(
            ("the log:", "format", "version", "app_version", "The file is a")
        )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | safe_text,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(safe_text, kids, max_size=4)
    ),
    max_leaves=20,
)


@FAST
@given(json_values)
def test_any_json_value_is_refused_cleanly(value: Any) -> None:
    with pytest.raises(InvalidProgressLog) as info:
        progress_log.validate(value)
    assert len(str(info.value)) < 300


def _leaves(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(obj, list):
        return [p for i, v in enumerate(obj) for p in _leaves(v, (*path, i))] or [path]
    return [path]


@FAST
@given(st.data(), json_values)
def test_corrupting_one_field_never_crashes_and_names_a_real_path(
    data: st.DataObject, junk: Any
) -> None:
    log = make_log(sessions=2, reps=2)
    paths = [p for p in _leaves(log) if p]
    path = data.draw(st.sampled_from(paths))
    broken = copy.deepcopy(log)
    target = broken
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = junk
    try:
        progress_log.validate(broken)
    except InvalidProgressLog as exc:
        where = str(exc).split(":", 1)[0]
        assert (
            where == "the log"
            or progress_log._path(path).startswith(where)
            or where.startswith(progress_log._path(path[:1]))
        )
        assert len(str(exc)) < 300
