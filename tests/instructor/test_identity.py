"""Participant identity (issue 11, item 1): a revoked or lost device re-linked with a
per-participant re-link code reaches the same participant; a hand upload and the
app's uploads of the same person end on one record (re-link or merge); rename,
merge and remove."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from flask import Flask
from instructor_support import Web, bearer, enrol
from sqlalchemy import func, select, update

from escape_home import progress_log
from escape_home.instructor import db
from escape_home.instructor.models import Participant, SessionRecord, utcnow
from escape_home.instructor.sample import make_log

_RELINK = re.compile(r"Re-link code for [^:]+: ([A-Z0-9]{4}-[A-Z0-9]{4})")


def relink_code(web: Web, public_id: str) -> str:
    page = web.post(f"/participants/{public_id}/relink", follow_redirects=True)
    match = _RELINK.search(page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)[:500]
    return match.group(1)


def upload(app: Flask, token: str, log: dict[str, Any]) -> Any:
    return app.test_client().post(
        "/api/logs", data=progress_log.dumps(log), headers=bearer(token)
    )


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        s = db.session()
        people = s.scalar(select(func.count()).select_from(Participant))
        sessions = s.scalar(select(func.count()).select_from(SessionRecord))
        return int(people or 0), int(sessions or 0)


def test_a_revoked_device_re_linked_reaches_the_same_participant(
    app: Flask, web: Web
) -> None:
    _, code = web.create_cohort()
    pid, token = enrol(app, code, "Ann")
    log = make_log(sessions=2)
    assert upload(app, token, log).status_code == 201
    web.post(f"/participants/{pid}/revoke")  # the device is lost
    assert upload(app, token, log).status_code == 401
    # The old way still makes a second participant whose uploads are refused...
    _, stray = enrol(app, code, "Ann")
    r = upload(
        app, stray, make_log(sessions=3, participant_id=log["participant"]["id"])
    )
    assert r.status_code == 409 and "re-link code" in r.get_json()["error"]
    # ...the re-link code reaches Ann herself.
    relinked, token2 = enrol(app, relink_code(web, pid), "whatever the app says")
    assert relinked == pid
    longer = make_log(sessions=3, participant_id=log["participant"]["id"])
    r = upload(app, token2, longer)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["sessions_new"] == 1
    with app.app_context():
        ann = db.session().scalar(
            select(Participant).where(Participant.public_id == pid)
        )
        assert ann is not None and ann.nickname == "Ann" and len(ann.sessions) == 3


def test_a_re_link_code_works_once_expires_and_ends_the_old_device(
    app: Flask, web: Web
) -> None:
    _, code = web.create_cohort()
    pid, old = enrol(app, code, "Ann")
    assert upload(app, old, make_log(sessions=1)).status_code == 201
    relink = relink_code(web, pid)
    # A fresh install (its own app ID) on a new phone.
    _, new = enrol(app, relink.lower().replace("-", " "), "Ann")
    assert upload(app, old, make_log(sessions=1)).status_code == 401
    assert upload(app, new, make_log(sessions=2)).status_code == 201
    r = app.test_client().post("/api/enrol", json={"code": relink, "nickname": "x"})
    assert r.status_code == 404  # used up
    late = relink_code(web, pid)
    with app.app_context(), db.writing() as s:
        s.execute(
            update(Participant).values(
                relink_expires_at=utcnow() - timedelta(seconds=1)
            )
        )
    r = app.test_client().post("/api/enrol", json={"code": late, "nickname": "x"})
    assert r.status_code == 404  # expired


def _hand_upload(web: Web, cohort_id: int, log: dict[str, Any], name: str) -> str:
    page = web.post(
        f"/cohorts/{cohort_id}/upload",
        {
            "nickname": name,
            "log_file": (io.BytesIO(progress_log.dumps(log).encode()), "log.json"),
        },
        content_type="multipart/form-data",
    )
    assert page.status_code == 302
    return page.headers["Location"].rstrip("/").split("/")[-1]


def test_a_hand_upload_and_the_app_land_on_one_record(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    log = make_log(sessions=2)
    bob = _hand_upload(web, cohort_id, log, "Bob")
    # Re-link code: the app's uploads go to the hand-uploaded record.
    _, token = enrol(app, relink_code(web, bob), "Bob")
    r = upload(
        app, token, make_log(sessions=3, participant_id=log["participant"]["id"])
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    assert counts(app) == (1, 3)
    # And the other order: app first, then the instructor's file of the same person.
    cath_log = make_log(sessions=1, seed=5)
    cath, cath_token = enrol(app, code, "Cath")
    assert upload(app, cath_token, cath_log).status_code == 201
    again = _hand_upload(
        web,
        cohort_id,
        make_log(sessions=2, seed=5, participant_id=cath_log["participant"]["id"]),
        "",
    )
    assert again == cath
    assert counts(app) == (2, 5)


def test_merge_joins_a_double_enrolment(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    log = make_log(sessions=2)
    dan = _hand_upload(web, cohort_id, log, "Dan")
    stray, token = enrol(app, code, "Dan (phone)")
    assert upload(app, token, log).status_code == 409
    r = web.post(f"/participants/{stray}/merge", {"into": dan})
    assert r.status_code == 302 and r.headers["Location"].endswith(dan)
    # The phone's token now uploads to Dan.
    r = upload(
        app, token, make_log(sessions=3, participant_id=log["participant"]["id"])
    )
    assert r.status_code == 201
    assert counts(app) == (1, 3)
    assert web.client.get(f"/participants/{stray}").status_code == 404


def test_merge_is_refused_across_classes_and_between_two_linked_apps(
    app: Flask, web: Web
) -> None:
    _, code1 = web.create_cohort("One")
    _, code2 = web.create_cohort("Two")
    a, ta = enrol(app, code1, "A")
    b, tb = enrol(app, code1, "B")
    other, _ = enrol(app, code2, "C")
    assert upload(app, ta, make_log(sessions=1, seed=1)).status_code == 201
    assert upload(app, tb, make_log(sessions=1, seed=2)).status_code == 201
    page = web.post(f"/participants/{a}/merge", {"into": other}, follow_redirects=True)
    assert "choose another participant of this class" in page.get_data(as_text=True)
    page = web.post(f"/participants/{a}/merge", {"into": b}, follow_redirects=True)
    assert "both have their own app linked" in page.get_data(as_text=True)
    assert counts(app) == (3, 2)


def test_rename_and_remove(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    pid, token = enrol(app, code, "Eve")
    assert upload(app, token, make_log(sessions=2)).status_code == 201
    web.post(f"/participants/{pid}/rename", {"nickname": "Eve\u202e Smith\n"})
    page = web.client.get(f"/participants/{pid}").get_data(as_text=True)
    assert "<h1>Eve Smith</h1>" in page
    r = web.post(f"/participants/{pid}/remove", follow_redirects=True)
    assert "Tick the box" in r.get_data(as_text=True)
    assert counts(app) == (1, 2)
    r = web.post(f"/participants/{pid}/remove", {"confirm": "y"})
    assert r.status_code == 302 and r.headers["Location"].endswith(
        f"/cohorts/{cohort_id}"
    )
    assert counts(app) == (0, 0)
    assert web.client.get(f"/participants/{pid}").status_code == 404
    assert upload(app, token, make_log(sessions=2)).status_code == 401
