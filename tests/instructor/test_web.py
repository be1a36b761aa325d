"""Instructor web pages through the Flask test client: the file upload form, new
enrolment codes, the CSV and FHIR exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from instructor_support import Web, add_instructor, bearer, enrol, login

from escape_home import progress_log
from escape_home.instructor.sample import make_log


def _upload(web: Web, cohort_id: int, body: bytes, nickname: str = "") -> Any:
    return web.post(
        f"/cohorts/{cohort_id}/upload",
        {"nickname": nickname, "log_file": (io.BytesIO(body), "log.json")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_file_upload_creates_the_participant_then_updates_them(
    sqlite_app: Flask,
) -> None:
    add_instructor(sqlite_app, "alice")
    web = login(sqlite_app, "alice")
    cohort_id, _ = web.create_cohort()
    start = datetime.now(UTC) - timedelta(days=20)
    log = make_log(sessions=2, start=start)
    body = progress_log.dumps(log).encode()
    page = _upload(web, cohort_id, body).get_data(as_text=True)
    assert "this participant is new to the class: enter their name" in page
    page = _upload(web, cohort_id, body, "Bob").get_data(as_text=True)
    assert "Stored 2 new and 0 updated sessions for Bob" in page
    longer = progress_log.dumps(
        make_log(sessions=3, participant_id=log["participant"]["id"], start=start)
    ).encode()
    page = _upload(web, cohort_id, longer).get_data(as_text=True)
    assert "Stored 1 new and 0 updated sessions for Bob" in page
    cohort = web.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    table = cohort.split('id="participants"')[1]  # one row (alerts link him too)
    assert table.count(">Bob</a>") == 1 and "3/12" in cohort
    bob = page.split("Upload access")
    assert len(bob) == 2, "the participant page renders each section once"
    assert "No app can upload for this participant" in bob[1]


def test_bad_file_is_refused_with_the_reason(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    web = login(sqlite_app, "alice")
    cohort_id, _ = web.create_cohort()
    log = make_log(sessions=1)
    log["sessions"][0]["pain_after"] = 12
    page = _upload(web, cohort_id, progress_log.dumps(log).encode(), "Bob")
    text = page.get_data(as_text=True)
    assert "Upload refused, nothing was stored." in text
    assert "sessions[0].pain_after: 12 is above the maximum of 10" in text
    assert "Bob" not in web.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    page = _upload(web, cohort_id, b"\x89PNG\r\n\x1a\n", "Bob").get_data(as_text=True)
    assert "not valid UTF-8" in page


def test_a_file_from_another_class_is_refused(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    web = login(sqlite_app, "alice")
    _, code = web.create_cohort("First")
    second, _ = web.create_cohort("Second")
    _, token = enrol(sqlite_app, code, "Ann")
    log = make_log(sessions=1)
    sqlite_app.test_client().post(
        "/api/logs", data=progress_log.dumps(log), headers=bearer(token)
    )
    page = _upload(web, second, progress_log.dumps(log).encode(), "Ann")
    assert "participant.id: belongs to another class" in page.get_data(as_text=True)


def test_new_enrolment_code_retires_the_old_one(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    web = login(sqlite_app, "alice")
    cohort_id, old = web.create_cohort()
    page = web.post(f"/cohorts/{cohort_id}/code", follow_redirects=True)
    assert "The old one no longer works" in page.get_data(as_text=True)
    r = sqlite_app.test_client().post("/api/enrol", json={"code": old, "nickname": "x"})
    assert r.status_code == 404


def test_enrolment_is_rate_limited(make_app: Any) -> None:
    app = make_app("sqlite", ENROL_RATE_LIMIT="3 per minute")
    codes = [
        app.test_client()
        .post("/api/enrol", json={"code": "AAAA-AAAA", "nickname": "x"})
        .status_code
        for _ in range(5)
    ]
    assert codes == [404, 404, 404, 429, 429]


def test_csv_export(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    web = login(sqlite_app, "alice")
    cohort_id, code = web.create_cohort()
    pid, token = enrol(sqlite_app, code, "=1+1")  # a formula as a nickname
    sqlite_app.test_client().post(
        "/api/logs",
        data=progress_log.dumps(make_log(sessions=3)),
        headers=bearer(token),
    )
    r = web.client.get(f"/cohorts/{cohort_id}/export.csv")
    assert r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == 3
    assert [row["session_number"] for row in rows] == ["1", "2", "3"]
    assert rows[0]["participant_id"] == pid
    assert rows[0]["nickname"] == "'=1+1"  # neutralised for spreadsheets
    assert rows[0]["pain_before"] == "3" and rows[0]["total_reps"] == "16"


def test_fhir_export(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    web = login(sqlite_app, "alice")
    _, code = web.create_cohort()
    pid, token = enrol(sqlite_app, code, "Ann Example")
    sqlite_app.test_client().post(
        "/api/logs",
        data=progress_log.dumps(make_log(sessions=2)),
        headers=bearer(token),
    )
    r = web.client.get(f"/participants/{pid}/fhir.json")
    bundle = json.loads(r.get_data(as_text=True))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    resources = [e["resource"] for e in bundle["entry"]]
    codes = [res["code"]["coding"][0]["code"] for res in resources]
    assert codes.count("72514-3") == 6  # pain before, after, next day x 2 sessions
    assert codes.count("73985-4") == 2 and "chair-stand-30s" in codes
    activity = next(
        res for res in resources if res["code"]["coding"][0]["code"] == "73985-4"
    )
    parts = {c["code"]["coding"][0]["code"]: c for c in activity["component"]}
    assert parts["55411-3"]["valueQuantity"] == {
        "value": 40.0,
        "unit": "min",
        "system": "http://unitsofmeasure.org",
        "code": "min",
    }
    assert all(res["subject"]["reference"] == f"Patient/{pid}" for res in resources)
    assert "Ann Example" not in r.get_data(as_text=True)  # pseudonymous
    assert len({res["id"] for res in resources}) == len(resources)


def test_path_traversal_in_file_names_goes_nowhere(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    web = login(sqlite_app, "alice")
    cohort_id, _ = web.create_cohort("../../etc/passwd")
    r = web.client.get(f"/cohorts/{cohort_id}/export.csv")
    assert r.headers["Content-Disposition"] == 'attachment; filename="etc_passwd.csv"'
    data_dir = Path(sqlite_app.config["DATABASE_URL"].removeprefix("sqlite:///")).parent
    before = sorted(p.name for p in data_dir.iterdir())
    body = progress_log.dumps(make_log(sessions=1)).encode()
    r = web.post(
        f"/cohorts/{cohort_id}/upload",
        {"nickname": "Bob", "log_file": (io.BytesIO(body), "../../../tmp/evil.json")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Stored 1 new" in r.get_data(as_text=True)
    # The file's name is never used: nothing new appears on disk.
    assert sorted(p.name for p in data_dir.iterdir()) == before
    assert not Path("/tmp/evil.json").exists()
