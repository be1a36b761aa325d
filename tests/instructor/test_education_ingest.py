"""The server and the education records (issue 14 items 4 and 5): logs without them
(minor 0 and 1) are accepted and leave what is kept; the newest log's beliefs
checks and lessons read replace it, an older one is skipped; the participant page
shows the before/after labelled "not a validated measure" and the lessons table;
a merge keeps them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from instructor_support import add_instructor, bearer, enrol, login

from escape_home import beliefs, progress_log
from escape_home.instructor import db
from escape_home.instructor.models import Participant
from escape_home.instructor.sample import make_log


def _at(minutes_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(
        timespec="seconds"
    )


def _answers(confidence: int, agreement: int) -> dict[str, int]:
    return {
        i.key: agreement if i.reverse else confidence
        for i in beliefs.load_scale().items
    }


def _log(pid: str, exported: int, checks: list[tuple[str, int, int, int]]) -> Any:
    base = make_log(participant_id=pid, sessions=1)
    return progress_log.build_progress_log(
        participant_id=pid,
        joint="knee",
        sessions=base["sessions"],
        exported_at=datetime.now(UTC) - timedelta(minutes=exported),
        belief_checks=[
            {
                "id": progress_log.new_id(),
                "stage": stage,
                "session_number": number,
                "started_at": _at(exported + 30),
                "finished_at": _at(exported + 29),
                "answers": _answers(conf, agree),
            }
            for stage, number, conf, agree in checks
        ],
        lessons=[
            {
                "number": 3,
                "first_opened_at": _at(exported + 20),
                "times_opened": 2,
                "finished_at": _at(exported + 15),
                "answers": [
                    {
                        "question": 1,
                        "answer": True,
                        "correct": False,
                        "answered_at": _at(exported + 16),
                    },
                    {
                        "question": 2,
                        "answer": False,
                        "correct": True,
                        "answered_at": _at(exported + 16),
                    },
                ],
            },
            {
                "number": 4,
                "first_opened_at": _at(exported + 10),
                "times_opened": 1,
                "finished_at": None,
                "answers": [],
            },
        ],
    )


def _upload(app: Flask, token: str, log: dict[str, Any]) -> None:
    r = app.test_client().post(
        "/api/logs", data=progress_log.dumps(log), headers=bearer(token)
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)


def _kept(app: Flask, nickname: str = "Jo") -> Participant:
    with app.app_context():
        p = db.session().query(Participant).filter_by(nickname=nickname).one()
        db.session().expunge(p)
        return p


def _row(page: str, label: str) -> list[str]:
    """The cells of the table row whose first cell starts with `label`."""
    for tr in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        ]
        if cells and cells[0].startswith(label):
            return cells
    raise AssertionError(f"no row {label!r}")


def test_before_after_and_lessons_on_the_participant_page(sqlite_app: Flask) -> None:
    app = sqlite_app
    add_instructor(app, "alice")
    web = login(app, "alice")
    _, code = web.create_cohort()
    _, token = enrol(app, code, "Jo")
    pid = progress_log.new_id()
    old = make_log(participant_id=pid, sessions=1)
    _upload(app, token, old)  # an older app: no education records
    public_id = _kept(app).public_id
    assert _kept(app).education is None
    page = web.client.get(f"/participants/{public_id}").get_data(as_text=True)
    assert "No check answered yet (their app has not sent any)" in page
    assert "No lesson opened yet" in page
    # The self-management tools say so when there are none (item 3's check).
    assert "No flare-up plan yet" in page and "No pacing plans yet" in page
    assert "not a validated measure" in page

    _upload(app, token, _log(pid, 10, [("start", 1, 4, 8), ("end", 12, 9, 1)]))
    page = web.client.get(f"/participants/{public_id}").get_data(as_text=True)
    assert "not a validated measure" in page
    conf = _row(page, "Exercise confidence")
    assert conf[1:] == ["4", "9", "+5"]
    helpful = _row(page, "Helpful beliefs")
    assert helpful[1:] == ["2", "9", "+7"]  # 10 - 8, 10 - 1
    text = re.sub(r"<[^>]+>", "", page)
    assert "At the start (session 1)" in text and "At the end (session 12)" in text
    lesson3 = _row(page, "3. Why joints hurt")
    assert "(2 times)" in lesson3[1] and lesson3[2] != "no"
    assert lesson3[3] == "2 of 2, 1 right first time"
    lesson4 = _row(page, "4. ")
    assert lesson4[2] == "no" and lesson4[3] == "–"
    assert _row(page, "5. ")[1] == "not yet"

    _upload(app, token, old)  # an old log again: the records stay
    assert "rest_is_best" in (_kept(app).education or "")
    _upload(app, token, _log(pid, 60, [("start", 1, 1, 1)]))  # delayed: skipped
    page = web.client.get(f"/participants/{public_id}").get_data(as_text=True)
    assert _row(page, "Exercise confidence")[1:] == ["4", "9", "+5"]


def test_a_merge_keeps_the_education_records(sqlite_app: Flask) -> None:
    app = sqlite_app
    add_instructor(app, "alice")
    web = login(app, "alice")
    _, code = web.create_cohort()
    ann, token = enrol(app, code, "Ann")
    phone, _ = enrol(app, code, "Ann phone")
    _upload(app, token, _log(progress_log.new_id(), 5, [("start", 1, 3, 7)]))
    r = web.post(f"/participants/{ann}/merge", {"into": phone})
    assert r.status_code == 302
    page = web.client.get(f"/participants/{phone}").get_data(as_text=True)
    assert _row(page, "Exercise confidence")[1:] == ["3", "–"]
    assert _row(page, "3. Why joints hurt")[3] == "2 of 2, 1 right first time"
