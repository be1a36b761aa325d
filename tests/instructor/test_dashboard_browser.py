"""The dashboard of issue 11 in real Chromium against a real server (waitress,
SQLite): a safety alert triaged first and resolved with a note, the session page
opened from the participant page, and the live board of a remote class (who is not
here yet, a paused card, a long name kept inside its card, the address and code to
read out). Screenshots at 1280x800 go to tests/artifacts/dashboard-*.png; axe-core
checks the pages when installed.

The server and browser fixtures are those of test_browser.py."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from test_browser import (  # fixtures reused, not copied
    ARTIFACTS,
    AXE,
    _axe,
    _login,
    browser,  # noqa: F401
    server,  # noqa: F401
)

from escape_home.instructor.harness import Client, Server
from escape_home.instructor.sample import make_log

pytestmark = pytest.mark.browser

LONG_NAME = "Bartholomew-Featherstonehaugh-Wolfeschlegelsteinhausen"


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=False)


class Sender(threading.Thread):
    """A participant's app repeating one live update (as it does every few s)."""

    def __init__(self, port: int, token: str, body: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.body = port, token, body
        self.stop = threading.Event()

    def run(self) -> None:
        client = Client(self.port)
        while not self.stop.wait(0.4):
            client.json(
                "POST", "/api/live", {**self.body, "ts": time.time()}, self.token
            )


def test_triage_session_page_and_live_board(server: Server, browser: Any) -> None:  # noqa: F811
    base = f"http://127.0.0.1:{server.port}"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    _login(page, base)
    page.get_by_label("Class name").fill("Thursday remote class")
    page.get_by_label("First session").fill("2026-11-03")
    page.get_by_role("button", name="Create class").click()
    page.wait_for_selector("#enrol-code")
    code = page.inner_text("#enrol-code")
    cohort_url = page.url

    api = Client(server.port)
    _, ann = api.json("POST", "/api/enrol", {"code": code, "nickname": "Ann"})
    log = make_log(sessions=4, pain=[(3, 4, 3), (3, 6, 5), (3, 7, 6), (3, 7, None)])
    log["sessions"][3]["safety_check"] = {
        "answers": {"chest_pain": True, "calf_pain": False},
        "any_yes": True,
    }
    status, _ = api.json("POST", "/api/logs", log, token=ann["token"])
    assert status == 201
    _, long = api.json("POST", "/api/enrol", {"code": code, "nickname": LONG_NAME})
    api.json("POST", "/api/enrol", {"code": code, "nickname": "Cat"})

    # The class page: Ann's chest-pain "yes" is the first thing to look at.
    page.goto(cohort_url)
    first = page.locator("#triage ol.triage > li").first
    assert "Safety check before session 4" in first.inner_text()
    assert "Do you have chest pain" in first.inner_text()
    assert "Why:" in first.inner_text()
    _shot(page, "class")

    # Resolve it with a note on Ann's page.
    first.get_by_role("link", name="Ann").click()
    page.wait_for_url("**/participants/*#alerts")
    item = page.locator("#alerts li.alert-item[data-key='safety']")
    assert item.count() == 1
    item.locator("summary").click()
    item.get_by_label("Resolved").check()
    item.get_by_label("Note (what you did or will do)").fill(
        "Phoned Ann: saw her GP, cleared to exercise"
    )
    _shot(page, "alert-review")
    item.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Alert resolved")
    reviewed = page.locator("ul.reviewed li[data-key='safety']")
    assert "Resolved" in reviewed.inner_text()
    assert "cleared to exercise" in reviewed.inner_text()
    open_keys = page.eval_on_selector_all(
        "#alerts ol.triage > li", "els => els.map(e => e.dataset.key)"
    )
    assert "safety" not in open_keys and open_keys[0] == "pain_after"
    _shot(page, "participant")
    participant_url = page.url.split("#")[0]

    # The session page, from the session list.
    page.get_by_role("link", name="Session 3 in detail").click()
    page.wait_for_selector("#sets")
    assert page.locator("#sets tbody tr").count() == len(log["sessions"][2]["sets"])
    assert "7/10" in page.inner_text("#scores")
    first_set = page.inner_text("#sets tbody tr >> nth=0")
    assert "Sit to stand" in first_set and "10 reps" in first_set
    _shot(page, "session")
    session_url = page.url

    # The live board: Ann paused, the long name exercising, Cat not here yet.
    senders = [
        Sender(
            server.port,
            ann["token"],
            {"exercise": "squat", "reps": 4, "state": "paused"},
        ),
        Sender(
            server.port,
            long["token"],
            {"exercise": "sit_to_stand", "reps": 7, "state": "exercising"},
        ),
    ]
    for s in senders:
        s.start()
    try:
        page.goto(cohort_url + "/live")
        assert page.inner_text("#class-code") == code
        assert page.inner_text("#server-address") == base
        card = page.locator(f"article[data-participant='{ann['participant_id']}']")
        card.wait_for(timeout=15000)
        page.wait_for_function(
            "id => { const c = document.querySelector("
            "`article[data-participant='${id}']`);"
            " return c && c.classList.contains('paused'); }",
            arg=ann["participant_id"],
            timeout=15000,
        )
        assert card.locator(".badge").inner_text() == "Paused"
        colours = page.evaluate(
            "ids => ids.map(id => getComputedStyle(document.querySelector("
            "`article[data-participant='${id}']`)).borderTopStyle)",
            [ann["participant_id"], long["participant_id"]],
        )
        assert colours == ["dashed", "solid"]  # paused looks unlike a live card
        long_card = page.locator(
            f"article[data-participant='{long['participant_id']}']"
        )
        long_card.wait_for(timeout=15000)
        fits = long_card.evaluate(
            "c => { const h = c.querySelector('h2');"
            " const b = c.getBoundingClientRect(); const n = h.getBoundingClientRect();"
            " return h.scrollWidth <= h.clientWidth && n.right <= b.right + 0.5; }"
        )
        assert fits, "the long name spills out of its card"
        page.wait_for_selector("#waiting li", timeout=15000)
        assert page.locator("#waiting li").all_inner_texts() == ["Cat"]
        _shot(page, "live")
    finally:
        for s in senders:
            s.stop.set()
            s.join()
    assert problems == [], problems
    context.close()

    if not AXE.exists():
        return
    checker = browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 800}
    )
    page = checker.new_page()
    _login(page, base)
    found = {}
    for name, url in (
        ("class", cohort_url),
        ("participant", participant_url),
        ("session", session_url),
        ("live", cohort_url + "/live"),
    ):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        found[name] = _axe(page)
    bad = {name: v for name, v in found.items() if v}
    assert bad == {}, json.dumps(bad, indent=1)[:3000]
    checker.close()
