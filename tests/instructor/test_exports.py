"""Exports other systems can read (issue 11, dashboard: exports): the FHIR Bundle is
structurally valid FHIR (checked by the fhir.resources models), tells the three pain
scores apart and dates each when it was given, carries exertion, the safety answers
and the norm band, marks only completed sessions `final`; CSV and FHIR say their
times are UTC; the participant's self-management tools are in both."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from flask import Flask
from instructor_support import Web, bearer, enrol

from escape_home import progress_log
from escape_home.instructor.exports import PAIN_CODES, SESSION_STATUS
from escape_home.instructor.sample import make_log
from escape_home.participant import db as pdb
from escape_home.participant import export, store

LOCAL = "https://escape-home.example/fhir/CodeSystem/escape-home"


def _upload(app: Flask, web: Web, log: dict[str, Any]) -> str:
    _, code = web.create_cohort()
    pid, token = enrol(app, code, "Ann Example")
    r = app.test_client().post(
        "/api/logs", data=progress_log.dumps(log), headers=bearer(token)
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    return pid


def _bundle(web: Web, pid: str) -> dict[str, Any]:
    r = web.client.get(f"/participants/{pid}/fhir.json")
    assert r.status_code == 200
    bundle: dict[str, Any] = json.loads(r.get_data(as_text=True))
    return bundle


#: Observation.status (a required binding in FHIR R4), which the models do not check.
OBSERVATION_STATUS = {
    "registered",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "cancelled",
    "entered-in-error",
    "unknown",
}


def _check(res: dict[str, Any]) -> None:
    """One resource: parsed by the fhir.resources R4 models (element names, value
    types, date formats, required elements present), plus what they leave out:
    required elements not null and Observation.status from its value set."""
    get_fhir_model_class(res["resourceType"]).model_validate(res)
    if res["resourceType"] == "Observation":
        assert res.get("code") and res.get("subject"), res
        assert res["status"] in OBSERVATION_STATUS, res["status"]
        for part in res.get("component", []):
            assert part.get("code"), part


def _validate(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """Structural FHIR checks of the Bundle and of every resource in it."""
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    resources = [e["resource"] for e in bundle["entry"]]
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        _check(entry["resource"])
    assert len({r["id"] for r in resources}) == len(resources)
    return resources


def _local(res: dict[str, Any]) -> str | None:
    return next(
        (c["code"] for c in res["code"]["coding"] if c["system"] == LOCAL), None
    )


def test_the_validator_catches_what_it_should() -> None:
    """The structural check would fail on a broken resource (so it is a check)."""
    good = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "valueInteger": 1,
    }
    good = {**good, "subject": {"reference": "Patient/x"}}
    _check(good)
    for bad in (
        {k: v for k, v in good.items() if k != "status"},  # required element
        {**good, "code": None},
        {**good, "status": "done"},  # not a FHIR status
        {**good, "effectiveDateTime": "yesterday"},
        {**good, "valueInteger": "three"},
    ):
        with pytest.raises((ValueError, AssertionError)):
            _check(bad)


def test_fhir_pain_exertion_safety_norm_and_status(app: Flask, web: Web) -> None:
    log = make_log(sessions=3, pain=[(2, 4, 3), (3, 5, None), (1, None, None)])
    second, third = log["sessions"][1], log["sessions"][2]
    second["status"] = "interrupted"  # stopped after a safety "yes"
    second["safety_check"] = {
        "answers": {"chest_pain": False, "calf_pain": True},
        "any_yes": True,
    }
    third["status"], third["ended_at"] = "in_progress", None
    pid = _upload(app, web, log)
    bundle = _bundle(web, pid)
    resources = _validate(bundle)
    assert bundle["meta"]["tag"][0]["code"] == "times-utc"

    first = log["sessions"][0]
    pains = {
        _local(r): r
        for r in resources
        if r["code"]["coding"][0]["code"] == "72514-3"
        and r["note"][0]["text"].startswith("Session 1,")
    }
    assert set(pains) == {code for code, _ in PAIN_CODES.values()}
    start = datetime.fromisoformat(first["started_at"])
    end = datetime.fromisoformat(first["ended_at"])
    assert pains["pain-before-exercise"]["valueInteger"] == 2
    assert datetime.fromisoformat(
        pains["pain-before-exercise"]["effectiveDateTime"]
    ) == (start)
    assert datetime.fromisoformat(
        pains["pain-after-exercise"]["effectiveDateTime"]
    ) == (end)
    # A log without pain_next_day_at (older app): the day after, not the session's
    # own start (it was dated a day early).
    assert pains["pain-next-day"]["effectiveDateTime"] == (
        (end + timedelta(days=1)).date().isoformat()
    )

    exertion = [r for r in resources if _local(r) == "exertion-rpe-0-10"]
    assert [r["valueInteger"] for r in exertion] == [5, 5, 5]

    safety = [r for r in resources if _local(r) == "safety-check"]
    assert [r["valueBoolean"] for r in safety] == [False, True, False]
    yes = {c["code"]["coding"][0]["code"]: c for c in safety[1]["component"]}
    assert yes["safety-calf_pain"]["valueBoolean"] is True
    assert "calf" in yes["safety-calf_pain"]["code"]["text"]  # the question asked

    activity = [r for r in resources if r["code"]["coding"][0]["code"] == "73985-4"]
    assert [r["status"] for r in activity] == ["final", "cancelled", "preliminary"]
    assert SESSION_STATUS["completed"] == "final"
    assert "end" not in activity[2]["effectivePeriod"]

    test = next(r for r in resources if _local(r) == "chair-stand-30s")
    assert test["referenceRange"][0]["low"]["value"] == 11
    assert test["referenceRange"][0]["high"]["value"] == 16
    assert "65-69 female" in test["referenceRange"][0]["text"]
    for r in resources:
        when = r.get("effectiveDateTime") or r["effectivePeriod"]["start"]
        assert len(when) == 10 or when.endswith("+00:00"), when


def test_next_day_pain_is_dated_when_the_app_recorded_it(
    app: Flask, web: Web, tmp_path: Path
) -> None:
    """The root cause: the log did not say when the next-day pain was given, so the
    export dated it with the session. The app now records the time
    (`pain_next_day_at`, minor version 2) and the export uses it."""
    path = str(tmp_path / "participant.sqlite3")
    pdb.open_database(path)
    conn = pdb.connect(path)
    try:
        store.save_profile(conn, "Ann", "knee", "65-69", "female")
        sid = store.start_session(conn, 1, {"chest_pain": False})
        store.update_session(conn, sid, pain_before=2, pain_after=4, exertion=6)
        store.finish_session(conn, sid)
        day_before = (datetime.now(UTC) - timedelta(hours=26)).isoformat()
        conn.execute(
            "UPDATE session SET started_at = ?, ended_at = ? WHERE id = ?",
            (day_before, day_before, sid),
        )
        before = datetime.now(UTC)
        store.record_next_day_pain(conn, sid, 3)
        conn.commit()
        log = export.build_log(conn)
    finally:
        conn.close()
    scored = datetime.fromisoformat(log["sessions"][0]["pain_next_day_at"])
    assert scored >= before.replace(microsecond=0)
    pid = _upload(app, web, log)
    resources = _validate(_bundle(web, pid))
    nxt = next(r for r in resources if _local(r) == "pain-next-day")
    assert nxt["valueInteger"] == 3
    assert datetime.fromisoformat(nxt["effectiveDateTime"]) == scored
    rows = _csv(web)
    assert rows[0]["pain_next_day_at_utc"] == scored.isoformat()


def test_a_log_with_next_day_pain_before_the_session_is_refused() -> None:
    log = make_log(sessions=1)
    log["sessions"][0]["pain_next_day_at"] = "2020-01-01T10:00:00Z"
    with pytest.raises(progress_log.InvalidProgressLog, match="pain_next_day_at"):
        progress_log.validate(log)
    log["sessions"][0]["pain_next_day_at"] = None  # not given: fine
    progress_log.validate(log)


def _csv(web: Web, cohort_id: int | None = None) -> list[dict[str, str]]:
    if cohort_id is None:
        page = web.client.get("/").get_data(as_text=True)
        cohort_id = int(page.split('href="/cohorts/')[1].split('"')[0])
    text = web.client.get(f"/cohorts/{cohort_id}/export.csv").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text)))


def _tools(log: dict[str, Any]) -> None:
    when = log["sessions"][-1]["ended_at"]
    log["flare_plan"] = {
        "updated_at": when,
        "step_back": [{"exercise": "squat", "level": 1}],
        "heat_or_ice": "heat",
        "do_less": "gardening",
        "ask": "physio",
        "note": "",
    }
    log["pacing_plans"] = [
        {
            "id": "8f0b7a8e-1d6e-4a0b-9a43-2f7d2d3d9e11",
            "created_at": when,
            "activity": "Walking the dog",
            "usual_min": 20,
            "start_min": 16,
            "step_min": 2,
            "goal_min": 30,
            "weeks": [16, 18, 20, 22],
        }
    ]
    log["class_questions"] = [
        {
            "id": "0b7f1c3e-5f3a-4d8c-8e0e-7f6a5b4c3d21",
            "asked_at": when,
            "text": "Is stiffness in the morning normal?",
        }
    ]


def test_csv_says_utc_and_carries_the_self_management_tools(
    app: Flask, web: Web
) -> None:
    log = make_log(sessions=2)
    _tools(log)
    progress_log.validate(log)
    pid = _upload(app, web, log)
    rows = _csv(web)
    sessions = [r for r in rows if r["record"] == "session"]
    assert len(sessions) == 2
    assert "started_at" not in rows[0] and "started_at_utc" in rows[0]
    assert all(r["started_at_utc"].endswith("+00:00") for r in sessions)
    tools = {r["record"]: r for r in rows if r["record"] != "session"}
    assert set(tools) == {"flare_plan", "pacing_plan", "class_question"}
    assert all(r["participant_id"] == pid for r in tools.values())
    assert tools["pacing_plan"]["detail"] == (
        "Walking the dog: usual 20 min; minutes week by week: 16, 18, 20, 22; "
        "goal 30 min"
    )
    assert tools["class_question"]["detail"] == "Is stiffness in the morning normal?"
    assert tools["flare_plan"]["recorded_at_utc"].endswith("+00:00")

    resources = _validate(_bundle(web, pid))
    kinds = {_local(r): r for r in resources}
    assert kinds["class-question"]["valueString"] == (
        "Is stiffness in the morning normal?"
    )
    assert "Walking the dog" in kinds["pacing-plan"]["valueString"]
    assert "flare-plan" in kinds
