"""The instructor's pages in real Chromium against a real server (waitress, SQLite):
sign in, create a cohort, upload a file, the dashboard and its charts, the live board
updating as participants exercise, drop out and rejoin. Screenshots go to
tests/artifacts/instructor-*.png; axe-core checks accessibility when installed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from instructor_support import PASSWORD, add_instructor

from escape_home import progress_log
from escape_home.instructor import create_app
from escape_home.instructor.harness import Client, Server, start_server
from escape_home.instructor.sample import make_log

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'instructor.sqlite3'}"
    app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp), "SECRET_KEY": "x"}
    )
    add_instructor(app, "alice")
    app.extensions["escape_home_db"]["engine"].dispose()
    srv = start_server(url, tmp, env={"ESCAPE_HOME_LIVE_STALE_S": "2"})
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"instructor-{name}.png"), full_page=True)


def _login(page: Any, base: str) -> None:
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


class Streamer(threading.Thread):
    """A participant's app sending live updates (numbers only) twice a second."""

    def __init__(self, port: int, token: str, exercise: str) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.exercise = port, token, exercise
        self.reps = 0
        self.stop = threading.Event()

    def run(self) -> None:
        client = Client(self.port)
        while not self.stop.wait(0.4):
            self.reps += 1
            cue = "Keep your knee over your toes" if self.reps % 3 == 0 else None
            client.json(
                "POST",
                "/api/live",
                {
                    "exercise": self.exercise,
                    "reps": self.reps,
                    "cue": cue,
                    "state": "exercising",
                    "ts": time.time(),
                },
                token=self.token,
            )


def test_instructor_journey(server: Server, browser: Any, tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{server.port}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )

    page.goto(base + "/login")
    _shot(page, "login")
    _login(page, base)

    # Create a cohort.
    page.get_by_label("Class name").fill("Tuesday knees & hips")
    page.get_by_label("First session").fill("2026-11-03")
    page.get_by_label("When it meets").fill("Tuesdays and Fridays, 10:00")
    page.get_by_role("button", name="Create class").click()
    page.wait_for_selector("#enrol-code")
    code = page.inner_text("#enrol-code")
    cohort_url = page.url
    assert len(code) == 9

    # Ann enrols in her app and uploads; her pain went up and she answered "yes".
    api = Client(server.port)
    status, ann = api.json("POST", "/api/enrol", {"code": code, "nickname": "Ann"})
    assert status == 201
    log = make_log(sessions=4, pain=[(2, 6, 3), (3, 3, 4), (3, 4, 5), (3, 6, None)])
    log["sessions"][3]["safety_check"] = {
        "answers": {"calf_pain": True},
        "any_yes": True,
    }
    status, _ = api.json("POST", "/api/logs", log, token=ann["token"])
    assert status == 201

    # Bob handed his log over as a file: the instructor uploads it on the web page.
    file = tmp_path / "bob-progress-log.json"
    file.write_text(progress_log.dumps(make_log(sessions=3, seed=5)))
    page.set_input_files("#log_file", str(file))
    page.get_by_label("Participant's name in this class").fill("Bob")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("text=Stored 3 new and 0 updated sessions for Bob")
    page.wait_for_selector("#charts[data-ready='1']", timeout=15000)
    _shot(page, "participant-bob")

    # The cohort dashboard shows both, with Ann's alerts.
    page.get_by_role("link", name="Tuesday knees & hips").click()
    table = page.locator("#participants")
    table.wait_for()
    text = table.inner_text()
    assert "Ann" in text and "Bob" in text and "4/12" in text and "3/12" in text
    assert "Pain 6/10 after session 4 (before: 3, +3); also after session 1" in text
    assert "Safety check" in text and "Next-day pain above pre-session pain" in text
    _shot(page, "cohort")

    # Ann's page: five charts drawn from data.json.
    table.get_by_role("link", name="Ann").click()  # her row (alerts link her too)
    page.wait_for_selector("#charts[data-ready='1']", timeout=15000)
    for chart in ("pain", "reps", "rom", "faults", "tests"):
        box = page.locator(f"#chart-{chart}").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, chart
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas')].map(c => Chart.getChart(c) ? "
        "Chart.getChart(c).data.datasets.length : 0)"
    )
    assert all(n > 0 for n in drawn), drawn
    assert page.locator("#sessions tbody tr").count() == 4
    _shot(page, "participant-ann")

    # The live board during a class.
    status, cat = api.json("POST", "/api/enrol", {"code": code, "nickname": "Cat"})
    streams = [
        Streamer(server.port, ann["token"], "sit_to_stand"),
        Streamer(server.port, cat["token"], "squat"),
    ]
    for s in streams:
        s.start()
    page.goto(cohort_url + "/live")
    ann_card = page.locator(f"article[data-participant='{ann['participant_id']}']")
    ann_card.wait_for(timeout=10000)
    page.wait_for_function(
        "id => { const c = document.querySelector(`article[data-participant='${id}']`);"
        " return c && Number(c.querySelector('.n').textContent) >= 4; }",
        arg=ann["participant_id"],
        timeout=15000,
    )
    assert (
        "Sit to stand" in ann_card.inner_text()
        or "sit to stand" in ann_card.inner_text()
    )
    page.wait_for_selector("text=Keep your knee over your toes", timeout=10000)
    _shot(page, "live-running")
    # Cat drops out (network gone): her card says how long she has not been seen.
    streams[1].stop.set()
    cat_card = page.locator(f"article[data-participant='{cat['participant_id']}']")
    page.wait_for_function(
        "id => document.querySelector(`article[data-participant='${id}']`)"
        ".classList.contains('stale')",
        arg=cat["participant_id"],
        timeout=15000,
    )
    assert "not seen for" in cat_card.inner_text()
    _shot(page, "live-dropout")
    # ...and rejoins: the card is live again, Ann's count kept going all along.
    rejoin = Streamer(server.port, cat["token"], "squat")
    rejoin.start()
    page.wait_for_function(
        "id => !document.querySelector(`article[data-participant='${id}']`)"
        ".classList.contains('stale')",
        arg=cat["participant_id"],
        timeout=15000,
    )
    for s in (streams[0], rejoin):
        s.stop.set()
        s.join()
    assert problems == [], problems  # no CSP violations or script errors
    context.close()


def test_pages_have_no_serious_accessibility_violations(
    server: Server, browser: Any
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core not installed (npm install in tests/js)")
    base = f"http://127.0.0.1:{server.port}"
    # axe is injected as a script, so this context (only) bypasses the CSP.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(base + "/login")
    found: dict[str, Any] = {}
    found["login"] = _axe(page)
    _login(page, base)
    urls = {"home": "/", "cohort": "/cohorts/1", "live": "/cohorts/1/live"}
    page.goto(base + "/cohorts/1")
    first = page.locator("#participants a").first
    if first.count():
        urls["participant"] = first.get_attribute("href") or "/"
    for name, path in urls.items():
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        found[name] = _axe(page)
    bad = {name: v for name, v in found.items() if v}
    assert bad == {}, json.dumps(bad, indent=1)[:3000]
    context.close()


def _axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": [n["target"] for n in v["nodes"]][:3],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
