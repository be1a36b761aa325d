"""The instructor's lessons page (issue 14): every lesson awaits clinical review
until its reviewed_by is filled in data/lessons.toml."""

from __future__ import annotations

from flask import Flask
from instructor_support import add_instructor, login

from escape_home.lessons import load_lessons


def test_lessons_page_shows_awaiting_review(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    web = login(sqlite_app, "alice")
    home = web.client.get("/").get_data(as_text=True)
    assert "/lessons" in home
    page = web.client.get("/lessons").get_data(as_text=True)
    assert "12 of 12</strong> lessons are awaiting clinical review" in page
    assert page.count("Awaiting clinical review") == 24  # table row + lesson card
    for lesson in load_lessons():
        assert lesson.title in page
        assert lesson.sources[0].url in page


def test_lessons_page_needs_sign_in(sqlite_app: Flask) -> None:
    resp = sqlite_app.test_client().get("/lessons")
    assert resp.status_code in (302, 401)
