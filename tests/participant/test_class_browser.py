"""A class led live in real Chromium (issue 12 item 4): one app, linked to a small
real server that answers GET /api/class with class.v1 bodies the test sets, joins
from Home through the safety check and follows the instructor: gathering (its own
topic and warm-up, then a wait at the first exercise), station 0, rest, station 1,
ended (the cool-down). The page reloaded mid-class lands on the class's station, the
app losing touch says so and carries on alone, "Class with Alice: ..." is shown,
sharing is off by default, and the pages are axe-clean at 1280x800 and 200% zoom."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from participant_support import (
    ARTIFACTS,
    Person,
    axe_violations,
    join_class,
    new_context,
    spoken,
)
from test_class_app import ClassServer, class_body, link
from test_participant_with_instructor import instructor_server

from escape_home import messages

__all__ = ["instructor_server"]  # the fixture, used by name


@pytest.fixture
def programme_path(two_exercises: Path) -> Path:
    """Squat (3 repetitions) and marching (4 s): the class's two stations."""
    return two_exercises


@pytest.fixture
def class_server() -> Iterator[ClassServer]:
    server = ClassServer()
    yield server
    server.close()


def sign_up(app: Flask) -> None:
    csrf = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        Person(app.test_client()).sign_up()
    finally:
        app.config["WTF_CSRF_ENABLED"] = csrf


def heading(page: Any, name: str | re.Pattern[str], timeout: float = 30_000) -> None:
    page.get_by_role("heading", name=name).wait_for(timeout=timeout)


def no_violations(page: Any, where: str) -> None:
    found = axe_violations(page)
    assert not found, f"{where}: {[(v['id'], v['help']) for v in found]}"


def test_one_app_follows_the_class(
    serve: Callable[..., Any],
    class_server: ClassServer,
    browser: Any,
) -> None:
    server, _ = serve(seed=False)
    app = server.app
    sign_up(app)
    link(app, class_server.url)
    class_server.body = class_body(
        messages.GATHERING,
        seq=1,
        others=7,
        stations=["squat", "marching"],
        shown=[{"nickname": "Bob", "reps": 8}, {"nickname": "Sue", "reps": 5}],
    )
    ctx = new_context(browser, autostart=True)  # hands-free, as people have it
    try:
        page = ctx.new_page()
        # Settings: sharing is off unless the person says yes.
        page.goto(server.url + "/settings")
        share = page.get_by_label("Show my name and count to the others in my class")
        assert not share.is_checked()
        no_violations(page, "Settings with the class choice")

        # Home: the class card appears, then Join goes through the safety check.
        page.goto(server.url + "/")
        card = page.locator("#class-live")
        card.wait_for(state="visible", timeout=10_000)
        assert card.locator("#class-live-line").inner_text() == (
            "Class with Alice: 7 others here"
        )
        no_violations(page, "Home with the class card")
        page.get_by_role("link", name="Join the class").click()
        page.wait_for_url(re.compile(r".*/safety\?class=7$"))
        assert "You are joining the class with Alice." in page.inner_text("main")
        for radio in page.get_by_label("No", exact=True).all():
            radio.check()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(re.compile(r".*/pain-before$"))
        page.locator('input[name="pain"][value="2"]').check()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(re.compile(r".*/camera$"))
        page.get_by_role("link", name="Carry on without the camera").click()
        page.wait_for_url(re.compile(r".*/play\?camera=off$"))
        play_url = page.url.split("?")[0]

        # Gathering: own topic and warm-up, then a wait at the first station.
        heading(page, re.compile("Today's topic"))
        assert page.locator("#class-line").inner_text() == (
            "Class with Alice: 7 others here"
        )
        assert page.locator("#class-shown").inner_text() == (
            "Also here: Bob has done 8; Sue has done 5."
        )
        hold = page.locator("#class-hold")
        hold.wait_for(timeout=60_000)
        assert hold.inner_text() == "Waiting for Alice to start the first station."
        assert page.get_by_role("heading", name="Mini squat").is_visible()
        assert not page.locator("#primary").is_visible()  # no Start: Alice starts it
        page.wait_for_timeout(1500)
        assert not page.locator("#timer").is_visible()  # no countdown either
        no_violations(page, "the player waiting in a class")
        page.screenshot(path=str(ARTIFACTS / "class-gathering-1280x800.png"))

        # Station 0: the usual card and countdown, then the set.
        class_server.body = class_body(messages.STATION, seq=2, station=0)
        hold.wait_for(state="detached", timeout=10_000)
        finished = page.get_by_role("button", name="I've finished")
        finished.wait_for(timeout=30_000)  # no camera: the person says when
        finished.click()
        page.get_by_text("Alice will move the class on.").wait_for(timeout=10_000)
        heading(page, "Well done")
        page.wait_for_timeout(1000)
        assert not page.locator("#timer").is_visible()  # no rest countdown
        assert not page.get_by_role("button", name="I'm ready").is_visible()
        assert any("Alice will move the class on" in t for t in spoken(page))
        # Reloaded while waiting: the station done is not done again.
        page.reload()
        page.get_by_text("Alice will move the class on.").wait_for(timeout=10_000)
        heading(page, "Well done")
        assert not page.get_by_role("heading", name="Mini squat").is_visible()

        # Rest: what comes next, no countdown.
        class_server.body = class_body(messages.REST, seq=3, station=0)
        heading(page, "Rest", timeout=10_000)
        page.get_by_text("Next: Marching on the spot.").wait_for()
        assert not page.locator("#timer").is_visible()

        # Station 1.
        class_server.body = class_body(
            messages.STATION, seq=4, station=1, exercise="marching", next_exercise=None
        )
        heading(page, "Marching on the spot", timeout=10_000)

        # The page reloaded mid-class (after skipping on) lands on the class's station.
        page.get_by_role("button", name="Skip this").click()
        heading(page, re.compile("Cool-down"))
        page.reload()
        heading(page, "Marching on the spot", timeout=10_000)
        assert page.url.startswith(play_url)

        # Lost touch: said and shown, and the session carries on alone.
        class_server.fail = True
        lost = page.locator("#class-lost")
        lost.wait_for(state="visible", timeout=15_000)
        assert lost.inner_text() == (
            "Lost touch with the class. Carry on at your own pace; "
            "the app keeps trying."
        )
        class_server.fail = False
        lost.wait_for(state="hidden", timeout=10_000)

        # Ended: on to the cool-down, said and shown.
        class_server.body = class_body(
            messages.ENDED, seq=5, station=1, exercise=None, next_exercise=None
        )
        heading(page, re.compile("Cool-down"), timeout=15_000)
        page.locator(
            "#class-line", has_text="The class has ended. Well done."
        ).wait_for(timeout=10_000)
        assert any("The class has ended. Well done." in t for t in spoken(page))

        # The updates for the instructor: the person never chose to share.
        assert class_server.live and all(b["share"] is False for b in class_server.live)
    finally:
        ctx.close()


def test_class_pages_at_200_percent_zoom(
    serve: Callable[..., Any], class_server: ClassServer, browser: Any
) -> None:
    server, _ = serve(seed=False)
    sign_up(server.app)
    link(server.app, class_server.url)
    class_server.body = class_body(
        messages.REST,
        seq=3,
        station=0,
        stations=["squat", "marching"],
        shown=[{"nickname": "Bob", "reps": 8}],
    )
    ctx = new_context(browser, viewport={"width": 640, "height": 400}, scale=2)
    try:
        page = ctx.new_page()
        page.goto(server.url + "/")
        page.locator("#class-live").wait_for(state="visible", timeout=10_000)
        no_violations(page, "Home with the class card at 200%")
        page.screenshot(path=str(ARTIFACTS / "class-home-200pc.png"))
        join_class(page, server.url)
        # A late joiner lands on where the class is: resting after station 0.
        heading(page, "Rest", timeout=15_000)
        page.get_by_text("Next: Marching on the spot.").wait_for()
        assert page.locator("#class-line").inner_text() == (
            "Class with Alice: 3 others here"
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 640, f"sideways scroll: {width}"
        no_violations(page, "the class rest at 200%")
        page.screenshot(path=str(ARTIFACTS / "class-rest-200pc.png"))
    finally:
        ctx.close()


def test_following_the_real_instructor_server(
    serve: Callable[..., Any],
    instructor_server: tuple[str, str, Flask],
    browser: Any,
) -> None:
    from sqlalchemy import select

    from escape_home.instructor import db as idb
    from escape_home.instructor import live_class
    from escape_home.instructor.models import Cohort, LiveStatus
    from escape_home.participant.programme import load_programme

    url, code, inst = instructor_server
    server, _ = serve(seed=False)
    app = server.app
    csrf = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        person = Person(app.test_client())
        person.sign_up()
        person.link(url, code)
    finally:
        app.config["WTF_CSRF_ENABLED"] = csrf

    def move(action: str) -> None:
        with inst.app_context():
            cohort = idb.session().scalars(select(Cohort)).one()
            if action == "start":
                live_class.start(cohort, "Alice", 1)
            else:
                live_class.move(cohort, action)

    names = {k: v["name"] for k, v in load_programme().exercises.items()}
    stations = load_programme().session(1)["circuit"]
    move("start")
    ctx = new_context(browser, autostart=True)
    try:
        page = ctx.new_page()
        page.goto(server.url + "/")
        page.locator("#class-live").wait_for(state="visible", timeout=15_000)
        assert page.locator("#class-live-line").inner_text() == (
            "Class with Alice: no one else here yet"
        )
        join_class(page, server.url)
        page.locator("#class-hold").wait_for(timeout=60_000)
        heading(page, names[stations[0]])

        move("next")  # station 0
        page.locator("#class-hold").wait_for(state="detached", timeout=10_000)
        move("next")  # the instructor moves on: station 1
        heading(page, names[stations[1]], timeout=10_000)
        move("rest")
        heading(page, "Rest", timeout=10_000)
        page.get_by_text(f"Next: {names[stations[2]]}.").wait_for()
        move("end")
        heading(page, re.compile("Cool-down"), timeout=15_000)
        page.locator("#class-line", has_text="The class has ended.").wait_for()
        with inst.app_context():
            row = idb.session().scalars(select(LiveStatus)).one()
            assert row.share is False  # the instructor sees everyone; not shared
    finally:
        ctx.close()
