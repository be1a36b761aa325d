"""Odd requests to the participant app's new routes (round 2 review: goals, the week
plan, lessons, the beliefs check): JSON nested past Python's stack, lone surrogates
and very long values in forms, numbers beyond any integer. Each is a plain 4xx (or
the page again), never a 500, and nothing odd is kept."""

from __future__ import annotations

from flask import Flask
from participant_support import Person

BIG = str(10**40)
DEEP = b"[" * 100_000 + b"]" * 100_000  # 200 kB: inside the 1 MB request limit


def test_json_nested_past_the_stack_is_400_not_500(app: Flask) -> None:
    client = app.test_client()
    Person(client).sign_up()
    for body in (DEEP, b'{"question": ' + DEEP + b', "answer": true}'):
        r = client.post(
            "/api/lessons/1/answer", data=body, content_type="application/json"
        )
        assert r.status_code == 400, r.status_code
        assert "as JSON" in r.get_data(as_text=True)
    # The lesson still takes a real answer afterwards.
    r = client.post("/api/lessons/1/answer", json={"question": 1, "answer": True})
    assert r.status_code == 200 and isinstance(r.get_json()["correct"], bool)


def test_odd_form_values_on_the_new_pages_are_4xx(app: Flask) -> None:
    client = app.test_client()
    Person(client).sign_up()
    form = "application/x-www-form-urlencoded"
    cases = [
        ("/goals", b"text=Walk%ED%A0%80to%20the%20quarry"),
        ("/goals", b"text=" + b"x" * 100_000),
        ("/week", b"days=tue&time=" + b"1" * 5000),
        ("/week", b"days=" + BIG.encode() + b"&time=10:00"),
        ("/check/start/1", b"answer=" + BIG.encode()),
        ("/check/start/1", b"answer=%ED%A0%80"),
        (f"/check/start/{BIG}", b"answer=5"),
        (f"/goals/{BIG}/done", b""),
    ]
    for path, body in cases:
        r = client.post(path, data=body, content_type=form)
        assert 400 <= r.status_code < 500, f"{path} {body[:30]!r}: {r.status_code}"
    for path in (f"/lessons/{BIG}", "/check/%ED%A0%80/done", "/api/demo/%00"):
        assert client.get(path).status_code == 404, path
    goals = client.get("/goals").get_data(as_text=True)
    assert "xxxxxxxxxx" not in goals and "quarry" not in goals  # nothing odd kept
