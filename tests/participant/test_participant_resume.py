"""Participant app v2 (issue 10, defect 6 and part of 8) in real Chromium: a reload,
Back, a closed window or an app restart lands where the person expects, with
their reps; a crash during a strength check is said in plain words; a stopped
session is not "done"; "Carry on without the camera" means it; focus goes to the
button the person wants.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from participant_support import (
    SIZES,
    CueTracker,
    FakeTracker,
    PortServer,
    fake_factories,
    new_context,
)
from test_participant_browser import check_page

pytestmark = [pytest.mark.browser, pytest.mark.clips]

#: Index of the squat set in the fast programme (education, warm-up, squat, ...).
SQUAT_STEP = 2


@pytest.fixture
def programme_path(two_exercises: Path) -> Path:
    """Squat (3 reps), a 3 s rest, then marching for 4 s (see conftest.serve)."""
    return two_exercises


def slow(every: int = 12) -> dict[str, Any]:
    """A stand-in engine counting a rep every `every` frames (about 2 a second)."""
    return fake_factories(make_tracker=lambda ex: FakeTracker(ex, every=every))


def long_squat(programme: Path, reps: int = 40) -> None:
    data = json.loads(programme.read_text())
    data["exercises"]["squat"]["levels"][0]["target_reps"] = reps
    programme.write_text(json.dumps(data))


def sets_of(server: PortServer, sid: str) -> list[dict[str, Any]]:
    db = sqlite3.connect(server.app.config["DATABASE"])
    db.row_factory = sqlite3.Row
    rows = db.execute(
        "SELECT s.id, s.outcome, s.target_reps, (SELECT COUNT(*) FROM rep r"
        " WHERE r.set_id = s.id) AS reps FROM exercise_set s WHERE session_id = ?"
        " ORDER BY s.id",
        (sid,),
    ).fetchall()
    db.close()
    return [dict(r) for r in rows]


def start_set(page: Any) -> None:
    page.get_by_role("button", name="Start", exact=True).click()
    page.locator("#count-box:not(.hidden)").wait_for(timeout=30_000)


def count(page: Any) -> int:
    return int(page.locator("#counter").inner_text())


def wait_count(page: Any, n: int) -> None:
    page.wait_for_function(
        "n => parseInt(document.getElementById('counter').textContent) >= n",
        arg=n,
        timeout=30_000,
    )


def focused(page: Any) -> str:
    found: str = page.evaluate("() => document.activeElement.id")
    return found


# ------------------------------------------------------------------ defect 6


def test_reload_during_the_rest_goes_on_to_the_next_move(
    serve: Callable[..., Any], context: Any
) -> None:
    server, sid = serve(step=SQUAT_STEP)
    page = context.new_page()
    page.goto(f"{server.url}/session/{sid}/play")
    page.get_by_role("heading", name="Mini squat").wait_for()
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_role("heading", name="Well done. Have a rest").wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    page.reload()
    page.get_by_role("heading", name="Marching on the spot").wait_for(timeout=10_000)
    assert [s["outcome"] for s in sets_of(server, sid)] == ["done"]
    # Closing the window and coming back from Home lands there too.
    page.goto(server.url + "/")
    page.get_by_role("button", name="Carry on with session 1").click()
    page.wait_for_url(re.compile(r".*/camera$"))
    page.goto(f"{server.url}/session/{sid}/play")
    page.get_by_role("heading", name="Marching on the spot").wait_for(timeout=10_000)


def test_reload_mid_set_carries_on_with_the_same_set_and_its_reps(
    serve: Callable[..., Any], context: Any, programme_path: Path
) -> None:
    long_squat(programme_path)
    server, sid = serve(slow(), step=SQUAT_STEP)
    page = context.new_page()
    page.goto(f"{server.url}/session/{sid}/play")
    start_set(page)
    wait_count(page, 2)
    page.reload()
    page.locator("#count-box:not(.hidden)").wait_for(timeout=10_000)
    assert page.get_by_text("Welcome back").is_visible()
    assert count(page) >= 2, "the set started again from 0"
    before = count(page)
    wait_count(page, before + 1)  # and it goes on counting
    sets = sets_of(server, sid)
    assert len(sets) == 1 and sets[0]["outcome"] is None, sets
    assert focused(page) == "pause"


def test_back_mid_set_asks_first_and_keeps_the_reps(
    serve: Callable[..., Any], context: Any, programme_path: Path
) -> None:
    long_squat(programme_path)
    server, sid = serve(slow(), step=SQUAT_STEP)
    page = context.new_page()
    page.goto(f"{server.url}/session/{sid}/play")
    start_set(page)
    wait_count(page, 1)
    page.go_back()
    dialog = page.locator("#leave-dialog")
    dialog.wait_for(state="visible", timeout=5_000)
    assert page.url.endswith("/play")
    assert focused(page) == "leave-no", "the safe choice must have the focus"
    assert "saved" in page.locator("#leave-reps").inner_text()
    check_page(page, "60-leave-set-dialog", full_page=False)
    page.keyboard.press("Enter")  # No, carry on
    assert dialog.is_hidden()
    n = count(page)
    wait_count(page, n + 1)  # still counting the same set
    page.go_back()
    dialog.wait_for(state="visible")
    page.get_by_role("button", name="Yes, leave").click()
    page.wait_for_url(server.url + "/")
    sets = sets_of(server, sid)
    assert len(sets) == 1 and sets[0]["outcome"] == "stopped", sets
    assert sets[0]["reps"] >= n + 1
    # Carrying on later: the rest of that set, not all of it again.
    page.get_by_role("button", name="Carry on with session 1").click()
    page.goto(f"{server.url}/session/{sid}/play")
    page.get_by_text(re.compile(r"You have done \d+ already")).wait_for()


def test_reload_after_an_app_restart_carries_on_with_the_reps(
    serve: Callable[..., Any], context: Any, programme_path: Path
) -> None:
    long_squat(programme_path, reps=12)
    server, sid = serve(slow(), step=SQUAT_STEP)
    page = context.new_page()
    page.goto(f"{server.url}/session/{sid}/play")
    start_set(page)
    wait_count(page, 2)
    server.close()  # the app stops (a crash, or the computer restarts)
    done = sets_of(server, sid)[0]["reps"]
    assert done >= 2
    again, _ = serve(slow(), port=server.port, seed=False)
    page.reload()
    assert "Sorry" not in page.content()
    page.get_by_text(f"You have done {done} already").wait_for(timeout=10_000)
    assert focused(page) == "primary"
    start_set(page)
    assert count(page) >= done, "the counter must start from the reps done"
    sets = sets_of(again, sid)
    assert sets[0]["outcome"] == "interrupted" and sets[0]["reps"] == done
    assert sets[1]["target_reps"] == 12 - done, sets
    # Home after a restart offers "Carry on", and it works too.
    page.goto(again.url + "/")
    page.get_by_role("button", name="Carry on with session 1").click()
    page.wait_for_url(re.compile(r".*/camera$"))


def test_an_ended_session_page_goes_home_instead_of_an_error(
    serve: Callable[..., Any], context: Any
) -> None:
    server, sid = serve(step=SQUAT_STEP)
    page = context.new_page()
    page.goto(server.url + "/")
    page.get_by_role("button", name="Close it").click()
    page.goto(f"{server.url}/session/{sid}/play")
    page.wait_for_url(server.url + "/")
    assert "Sorry" not in page.content()
    assert page.get_by_text("That session has ended").is_visible()


def test_a_crash_during_a_strength_check_is_said_plainly(
    serve: Callable[..., Any], context: Any
) -> None:
    server, sid = serve(fake_factories(make_tracker=lambda ex: CueTracker(ex)))
    page = context.new_page()
    page.goto(f"{server.url}/tests/five_times_sts?session={sid}")
    page.get_by_role("button", name="Start the check").click()
    stop = page.get_by_role("button", name="Stop the check")
    stop.wait_for(timeout=20_000)
    # The app crashes: the browser cannot reach it any more.
    page.route("**/api/**", lambda route: route.abort("connectionrefused"))
    stop.click()
    result = page.locator("#result")
    result.wait_for(state="visible", timeout=10_000)
    text = result.inner_text()
    assert "Failed to fetch" not in text and "The app stopped answering" in text
    assert page.get_by_role("button", name="Try again").is_visible()


# ------------------------------------------------------------------ defect 8


def test_stop_focuses_the_safe_choice_and_a_stopped_session_is_not_done(
    serve: Callable[..., Any], context: Any
) -> None:
    server, sid = serve(step=SQUAT_STEP)
    page = context.new_page()
    page.goto(f"{server.url}/session/{sid}/play")
    page.get_by_role("heading", name="Mini squat").wait_for()
    assert focused(page) == "primary", "focus belongs on the main button"
    page.get_by_role("button", name="Stop the session").click()
    assert focused(page) == "stop-no"
    page.get_by_role("button", name="Yes, stop now").click()
    page.get_by_role("heading", name=re.compile("You stopped early")).wait_for()
    # The profile says knee: the question says knee.
    assert page.get_by_text("How bad is your knee pain now").is_visible()
    assert not page.get_by_text("knee or hip").count()
    check_page(page, "61-after-stopped", full_page=False)
    page.locator("fieldset").nth(0).locator("label", has_text=re.compile("^3$")).click()
    page.locator("fieldset").nth(1).locator("label", has_text=re.compile("^3$")).click()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="You stopped session 1 early").wait_for()
    assert not page.get_by_text("Session 1 is done").count()
    check_page(page, "62-summary-stopped", full_page=False)
    page.goto(server.url + "/")
    assert page.get_by_text("0 of 12").is_visible()
    assert page.get_by_role("link", name="Start session 1").is_visible()


def test_carry_on_without_the_camera_means_no_camera(
    serve: Callable[..., Any], context: Any
) -> None:
    server, sid = serve()
    page = context.new_page()
    page.goto(f"{server.url}/session/{sid}/camera")
    page.get_by_role("link", name="Carry on without the camera").click()
    page.get_by_role("heading", name=re.compile("Today's topic")).wait_for()
    assert page.locator("#video").count() == 0
    page.evaluate(
        """sid => fetch('/api/session/' + sid + '/step', {method: 'POST',
             headers: {'Content-Type': 'application/json', 'X-CSRFToken':
               document.querySelector('meta[name=csrf-token]').content},
             body: JSON.stringify({step: 2})})""",
        sid,
    )
    page.reload()  # still without the camera on the next pages
    page.get_by_role("heading", name="Mini squat").wait_for()
    assert page.locator("#video").count() == 0
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_role("button", name="I've finished").wait_for(timeout=15_000)
    assert page.locator("#count-box").is_hidden()
    assert "can't count" in page.locator("#cue").inner_text()
    worker = server.app.extensions["escape_home.live"]
    assert worker.state().mode != "exercise", "the camera counted anyway"
    assert worker.state().set_id is None


@pytest.mark.parametrize(("name", "viewport", "scale"), SIZES)
def test_changed_pages_at_three_sizes(
    serve: Callable[..., Any],
    browser: Any,
    programme_path: Path,
    name: str,
    viewport: dict[str, int],
    scale: int,
) -> None:
    """Screenshots (tests/artifacts/participant-6x-*) and axe: the Back question
    during a set, the stopped session's summary, a strength check the app
    stopped during."""
    long_squat(programme_path)
    server, sid = serve(slow(), step=SQUAT_STEP)
    ctx = new_context(browser, viewport, scale)
    try:
        page = ctx.new_page()
        page.goto(f"{server.url}/session/{sid}/play")
        start_set(page)
        wait_count(page, 1)
        page.go_back()
        page.locator("#leave-dialog").wait_for(state="visible")
        check_page(page, f"63-leave-dialog-{name}", full_page=False)
        page.get_by_role("button", name="No, carry on").click()
        page.get_by_role("button", name="Stop the session").click()
        page.get_by_role("button", name="Yes, stop now").click()
        page.get_by_role("heading", name=re.compile("You stopped early")).wait_for()
        for i in (0, 1):
            page.locator("fieldset").nth(i).locator(
                "label", has_text=re.compile("^2$")
            ).click()
        page.get_by_role("button", name="Save").click()
        page.get_by_role("heading", name="You stopped session 1 early").wait_for()
        check_page(page, f"64-summary-stopped-{name}", full_page=False)
        page.goto(f"{server.url}/tests/five_times_sts")
        page.route("**/api/**", lambda route: route.abort("connectionrefused"))
        page.get_by_role("button", name="Start the check").click()
        page.locator("#result:not(.hidden)").wait_for(timeout=20_000)
        check_page(page, f"65-check-app-stopped-{name}", full_page=False)
    finally:
        ctx.close()


def test_instructor_link_without_http_says_so_and_keeps_the_fields(
    serve: Callable[..., Any], context: Any
) -> None:
    import http.server
    import threading

    # An instructor's server on plain http (a clinic's own computer).
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), http.server.BaseHTTPRequestHandler
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        server, _ = serve()
        page = context.new_page()
        page.goto(server.url + "/settings")
        address = f"127.0.0.1:{httpd.server_address[1]}"
        page.get_by_label("Web address").fill(address)
        page.get_by_label("Code").fill("ABCD-1234")
        page.get_by_role("button", name="Link this computer").click()
        flash = page.locator(".flash").first
        flash.wait_for(timeout=15_000)
        text = flash.inner_text()
        assert "did not answer securely" in text and "http://" in text, text
        assert not re.search(r"SSL|WRONG_VERSION|Errno", text), text
        assert page.get_by_label("Web address").input_value() == address
        assert page.get_by_label("Code").input_value() == "ABCD-1234"
    finally:
        httpd.shutdown()
        httpd.server_close()
