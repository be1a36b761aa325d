"""Empty charts say "no data yet" (issue 11, small things): in real Chromium, a
participant who enrolled but has uploaded nothing gets a sentence in place of each
chart, not five empty grids; one with sessions but no test result gets a chart for
the sessions and a sentence for the test."""

from __future__ import annotations

from typing import Any

import pytest
from test_browser import _login, _shot, browser, server  # the same fixtures

from escape_home.instructor.harness import Client, Server
from escape_home.instructor.sample import make_log

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]

CHARTS = ("pain", "reps", "rom", "faults", "tests")


def test_empty_charts_say_no_data_yet(server: Server, browser: Any) -> None:
    base = f"http://127.0.0.1:{server.port}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, base)
    page.get_by_label("Class name").fill("Empty charts class")
    page.get_by_label("First session").fill("2026-11-03")
    page.get_by_role("button", name="Create class").click()
    page.wait_for_selector("#enrol-code")
    code = page.inner_text("#enrol-code")
    api = Client(server.port)
    _, new = api.json("POST", "/api/enrol", {"code": code, "nickname": "Nell"})
    _, some = api.json("POST", "/api/enrol", {"code": code, "nickname": "Sam"})
    log = make_log(sessions=2, seed=77)
    log["tests"] = []
    status, _ = api.json("POST", "/api/logs", log, token=some["token"])
    assert status == 201

    page.goto(f"{base}/participants/{new['participant_id']}")
    page.wait_for_selector("#charts[data-ready='1']", timeout=15000)
    for chart in CHARTS:
        el = page.locator(f"#chart-{chart}")
        assert el.evaluate("e => e.tagName") == "P", chart
        assert el.inner_text().startswith("No data yet"), chart
        assert el.is_visible()
    assert page.locator("canvas").count() == 0
    _shot(page, "participant-no-data")

    page.goto(f"{base}/participants/{some['participant_id']}")
    page.wait_for_selector("#charts[data-ready='1']", timeout=15000)
    for chart in ("pain", "reps", "rom", "faults"):
        assert page.locator(f"#chart-{chart}").evaluate("e => e.tagName") == "CANVAS"
    tests = page.locator("#chart-tests")
    assert tests.evaluate("e => e.tagName") == "P"
    assert "No data yet" in tests.inner_text()
    context.close()
