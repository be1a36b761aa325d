"""Self-management tools in real Chromium (issue 14 item 3): a question for class
and a flare-up plan written by keyboard, axe clean and without sideways scrolling
at 1024x600 and 200% zoom, then uploaded to the real instructor server, whose
participant page shows them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from participant_support import ARTIFACTS, LiveServer, Person, axe_violations
from test_participant_with_instructor import _signed_in, instructor_server

from escape_home.participant import create_app

__all__ = ["instructor_server"]  # the fixture, used by name

SIZES = {
    "1024x600": ({"width": 1024, "height": 600}, 1),
    "zoom200": ({"width": 640, "height": 400}, 2),
}


def _check(page: Any, name: str) -> None:
    wide = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert wide <= 0, f"{name} scrolls sideways by {wide}px"
    assert axe_violations(page) == [], name
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_question_and_flare_plan_reach_the_instructor(
    tmp_path: Path,
    instructor_server: tuple[str, str, Flask],
    browser: Any,
    size: str,
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
    Person(client).sign_up()
    page_text = client.post(
        "/settings",
        data={"action": "enrol", "server": url, "code": code},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "now linked" in page_text
    srv = LiveServer(app)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    viewport, scale = SIZES[size]
    ctx = browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = ctx.new_page()
    try:
        # From the flare-ups lesson's last screen to the plan.
        page.goto(f"{srv.url}/lessons/10")
        assert page.locator("#lesson-tool").get_attribute("href") == "/plans/flare-up"
        page.goto(f"{srv.url}/progress")
        page.click("#plans-link")
        page.wait_for_url("**/plans")
        _check(page, f"plans-empty-{size}")
        page.focus("#question")
        page.keyboard.type("Is it all right to swim on a bad day?")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # Save my question
        page.wait_for_selector("#questions .question-text")
        page.click("text=Make my flare-up plan")
        page.wait_for_url("**/plans/flare-up")
        _check(page, f"flare-plan-form-{size}")
        page.check("input[name=heat_or_ice][value=ice]")
        page.fill("#do_less", "gardening")
        page.check("input[name=ask][value=physio]")
        page.click("button[type=submit].big")
        page.wait_for_selector("#flare-plan")
        assert "I will ask my physiotherapist" in page.inner_text("#flare-plan")
        _check(page, f"plans-filled-{size}")
        page.goto(f"{srv.url}/plans/pacing")
        page.fill("#activity", "Walking")
        page.fill("#usual", "10")
        page.click("button[type=submit].big")
        page.wait_for_selector(".pacing-plan table.weeks")
        _check(page, f"plans-pacing-{size}")
        remote: Any = app.extensions["escape_home.remote"]
        app.extensions["escape_home.writer"].flush()
        assert remote.upload_now(), remote.last_error
        with server_app.app_context():
            public_id = instructor_db.session().scalar(select(Participant.public_id))
        web = _signed_in(server_app)
        html = web.get(f"/participants/{public_id}").get_data(as_text=True)
        assert "Is it all right to swim on a bad day?" in html
        assert "I will ask my physiotherapist" in html
        assert "I will do less of: gardening" in html
        assert "Walking" in html
        inst = ctx.new_page()
        inst.set_content(html)  # the server's page as served, for axe
        assert axe_violations(inst) == []
    finally:
        ctx.close()
        srv.close()
