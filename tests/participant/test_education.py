"""The participant app's education records (issue 14 items 4 and 5), through the
real app and its database: the beliefs check one question per screen, saved as it
goes, due only before its sessions, shown before/after on My progress; lessons
opened, finished and answered (the server decides right or wrong), refused plainly
when malformed; a lesson missed after its session offered again on Home; both in
the exported log."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from participant_support import Person

from escape_home import beliefs
from escape_home.lessons import load_lessons

SCALE = beliefs.load_scale()
N = len(SCALE.items)


def _flushed(client: FlaskClient) -> FlaskClient:
    """The client, once the app's writer has written everything queued (lesson
    counts are queued without waiting)."""
    client.application.extensions["escape_home.writer"].flush()
    return client


def _log(client: FlaskClient) -> dict[str, Any]:
    r = _flushed(client).get("/progress/export")
    assert r.status_code == 200
    log: dict[str, Any] = json.loads(r.data)
    return log


def _complete_session(client: FlaskClient, person: Person) -> None:
    sid = person.start_session()
    r = client.post(f"/session/{sid}/after", data={"pain": "2", "exertion": "4"})
    assert r.status_code == 302


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_check_one_question_a_screen_saved_as_it_goes(
    client: FlaskClient, person: Person
) -> None:
    person.sign_up()
    home = client.get("/").get_data(as_text=True)
    assert 'id="check-due"' in home and "Answer the questions" in home
    assert client.get("/check/start").headers["Location"].endswith("/check/start/1")
    first = client.get("/check/start/1").get_data(as_text=True)
    assert SCALE.items[0].question in first
    assert SCALE.items[1].question not in first  # one question per screen
    assert beliefs.NOT_VALIDATED in first
    # Not a lesson: the menu does not say "Lessons" is the page you are on.
    assert 'aria-current="page">Lessons' not in first
    lesson = client.get("/lessons/1").get_data(as_text=True)
    assert 'aria-current="page">Lessons' in lesson
    assert SCALE.items[0].low in first and SCALE.items[0].high in first
    # No answer, or one off the scale: a plain 400, nothing saved.
    for bad in ({}, {"answer": "11"}, {"answer": "seven"}):
        r = client.post("/check/start/1", data=bad)
        assert r.status_code == 400
        assert "Please choose a number from 0 to 10" in r.get_data(as_text=True)
    r = client.post("/check/start/1", data={"answer": "3"})
    assert r.headers["Location"].endswith("/check/start/2")
    # Stopped after one answer: Home says so and carries on at question 2.
    home = client.get("/").get_data(as_text=True)
    assert f"You have answered 1 of {N}" in home
    assert client.get("/check/start").headers["Location"].endswith("/check/start/2")
    assert _log(client)["belief_checks"] == []  # not sent until finished
    # Back to question 1 shows the answer given, and changing it is kept.
    assert 'value="3" required checked' in client.get("/check/start/1").get_data(
        as_text=True
    )
    for n in range(1, N + 1):
        r = client.post(f"/check/start/{n}", data={"answer": str(8 if n == 1 else 5)})
    assert r.headers["Location"].endswith("/check/start/done")
    done = client.get("/check/start/done").get_data(as_text=True)
    assert "Your answers are saved" in done
    [check] = _log(client)["belief_checks"]
    assert check["stage"] == "start" and check["session_number"] == 1
    assert check["answers"][SCALE.items[0].key] == 8
    assert set(check["answers"]) == set(SCALE.item_keys)
    # A finished check is not asked again nor changed.
    assert 'id="check-due"' not in client.get("/").get_data(as_text=True)
    client.post("/check/start/1", data={"answer": "0"})
    assert _log(client)["belief_checks"][0]["answers"][SCALE.items[0].key] == 8
    progress = _text(client.get("/progress").get_data(as_text=True))
    want = beliefs.score(check["answers"])["confidence"]
    assert f"At the start {want:g} out of 10" in progress
    assert beliefs.NOT_VALIDATED in progress


def test_the_check_is_due_only_before_its_sessions(
    client: FlaskClient, person: Person
) -> None:
    person.sign_up()
    assert client.get("/check/middle/1").status_code == 404
    assert client.get("/check/later/1").status_code == 404
    assert client.get(f"/check/start/{N + 1}").status_code == 404
    for _ in range(2):
        _complete_session(client, person)
    # Before session 3 nothing is due: the start check was not taken in time.
    assert 'id="check-due"' not in client.get("/").get_data(as_text=True)
    assert client.get("/check/start/1").status_code == 404
    progress = _text(client.get("/progress").get_data(as_text=True))
    assert "You have not answered these questions yet" in progress
    assert "before session 1, 6 and 12" in progress


def test_before_and_after_on_my_progress(
    app: Flask, client: FlaskClient, person: Person
) -> None:
    person.sign_up()
    for n in range(1, N + 1):
        client.post(f"/check/start/{n}", data={"answer": "2"})
    for _ in range(5):
        _complete_session(client, person)
    home = client.get("/").get_data(as_text=True)
    assert 'id="check-due"' in home and "Half way" in home
    for n in range(1, N + 1):
        client.post(f"/check/middle/{n}", data={"answer": "6"})
    page = _text(client.get("/progress").get_data(as_text=True))
    # Confidence 2 then 6; agreement with the unhelpful beliefs 2 then 6 is
    # helpful beliefs 8 then 4.
    assert "Feeling sure you can exercise At the start 2 out of 10" in page
    assert "Half way 6 out of 10 Up 4 since you first answered." in page
    assert "Half way 4 out of 10 Down 4 since you first answered." in page
    assert "You will be asked again before session 12." in page
    checks = _log(client)["belief_checks"]
    assert [c["stage"] for c in checks] == ["start", "middle"]
    assert checks[1]["session_number"] == 6


def test_lessons_opened_finished_and_answered(
    client: FlaskClient, person: Person
) -> None:
    person.sign_up()
    lesson = load_lessons()[2]
    assert _log(client)["lessons"] == []
    client.get("/lessons/3")
    client.get("/lessons/3")
    right = lesson.questions[0].answer
    r = client.post("/api/lessons/3/answer", json={"question": 1, "answer": right})
    assert r.get_json() == {"correct": True}
    # A second answer is said right or wrong, but the first one is kept.
    r = client.post("/api/lessons/3/answer", json={"question": 1, "answer": not right})
    assert r.get_json() == {"correct": False}
    assert client.post("/api/lessons/3/finished").status_code == 200
    [rec] = _log(client)["lessons"]
    assert rec["number"] == 3 and rec["times_opened"] == 2
    assert rec["finished_at"] is not None
    assert [(a["question"], a["answer"], a["correct"]) for a in rec["answers"]] == [
        (1, right, True)
    ]
    assert "(read)" in _flushed(client).get("/lessons").get_data(as_text=True)


def test_malformed_lesson_records_are_refused_plainly(
    client: FlaskClient, person: Person
) -> None:
    person.sign_up()
    bad = [
        ("/api/lessons/3/answer", {"question": 9, "answer": True}, "questions 1 to"),
        ("/api/lessons/3/answer", {"question": True, "answer": True}, "question:"),
        ("/api/lessons/3/answer", {"question": 1, "answer": "yes"}, "answer: must"),
        ("/api/lessons/3/answer", None, "Send the answer as JSON"),
        ("/api/lessons/13/answer", {"question": 1, "answer": True}, "no lesson 13"),
        ("/api/lessons/0/finished", {}, "no lesson 0"),
    ]
    for url, body, words in bad:
        r = client.post(url, json=body) if body is not None else client.post(url)
        assert 400 <= r.status_code < 500, url
        assert words in r.get_json()["error"], (url, r.get_json())
    assert _log(client)["lessons"] == []


def test_a_lesson_missed_is_offered_again_at_the_next_session(
    client: FlaskClient, person: Person
) -> None:
    person.sign_up()
    lessons = load_lessons()
    assert 'id="lesson-missed"' not in _flushed(client).get("/").get_data(as_text=True)
    _complete_session(client, person)  # session 1, lesson 1 never opened
    home = _text(_flushed(client).get("/").get_data(as_text=True))
    assert f"You missed lesson 1: {lessons[0].title}" in home
    assert "Read it now?" in home and "Read lesson 1 now" in home
    client.get("/lessons/1")  # opened but not finished: still missed
    _complete_session(client, person)
    home = _text(_flushed(client).get("/").get_data(as_text=True))
    assert f"You missed lesson 1: {lessons[0].title}" in home
    assert "1 more lesson to catch up on" in home
    client.post("/api/lessons/1/finished")
    home = _text(_flushed(client).get("/").get_data(as_text=True))
    assert f"You missed lesson 2: {lessons[1].title}" in home
    client.post("/api/lessons/2/finished")
    assert 'id="lesson-missed"' not in _flushed(client).get("/").get_data(as_text=True)


def test_a_lesson_opens_and_is_answered_while_the_disk_is_busy(
    app: Flask, client: FlaskClient, person: Person
) -> None:
    """The counts are queued, never waited for: with the writer stuck (as with a
    full disk, where it keeps retrying) a lesson still opens and its answers are
    still said right or wrong; they are kept once the writer can write again."""
    import threading

    person.sign_up()
    stuck = threading.Event()
    writer = app.extensions["escape_home.writer"]
    writer.submit(lambda c: stuck.wait(60))
    try:
        assert client.get("/lessons/3").status_code == 200
        r = client.post("/api/lessons/3/answer", json={"question": 2, "answer": True})
        assert r.status_code == 200 and "correct" in r.get_json()
        assert client.post("/api/lessons/3/finished").status_code == 200
    finally:
        stuck.set()
    [rec] = _log(client)["lessons"]
    assert rec["times_opened"] == 1 and rec["finished_at"] is not None
    assert [a["question"] for a in rec["answers"]] == [2]
