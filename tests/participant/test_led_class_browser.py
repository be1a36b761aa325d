"""A class led live, end to end (issue 12 item 4, Done-when): the real instructor
server, three real participant apps (each its own Flask app, SQLite database and
port), and Chromium on both sides. The instructor starts the class and moves it on
from the live board; the three apps join from Home through the safety check and move
station by station with it, each with its own targets. One app is killed mid-class
(as a crash or a closed laptop would) while the class moves on twice; started again
on the same database, it lands where the class is. The one participant who chose to
share is shown to the others, never to herself, and the instructor sees everyone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from participant_support import (
    ARTIFACTS,
    Person,
    PortServer,
    axe_violations,
    join_class,
    new_context,
)
from test_participant_with_instructor import instructor_server

from escape_home.participant import create_app, progress_store, store
from escape_home.participant.programme import load_programme

__all__ = ["instructor_server"]  # the fixture, used by name

pytestmark = pytest.mark.browser

WAIT_MS = 20_000


@dataclass
class Participant:
    nickname: str
    database: Path
    server: PortServer
    ctx: Any
    page: Any = None


def _app(database: Path, programme: Path) -> Flask:
    return create_app(
        {"DATABASE": str(database), "PROGRAMME": str(programme), "REMOTE_RETRY_S": 0.5}
    )


def _setup(app: Flask, nickname: str, url: str, code: str) -> None:
    """Profile and the link to the instructor, as the person types them."""
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        client = app.test_client()
        client.post(
            "/profile",
            data={"nickname": nickname, "joint": "knee", "age_band": "70-74"},
        )
        Person(client).link(url, code)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def _heading(page: Any, name: str | re.Pattern[str]) -> None:
    page.get_by_role("heading", name=name).wait_for(timeout=WAIT_MS)


def _click(board: Any, label: str | re.Pattern[str]) -> None:
    board.get_by_role("button", name=label).click()


@pytest.fixture
def people(
    tmp_path: Path,
    fast_programme: Path,
    browser: Any,
    instructor_server: tuple[str, str, Flask],
) -> Iterator[list[Participant]]:
    url, code, _ = instructor_server
    made: list[Participant] = []
    try:
        for nickname in ("Ann", "Bob", "Cath"):
            database = tmp_path / f"{nickname}.sqlite3"
            app = _app(database, fast_programme)
            _setup(app, nickname, url, code)
            made.append(
                Participant(
                    nickname,
                    database,
                    PortServer(app),
                    new_context(browser, autostart=True),
                )
            )
        yield made
    finally:
        for p in made:
            p.ctx.close()
            p.server.close()


def test_a_class_led_live_with_three_apps_one_dropping_out(
    people: list[Participant],
    fast_programme: Path,
    browser: Any,
    instructor_server: tuple[str, str, Flask],
) -> None:
    url, _, inst = instructor_server
    ann, bob, cath = people
    # Their own targets: Bob's squats are a level up; Cath shows her count.
    bob.server.app.extensions["escape_home.writer"].call(
        lambda c: progress_store.set_level(c, "squat", 2)
    )
    cath.server.app.extensions["escape_home.writer"].call(
        lambda c: store.set_setting(c, "class_share", "1")
    )
    prog = load_programme(fast_programme)
    stations = load_programme().session(1)["circuit"]  # the server's programme
    names = [prog.exercises[ex]["name"] for ex in stations]
    squat = stations.index("squat")

    # The instructor signs in and starts the class from the live board.
    board_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        board = board_ctx.new_page()
        board.goto(url + "/login")
        board.get_by_label("Username").fill("jo")
        board.get_by_label("Password").fill("pw-long-enough-1")
        board.get_by_role("button", name="Sign in").click()
        board.wait_for_url(url + "/")
        with inst.app_context():
            from sqlalchemy import select

            from escape_home.instructor import db as idb
            from escape_home.instructor.models import Cohort

            cohort_id = idb.session().scalars(select(Cohort.id)).one()
        board.goto(f"{url}/cohorts/{cohort_id}/live")
        board.get_by_label("Session of the programme").select_option("1")
        board.get_by_label("Your name as participants see it").fill("Alice")
        _click(board, "Start the class")
        board.locator("#class-now").wait_for(timeout=WAIT_MS)

        # Each app joins from Home and waits at its first station.
        for p in people:
            p.page = p.ctx.new_page()
            join_class(p.page, p.server.url)
            p.page.locator("#class-line", has_text="Class with Alice").wait_for(
                timeout=WAIT_MS
            )
        for p in people:
            p.page.locator("#class-hold").wait_for(timeout=60_000)
            assert p.page.locator("#class-hold").inner_text() == (
                "Waiting for Alice to start the first station."
            )
        # Everyone is on the board, the instructor sees all three.
        for p in people:
            board.locator(".live-card", has_text=p.nickname).wait_for(timeout=WAIT_MS)

        # Station by station: every app follows, with its own targets.
        for k in range(squat + 1):
            _click(board, re.compile(rf"^(First|Next) station: {re.escape(names[k])}"))
            for p in people:
                _heading(p.page, names[k])
                hold = p.page.locator("#class-hold")
                hold.wait_for(state="detached", timeout=WAIT_MS)
        aims = {
            p.nickname: p.page.locator("#card p.lead", has_text="Aim for").first
            for p in people
        }
        level1 = prog.level("squat", 1)["target_reps"]
        level2 = prog.level("squat", 2)["target_reps"]
        assert level1 != level2
        for p in (ann, cath):
            assert f"Aim for {level1} repetitions" in aims[p.nickname].inner_text()
        assert f"Aim for {level2} repetitions" in aims["Bob"].inner_text()

        # "Class with Alice: 2 others here"; Cath is shown to Ann, not to herself.
        ann.page.locator("#class-line", has_text="2 others here").wait_for(
            timeout=WAIT_MS
        )
        ann.page.locator("#class-shown", has_text="Cath").wait_for(timeout=WAIT_MS)
        assert "Bob" not in ann.page.locator("#class-shown").inner_text()
        assert "Cath" not in cath.page.locator("#class-shown").inner_text()
        assert axe_violations(ann.page) == []
        ann.page.screenshot(path=str(ARTIFACTS / "led-class-station.png"))

        # Bob's app goes down mid-class (closed laptop, crash): the class moves on.
        bob.ctx.close()
        bob.server.close()
        _click(board, "Rest")
        for p in (ann, cath):
            _heading(p.page, "Rest")
        _click(board, f"Next station: {names[squat + 1]}")
        for p in (ann, cath):
            _heading(p.page, names[squat + 1])

        # Bob's app starts again on the same database and port; he opens it and
        # lands where the class is, not where he left it.
        bob.server = PortServer(_app(bob.database, fast_programme), bob.server.port)
        bob.ctx = new_context(browser, autostart=True)
        bob.page = bob.ctx.new_page()
        bob.page.goto(bob.server.url + "/")
        back = bob.page.get_by_role("link", name="Go back to the class")
        back.wait_for(timeout=WAIT_MS)
        back.click()
        if "/camera" in bob.page.url:
            bob.page.get_by_role("link", name="Continue").click()
        _heading(bob.page, names[squat + 1])
        assert bob.page.get_by_role("heading", name=names[squat]).count() == 0

        # The end: everyone goes on to their own cool-down.
        _click(board, "End the class")
        _click(board, "Yes, end the class")
        for p in people:
            _heading(p.page, re.compile("Cool-down"))
            p.page.locator("#class-line", has_text="The class has ended.").wait_for(
                timeout=WAIT_MS
            )
        assert axe_violations(board) == []
    finally:
        board_ctx.close()
