"""Leading a class live from the live board (issue 12 item 4) in real Chromium against
a real server (waitress, SQLite): start, first station, rest, a move made in another
tab showing up by itself, End asking to confirm; what two participants' apps get from
GET /api/class at each move (the one who shares is shown to the other, never to
herself); the same buttons without JavaScript; axe-core clean at 1280x800 and at 200%
zoom (640x400 CSS pixels, device scale 2) with no sideways scroll. Screenshots go to
tests/artifacts/class-*.png.

The server and browser fixtures are those of test_browser.py."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_browser import (  # fixtures reused, not copied
    ARTIFACTS,
    _login,
    browser,  # noqa: F401
    server,  # noqa: F401
)
from test_dashboard_browser import Sender

from escape_home import messages
from escape_home.instructor.harness import Client, Server
from escape_home.participant.programme import load_programme

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "participant"))
from participant_support import axe_violations

pytestmark = pytest.mark.browser

WAIT_MS = 15000


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"class-{name}.png"), full_page=False)


def _names(number: int) -> list[str]:
    prog = load_programme()
    return [prog.exercises[ex]["name"] for ex in prog.session(number)["circuit"]]


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def _wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([sel, text]) => { const n = document.querySelector(sel);"
        " return n && n.textContent.includes(text); }",
        arg=[selector, text],
        timeout=WAIT_MS,
    )


def _no_sideways_scroll(page: Any) -> bool:
    return bool(
        page.evaluate(
            "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
        )
    )


def _class(port: int, token: str) -> dict[str, Any]:
    status, body = Client(port).json("GET", "/api/class", None, token)
    assert status == 200
    return messages.validate("class", body)


def _until(port: int, token: str, ok: Any) -> dict[str, Any]:
    """The class message once `ok(message)` holds (waits up to 15 s)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        got = _class(port, token)
        if ok(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def _new_class(page: Any, base: str, name: str) -> tuple[str, str]:
    page.goto(base + "/")
    page.get_by_label("Class name").fill(name)
    page.get_by_label("First session").fill("2026-11-03")
    page.get_by_role("button", name="Create class").click()
    page.wait_for_selector("#enrol-code")
    return page.url, page.inner_text("#enrol-code")


def test_leading_a_class_from_the_live_board(server: Server, browser: Any) -> None:  # noqa: F811
    base = f"http://127.0.0.1:{server.port}"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = _watch(page)
    _login(page, base)
    cohort_url, code = _new_class(page, base, "Wednesday class led live")
    api = Client(server.port)
    _, ann = api.json("POST", "/api/enrol", {"code": code, "nickname": "Ann"})
    _, bob = api.json("POST", "/api/enrol", {"code": code, "nickname": "Bob"})
    names = _names(2)
    senders = [
        Sender(server.port, ann["token"], {"state": "joined", "share": True}),
        Sender(server.port, bob["token"], {"state": "joined"}),  # share: default off
    ]
    for s in senders:
        s.start()
    try:
        page.goto(cohort_url + "/live")
        panel = page.locator("#lead")
        assert panel.get_by_role("heading", name="Lead the class").is_visible()
        assert _class(server.port, ann["token"])["phase"] == messages.NO_CLASS
        page.wait_for_selector(
            f"article[data-participant='{ann['participant_id']}']", timeout=WAIT_MS
        )
        assert axe_violations(page) == []
        _shot(page, "start")

        # Start with JS: the panel changes in place (no reload), focus on the news.
        page.evaluate("() => { window.notReloaded = true; }")
        page.get_by_label("Session of the programme").select_option("2")
        page.get_by_label("Your name as participants see it").fill("Alice")
        page.get_by_role("button", name="Start the class").click()
        _wait_text(
            page, "#class-now", "Gathering: participants are doing their warm-up"
        )
        assert page.evaluate("() => window.notReloaded === true")
        assert page.evaluate("() => document.activeElement.id") == "class-now"
        assert "The class has started: session 2" in page.inner_text("#lead-status")
        got = _class(server.port, ann["token"])
        assert (got["phase"], got["leader"]) == (messages.GATHERING, "Alice")
        assert page.get_by_role("button", name="Rest").count() == 0

        page.get_by_role("button", name=f"First station: {names[0]}").click()
        _wait_text(page, "#class-now", f"Station 1 of {len(names)}: {names[0]}")
        # Those heard from since the class started are here (the apps send every
        # 0.4 s here): wait for that, then Ann, who shares, is shown to Bob only.
        seen_by_bob = _until(server.port, bob["token"], lambda c: c["others"] == 1)
        seen_by_ann = _until(server.port, ann["token"], lambda c: c["others"] == 1)
        assert (seen_by_bob["phase"], seen_by_bob["station"]) == (messages.STATION, 0)
        assert seen_by_bob["shown"] == [
            {"nickname": "Ann", "reps": 0, "exercise": None}
        ]
        assert seen_by_ann["shown"] == []  # never herself, and Bob does not share
        now = page.locator("#lead li[aria-current='step']")
        assert now.inner_text() == names[0]
        ann_card = page.locator(f"article[data-participant='{ann['participant_id']}']")
        bob_card = page.locator(f"article[data-participant='{bob['participant_id']}']")
        assert ann_card.locator(".share").inner_text() == "Shown to the class"
        assert bob_card.locator(".share").inner_text() == "Not shown to the others"
        assert axe_violations(page) == []
        _shot(page, "station")

        page.get_by_role("button", name="Rest").click()
        _wait_text(page, "#class-now", f"Rest. Next: {names[1]}")
        assert _class(server.port, ann["token"])["phase"] == messages.REST

        # Another tab moves the class on: this board follows by itself.
        other = context.new_page()
        other.goto(cohort_url + "/live")
        other.get_by_role("button", name=f"Next station: {names[1]}").click()
        _wait_text(other, "#class-now", f"Station 2 of {len(names)}: {names[1]}")
        _wait_text(page, "#class-now", f"Station 2 of {len(names)}: {names[1]}")
        other.close()
        # Said aloud (status), and focus kept in the panel it was in.
        assert page.inner_text("#lead-status").startswith("Station 2 of")
        assert page.evaluate("() => document.activeElement.id") == "class-now"

        # End asks to confirm; "No" changes nothing.
        page.get_by_role("button", name="End the class").click()
        page.wait_for_selector("#confirm-end")
        assert "End the class for everyone?" in page.inner_text("#confirm-end")
        yes = page.get_by_role("button", name="Yes, end the class")
        assert page.evaluate("() => document.activeElement.textContent") == (
            "Yes, end the class"
        )
        assert axe_violations(page) == []
        _shot(page, "confirm-end")
        page.get_by_role("button", name="No, carry on").click()
        page.wait_for_selector("#confirm-end", state="detached")
        assert _class(server.port, ann["token"])["station"] == 1
        page.get_by_role("button", name="End the class").click()
        yes.click()
        _wait_text(page, "#class-now", "The class has ended.")
        assert page.get_by_role("button", name="Start the class").is_visible()
        assert page.get_by_label("Session of the programme").input_value() == "3"
        assert _class(server.port, bob["token"])["phase"] == messages.ENDED
        assert axe_violations(page) == []
    finally:
        for s in senders:
            s.stop.set()
            s.join()
    assert problems == [], problems
    context.close()


def test_the_panel_without_javascript(server: Server, browser: Any) -> None:  # noqa: F811
    base = f"http://127.0.0.1:{server.port}"
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, java_script_enabled=False
    )
    page = context.new_page()
    _login(page, base)
    cohort_url, code = _new_class(page, base, "Thursday class, no JavaScript")
    _, ann = Client(server.port).json(
        "POST", "/api/enrol", {"code": code, "nickname": "Ann"}
    )
    names = _names(1)
    page.goto(cohort_url + "/live")
    page.get_by_role("button", name="Start the class").click()
    page.wait_for_url(cohort_url + "/live")
    assert "The class has started: session 1" in page.inner_text("main")
    page.get_by_role("button", name=f"First station: {names[0]}").click()
    page.wait_for_url(cohort_url + "/live")
    assert page.inner_text("#class-now") == f"Station 1 of {len(names)}: {names[0]}"
    assert (
        _class(server.port, ann["token"])["exercise"]
        == load_programme().session(1)["circuit"][0]
    )
    page.get_by_role("button", name="End the class").click()  # a plain link: confirm
    page.wait_for_selector("#confirm-end")
    page.get_by_role("button", name="Yes, end the class").click()
    page.wait_for_url(cohort_url + "/live")
    assert page.inner_text("#class-now") == "The class has ended."
    assert _class(server.port, ann["token"])["phase"] == messages.ENDED
    context.close()


def test_the_panel_at_200_percent_zoom(server: Server, browser: Any) -> None:  # noqa: F811
    base = f"http://127.0.0.1:{server.port}"
    context = browser.new_context(
        viewport={"width": 640, "height": 400}, device_scale_factor=2
    )
    page = context.new_page()
    problems = _watch(page)
    _login(page, base)
    cohort_url, _ = _new_class(page, base, "Friday class at 200% zoom")
    page.goto(cohort_url + "/live")
    assert _no_sideways_scroll(page)
    assert axe_violations(page) == []
    _shot(page, "zoom-start")
    page.get_by_role("button", name="Start the class").click()
    page.wait_for_selector("button:has-text('First station')", timeout=WAIT_MS)
    page.get_by_role("button", name="First station", exact=False).click()
    page.wait_for_selector("button:has-text('Rest')", timeout=WAIT_MS)
    assert _no_sideways_scroll(page)
    for button in page.locator("#lead .class-moves button").all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 641
    page.locator("#lead").scroll_into_view_if_needed()
    _shot(page, "zoom-station")
    assert axe_violations(page) == []
    page.get_by_role("button", name="End the class").click()
    page.wait_for_selector("#confirm-end")
    assert _no_sideways_scroll(page)
    assert axe_violations(page) == []
    assert problems == [], problems
    context.close()
