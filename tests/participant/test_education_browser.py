"""The beliefs check and the listening counts in real Chromium at 200% zoom (issue 14
items 4 and 5): Home offers the check; it is answered by keyboard, one question a
screen, each read aloud; the before/after shows on My progress; a lesson missed is
offered again on Home; after an upload the real instructor server's participant
page shows the before/after (labelled not a validated measure) and the lessons
table. Axe clean and no sideways scrolling on every page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from participant_support import (
    ARTIFACTS,
    FAKE_SPEECH,
    LiveServer,
    Person,
    axe_violations,
)
from test_participant_with_instructor import _signed_in, instructor_server

from escape_home import beliefs
from escape_home.lessons import load_lessons
from escape_home.participant import create_app

__all__ = ["instructor_server"]  # the fixture, used by name


def _check(page: Any, name: str) -> None:
    wide = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert wide <= 0, f"{name} scrolls sideways by {wide}px"
    bad = axe_violations(page)
    assert bad == [], (
        name,
        [(v["id"], [n["target"] for n in v["nodes"]]) for v in bad],
    )
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_check_and_lessons_by_keyboard_and_on_the_instructor_page(
    tmp_path: Path, instructor_server: tuple[str, str, Flask], browser: Any
) -> None:
    from sqlalchemy import select

    from escape_home.instructor import db as instructor_db
    from escape_home.instructor.models import Participant

    url, code, server_app = instructor_server
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "p.sqlite3"),
            "REMOTE_RETRY_S": 0.2,
        }
    )
    client = app.test_client()
    person = Person(client)
    person.sign_up()
    scale = beliefs.load_scale()
    srv = LiveServer(app)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(
        viewport={"width": 640, "height": 400}, device_scale_factor=2
    )
    ctx.add_init_script(FAKE_SPEECH)
    page = ctx.new_page()
    try:
        page.goto(srv.url)
        card = page.locator("#check-due")
        assert card.is_visible()
        _check(page, "home-check-due-zoom200")
        card.get_by_role("link", name="Answer the questions").click()
        for n, item in enumerate(scale.items, start=1):
            page.wait_for_url(f"**/check/start/{n}")
            assert page.locator("#check-question").inner_text() == item.question
            assert page.locator(".check-question").count() == 1  # one a screen
            page.wait_for_function(
                "(t) => window.__spoken.some(u => u.text === t)", arg=item.question
            )
            if n == 1:
                assert beliefs.NOT_VALIDATED in page.inner_text("main")
                _check(page, "check-question-1-zoom200")
            # Keyboard only: into the 0-10 group, arrow along to 3, Tab to Next.
            page.focus("input[name=answer][value='0']")
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            assert page.locator("input[name=answer][value='3']").is_checked()
            page.keyboard.press("Tab")
            assert page.evaluate("() => document.activeElement.id") == "check-next"
            page.keyboard.press("Enter")
        page.wait_for_url("**/check/start/done")
        assert "Your answers are saved" in page.inner_text("main")
        assert "3 out of 10" in page.inner_text("#beliefs")
        _check(page, "check-done-zoom200")
        # Five sessions later (done through the app itself), half way.
        for _ in range(5):
            sid = person.start_session()
            client.post(f"/session/{sid}/after", data={"pain": "2", "exertion": "4"})
        page.goto(srv.url)
        assert "Half way" in page.inner_text("#check-due")
        for n in range(1, len(scale.items) + 1):
            client.post(f"/check/middle/{n}", data={"answer": "7"})
        # Lesson 1 was never opened: offered again, and it opens.
        page.goto(srv.url)
        missed = page.locator("#lesson-missed")
        title = load_lessons()[0].title
        assert f"You missed lesson 1: {title}" in missed.inner_text()
        _check(page, "home-lesson-missed-zoom200")
        missed.get_by_role("link", name="Read lesson 1 now").click()
        page.wait_for_url("**/lessons/1")
        heading = load_lessons()[0].screens[0].heading
        page.wait_for_function(
            "(h) => window.__spoken.some(u => u.text === h)", arg=heading
        )
        page.goto(f"{srv.url}/progress")
        section = page.locator("#beliefs").inner_text()
        assert "At the start" in section and "Half way" in section
        assert "Up 4 since you first answered." in section  # confidence 3 then 7
        assert "Down 4 since you first answered." in section  # agreeing more, 7 then 3
        _check(page, "progress-beliefs-zoom200")
        # Sent to the instructor: the before/after and the lessons table.
        # (Linked only now, so the sessions above do not each use up an upload.)
        linked = client.post(
            "/settings",
            data={"action": "enrol", "server": url, "code": code},
            follow_redirects=True,
        ).get_data(as_text=True)
        assert "now linked" in linked
        remote: Any = app.extensions["escape_home.remote"]
        app.extensions["escape_home.writer"].flush()
        assert remote.upload_now(), remote.last_error
        with server_app.app_context():
            public_id = instructor_db.session().scalar(select(Participant.public_id))
        web = _signed_in(server_app)
        html = web.get(f"/participants/{public_id}").get_data(as_text=True)
        text = _text(html)
        assert "not a validated measure" in text
        assert "At the start (session 1)" in text and "Half way (session 6)" in text
        assert re.search(
            r"Exercise confidence[^<]*</th><td>3</td><td>7</td><td>\+4", html
        )
        # Lesson 1 opened (not finished), lesson 2 never.
        assert re.search(rf"1\. {re.escape(title)}</td>\s*<td>(?!not yet)", html)
        assert re.search(r"2\. [^<]*</td>\s*<td>not yet</td>", html)
        inst = ctx.new_page()
        inst.set_content(html)  # the server's page as served, for axe
        assert axe_violations(inst) == []
    finally:
        ctx.close()
        srv.close()
