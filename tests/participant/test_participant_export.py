"""The progress log is built in one place and checked before it leaves the computer;
the participant's progress page and the instructor's dashboards summarise a session
with one function, so they show the same numbers."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from participant_support import Person

from escape_home import progress_log
from escape_home.errors import InvalidProgressLog
from escape_home.events import Fault, Rep
from escape_home.instructor import ingest
from escape_home.participant import db, export, remote, store
from escape_home.participant.views_progress import progress_data

# Their exact mean is 71.65: statistics.mean gives 71.7, sum/len gives 71.6. Before
# one function did both, the participant saw one and the instructor the other.
TIE_ROMS = (104.14, 70.27, 40.54)


def _record(app: Flask, sid: str) -> None:
    """Two squat sets (one with no reps) and a sit-to-stand set, then finish."""

    def write(c: sqlite3.Connection) -> None:
        fault = Fault("forward_lean", "Keep your chest up", 50.0, 45.0, "deg", 2)
        first = store.start_set(c, sid, "squat", 1, 8, None)
        for i, rom in enumerate(TIE_ROMS[:2]):
            store.add_rep(
                c,
                first,
                Rep(i + 1, "both", 2.0 * i, 2.0 * i + 1.5, {"rom": rom}, (fault,)),
            )
        store.end_set(c, first, "done", partial_reps=1, warnings=["Step back"])
        empty = store.start_set(c, sid, "squat", 1, 8, None)
        store.end_set(c, empty, "done")
        second = store.start_set(c, sid, "sit_to_stand", 2, 10, None)
        store.add_rep(c, second, Rep(1, "both", 0.0, 2.0, {"peak_angle": 170.0}))
        store.end_set(c, second, "done")
        again = store.start_set(c, sid, "squat", 1, 8, None)
        store.add_rep(c, again, Rep(1, "both", 0.0, 2.0, {"rom": TIE_ROMS[2]}))
        store.end_set(c, again, "done")
        store.update_session(c, sid, pain_after=3, exertion=5)
        store.finish_session(c, sid)

    app.extensions["escape_home.writer"].call(write)


def _conn(app: Flask) -> sqlite3.Connection:
    return db.connect(app.config["DATABASE"])


def test_export_uses_the_shared_builder_and_validates(
    app: Flask, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    person.sign_up()
    sid = person.start_session()
    _record(app, sid)
    checked: list[dict[str, Any]] = []
    real_validate = progress_log.validate

    def spy(obj: Any, **kw: Any) -> dict[str, Any]:
        checked.append(obj)
        return real_validate(obj, **kw)

    monkeypatch.setattr(progress_log, "validate", spy)
    conn = _conn(app)
    try:
        log = export.build_log(conn)
        profile = store.get_profile(conn)
        row = store.session_sets(conn, sid)
    finally:
        conn.close()
    assert profile is not None
    assert checked == [log]  # validated, once, as it is returned
    assert list(log) == [
        "format",
        "version",
        "app_version",
        "exported_at",
        "participant",
        "sessions",
        "tests",
        "minor_version",
        "goals",
        "flare_plan",
        "pacing_plans",
        "class_questions",
        "belief_checks",
        "lessons",
    ]
    assert log["minor_version"] == progress_log.MINOR_VERSION
    assert log["format"] == progress_log.FORMAT and log["version"] == 1
    assert log["app_version"] == export.app_version()
    # The same shape as the app's own times (db.now_iso): seconds, "+00:00".
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", log["exported_at"])
    assert log["participant"] == {
        "id": profile["participant_uuid"],
        "joint": "knee",
        "age_band": "65-69",
        "sex": "female",
    }
    (ses,) = log["sessions"]
    assert ses["id"] == sid and ses["status"] == "completed"
    assert [s["exercise"] for s in ses["sets"]] == [
        "squat",
        "squat",
        "sit_to_stand",
        "squat",
    ]
    first = ses["sets"][0]
    assert first["started_at"] == row[0]["started_at"]  # stored times as they are
    assert first["partial_reps"] == 1 and first["warnings"] == ["Step back"]
    assert "warnings" not in ses["sets"][1] and "partial_reps" not in ses["sets"][1]
    assert first["reps"][0]["faults"][0]["key"] == "forward_lean"


WHERE = "sessions[0].sets[0].reps[0].faults[0].cue"


def _break_the_log(app: Flask, sid: str) -> None:
    # A cue longer than the format allows (say, from a physiotherapist's override):
    # the database takes it, the server would refuse the whole log.
    def write(c: sqlite3.Connection) -> None:
        set_id = store.start_set(c, sid, "squat", 1, 8, None)
        fault = Fault("forward_lean", "Keep your chest up " * 12, 50.0, 45.0, "deg")
        store.add_rep(c, set_id, Rep(1, "both", 0.0, 1.5, {"rom": 60.0}, (fault,)))

    app.extensions["escape_home.writer"].call(write)


def test_an_invalid_log_is_neither_saved_nor_sent(
    app: Flask,
    client: FlaskClient,
    person: Person,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person.sign_up()
    sid = person.start_session()
    _break_the_log(app, sid)
    conn = _conn(app)
    try:
        with pytest.raises(InvalidProgressLog, match=re.escape(WHERE)):
            export.build_log(conn)
    finally:
        conn.close()

    resp = client.get("/progress/export", follow_redirects=True)
    assert resp.mimetype == "text/html"  # no file, but the reason
    assert "could not be saved" in resp.get_data(as_text=True)
    assert WHERE in resp.get_data(as_text=True)

    sent: list[Any] = []
    monkeypatch.setattr(remote, "post_json", lambda *a, **k: sent.append(a))
    app.extensions["escape_home.writer"].call(
        lambda c: (
            store.set_setting(c, "server", "http://127.0.0.1:9"),
            store.set_setting(c, "token", "t"),
        )
    )
    client_ = app.extensions["escape_home.remote"]
    assert client_.upload_now() is False
    assert sent == []
    assert WHERE in client_.last_error


def test_progress_page_and_instructor_show_the_same_numbers(
    app: Flask, person: Person
) -> None:
    person.sign_up()
    sid = person.start_session()
    _record(app, sid)
    conn = _conn(app)
    try:
        log = export.build_log(conn)
        with app.app_context():
            page = progress_data(conn)["exercises"]
    finally:
        conn.close()
    digest = ingest.summarise(log["sessions"][0])
    assert digest == progress_log.session_summary(log["sessions"][0]["sets"])
    assert digest["reps"] == {"squat": 3, "sit_to_stand": 1}
    assert digest["rom"] == {"squat": round(sum(TIE_ROMS) / 3, 1)} == {"squat": 71.6}
    assert digest["faults"] == {"squat": {"forward_lean": 2}}
    assert digest["cues"] == {"forward_lean": "Keep your chest up"}
    assert list(page) == ["squat", "sit_to_stand"]
    for ex, entry in page.items():
        assert entry["reps"] == [digest["reps"][ex]]
        assert entry["rom"] == [digest["rom"].get(ex)]
    assert page["sit_to_stand"]["rom_unit"] == "degrees"
    # The unit comes from what the exercise measures (a knee angle for both).
    assert page["squat"]["rom_unit"] == "degrees"


def test_session_summary_counts_zero_rep_sets_and_hold_faults() -> None:
    fault = {"key": "trunk_lean", "cue": "Stand tall", "value": 1, "threshold": 0}
    sets = [
        {"exercise": "balance", "reps": [], "holds": [{"faults": [fault]}]},
        {"exercise": "squat", "reps": [], "holds": []},
    ]
    assert progress_log.session_summary(sets) == {
        "reps": {"balance": 0, "squat": 0},
        "rom": {},
        "faults": {"balance": {"trunk_lean": 1}},
        "cues": {"trunk_lean": "Stand tall"},
    }


def test_build_progress_log_formats_times_as_the_app_stores_them() -> None:
    when = datetime(2025, 3, 1, 11, 30, 5, 123456, tzinfo=timezone(timedelta(hours=1)))
    log = progress_log.build_progress_log(
        participant_id=progress_log.new_id(),
        joint="knee",
        sessions=[],
        exported_at=when,
    )
    assert log["exported_at"] == "2025-03-01T10:30:05+00:00"
    assert log["exported_at"] == when.astimezone(UTC).isoformat(timespec="seconds")
