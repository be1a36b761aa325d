"""Participant app v2 (issue 10) in real Chromium: a set says what the camera cannot
see, pain-before is never skipped, other websites cannot reach the camera, the live
screen fits, and the session runs hands-free.

A fake voice (`FAKE_SPEECH`) records what the page says; stand-ins for the pose
model and the engine make each situation happen on cue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from participant_support import (
    FAKE_SPEECH,
    FakeEstimator,
    LiveServer,
    WarningTracker,
    clip,
    fake_factories,
    seed_session,
    spoken,
)
from test_participant_browser import check_page

from escape_home.participant import create_app
from escape_home.participant.pipeline import default_tracker

pytestmark = [pytest.mark.browser, pytest.mark.clips]

#: Index of the squat set in the fast programme (education, warm-up, squat, ...).
SQUAT_STEP = 2


@pytest.fixture
def serve(tmp_path: Path, fast_programme: Path) -> Iterator[Callable[..., Any]]:
    """serve(factories, pain=True, step=0, **config) -> (server, sid)."""
    servers: list[LiveServer] = []

    def start(
        factories: dict[str, Any] | None = None,
        pain: bool = True,
        step: int = 0,
        **config: Any,
    ) -> tuple[LiveServer, str]:
        app = create_app(
            {
                "DATABASE": str(tmp_path / "log.sqlite3"),
                "PROGRAMME": str(fast_programme),
                "SOURCE": str(clip("squat__yuyoujiang__1.mp4")),
                "LIVE_FACTORIES": factories or fake_factories(),
                **config,
            }
        )
        sid = seed_session(app, pain=pain, step=step)
        server = LiveServer(app)
        servers.append(server)
        return server, sid

    yield start
    for s in servers:
        s.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.add_init_script(FAKE_SPEECH)
    yield ctx
    ctx.close()  # ends the streams before the server stops


def start_set(page: Any) -> None:
    """On the exercise card: press Start and wait for the set to begin."""
    page.get_by_role("button", name="Start", exact=True).click()
    page.locator("#count-box:not(.hidden)").wait_for(timeout=15_000)


# ----------------------------------------------------------------- defect 1


def test_set_says_when_nobody_is_in_view_and_offers_finished(
    serve: Callable[..., Any], context: Any
) -> None:
    # The real engine with a pose model that finds nobody: the engine warns
    # "I can't see you: step into the camera view" after a second.
    server, sid = serve(
        fake_factories(
            make_estimator=lambda m: FakeEstimator(), make_tracker=default_tracker
        ),
        step=SQUAT_STEP,
        FINISH_OFFER_S=3.0,
    )
    page = context.new_page()
    page.goto(f"{server.url}/session/{sid}/play")
    start_set(page)
    warning = page.locator("#warning")
    warning.wait_for(state="visible", timeout=10_000)
    assert "I can't see you" in warning.inner_text()
    page.wait_for_function(
        '() => window.__spoken.some(u => u.text.includes("I can\'t see you"))'
    )
    assert page.locator("#counter").inner_text() == "0"
    finished = page.get_by_role("button", name="I've finished")
    finished.wait_for(state="visible", timeout=10_000)
    check_page(page, "30-set-nobody-in-view")
    finished.click()
    page.get_by_role("heading", name=re.compile("Well done|Cool-down")).wait_for()


def test_set_shows_and_speaks_each_wrong_movement_warning(
    serve: Callable[..., Any], context: Any
) -> None:
    text = "That looks like standing up, not a knee straightening"
    server, sid = serve(
        fake_factories(make_tracker=lambda ex: WarningTracker(ex, text)),
        step=SQUAT_STEP,
    )
    page = context.new_page()
    page.goto(f"{server.url}/session/{sid}/play")
    start_set(page)
    page.locator("#warning", has_text=text).wait_for(timeout=10_000)
    page.wait_for_function(
        "t => window.__spoken.some(u => u.text === t)", arg=text, timeout=10_000
    )
    # Said once when it appears, not on every frame.
    page.wait_for_timeout(1500)
    assert spoken(page).count(text) == 1


# ----------------------------------------------------------------- defect 2


def test_carry_on_asks_pain_before_when_it_is_missing(
    serve: Callable[..., Any], context: Any
) -> None:
    # The person left the pain page for Home; the session was never given a score.
    server, sid = serve(pain=False)
    page = context.new_page()
    page.goto(server.url + "/")
    page.get_by_role("button", name="Carry on with session 1").click()
    page.wait_for_url(re.compile(r".*/pain-before$"))
    # No way round it: the camera check, the player and a set all need it.
    for where in ("camera", "play"):
        page.goto(f"{server.url}/session/{sid}/{where}")
        assert page.url.endswith("/pain-before"), where
    status = page.evaluate(
        """sid => fetch('/api/session/' + sid + '/set/start', {method: 'POST',
             headers: {'Content-Type': 'application/json', 'X-CSRFToken':
               document.querySelector('meta[name=csrf-token]').content},
             body: JSON.stringify({step: 2})}).then(r => r.status)""",
        sid,
    )
    assert status == 409
    page.locator("label", has_text=re.compile(r"^4$")).click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/camera$"))
    page.goto(f"{server.url}/session/{sid}/play")
    assert page.url.endswith("/play")
