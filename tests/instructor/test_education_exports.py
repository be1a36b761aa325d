"""The education records in the exports (issue 14 items 4-5): the class CSV has a
``belief_check`` row per finished check (its scores, labelled not a validated
measure) and a ``lesson`` row per lesson opened; the FHIR Bundle carries them as
observations that pass the structural FHIR checks; a participant whose app sent
none has no such rows."""

from __future__ import annotations

from flask import Flask
from instructor_support import add_instructor, enrol, login
from test_education_ingest import _log, _upload
from test_exports import _bundle, _csv, _local, _validate

from escape_home import progress_log
from escape_home.instructor.exports import EDUCATION_KINDS
from escape_home.instructor.sample import make_log


def test_csv_and_fhir_carry_the_checks_and_lessons(sqlite_app: Flask) -> None:
    app = sqlite_app
    add_instructor(app, "alice")
    web = login(app, "alice")
    _, code = web.create_cohort()
    ann, token = enrol(app, code, "Ann")
    bob, bob_token = enrol(app, code, "Bob")
    _upload(app, token, _log(progress_log.new_id(), 5, [("start", 1, 4, 8)]))
    _upload(app, bob_token, make_log(participant_id=progress_log.new_id(), seed=1))
    rows = _csv(web)
    mine = [r for r in rows if r["record"] in EDUCATION_KINDS]
    assert {r["participant_id"] for r in mine} == {ann}  # Bob's app sent none
    [check] = [r for r in mine if r["record"] == "belief_check"]
    assert check["session_number"] == "1"
    assert check["recorded_at_utc"].endswith("+00:00")
    assert check["detail"] == (
        "At the start: Exercise confidence 4 of 10; Helpful beliefs 2 of 10 "
        "(not a validated measure)"
    )
    lessons = {
        r["session_number"]: r["detail"] for r in mine if r["record"] == "lesson"
    }
    assert lessons == {
        "3": "Lesson 3: Why joints hurt; opened 2 time(s); finished: yes; "
        "answered 2 of 2, 1 right first time",
        "4": "Lesson 4: Why exercise helps; opened 1 time(s); finished: no; "
        "answered 0 of 2, 0 right first time",
    }
    resources = _validate(_bundle(web, ann))
    kinds = [(_local(r), r.get("valueString", "")) for r in resources]
    assert ("belief-check", check["detail"]) in kinds
    assert sum(k == "lesson" for k, _ in kinds) == 2
    bobs = {_local(r) for r in _validate(_bundle(web, bob))}
    assert not bobs & {"belief-check", "lesson"}
