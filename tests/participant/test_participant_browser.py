"""The whole participant flow in real Chromium, on a real clip with the real model.

First run, safety check, pain, camera check, a squat set counted live (the clip has
3 labelled squats), cool-down, pain after, levels, progress page. Every page is
screenshotted to tests/artifacts/ and checked with axe-core.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from participant_support import (
    ARTIFACTS,
    LiveServer,
    axe_violations,
    clip,
    clip_label,
)

from escape_home import progress_log
from escape_home.participant import create_app

pytestmark = [pytest.mark.browser, pytest.mark.clips, pytest.mark.slow]

CLIP = "squat__yuyoujiang__1.mp4"


def check_page(page: Any, name: str, full_page: bool = True) -> None:
    """Screenshot the page and fail on serious/critical accessibility problems."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(ARTIFACTS / f"participant-{name}.png"), full_page=full_page
    )
    bad = axe_violations(page)
    assert not bad, f"{name}: " + "; ".join(
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in bad
    )


def test_whole_session_with_a_real_clip(
    browser: Any, tmp_path: Path, fast_programme: Path
) -> None:
    source = clip(CLIP)
    expected = clip_label(CLIP)["reps"]
    db_path = tmp_path / "log.sqlite3"
    app = create_app(
        {
            "DATABASE": str(db_path),
            "SOURCE": str(source),
            "PROGRAMME": str(fast_programme),
            "MODEL": "full",
        }
    )
    server = LiveServer(app)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    # This walk presses every button itself; the hands-free flow has its own test.
    ctx.add_init_script("localStorage.setItem('eh-autostart', '0')")
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on(
            "console", lambda m: errors.append(m.text) if m.type == "error" else None
        )

        page.goto(server.url + "/")
        assert "/profile" in page.url
        check_page(page, "01-profile")
        page.get_by_label("Your first name or a nickname").fill("Ann")
        page.get_by_label("My knee (or knees)").check()
        page.get_by_label("Your age").select_option("65-69")
        page.get_by_label("Female").check()
        page.get_by_role("button", name="Save and continue").click()

        page.wait_for_url(server.url + "/")
        check_page(page, "02-home")
        page.get_by_role("link", name="Start session 1").click()

        check_page(page, "03-safety")
        for radio in page.get_by_role("radio", name="No").all():
            radio.check()
        page.get_by_role("button", name="Continue").click()

        page.wait_for_url(re.compile(r".*/pain-before$"))
        check_page(page, "04-pain-before")
        page.locator("label", has_text=re.compile(r"^2$")).click()
        page.get_by_role("button", name="Continue").click()

        page.wait_for_url(re.compile(r".*/camera$"))
        button = page.get_by_role("button", name="Continue")
        button.wait_for(state="visible")
        page.wait_for_function(
            "() => !document.getElementById('continue').disabled", timeout=30_000
        )
        page.wait_for_timeout(300)  # let the picture refresh for the screenshot
        check_page(page, "05-camera-check")
        assert page.locator("#video").evaluate("img => img.naturalWidth") > 0
        button.click()

        page.wait_for_url(re.compile(r".*/play$"))
        check_page(page, "06-education")
        page.get_by_role("button", name="Next").click()
        page.get_by_role("heading", name=re.compile("Warm-up")).wait_for()
        check_page(page, "07-warm-up")
        page.get_by_role("button", name="Skip this").click()

        page.get_by_role("heading", name=re.compile("Mini squat")).wait_for()
        check_page(page, "08-exercise-card")
        # Remember every value the counter shows (the set ends by itself at the
        # target, and the page moves on straight away).
        page.evaluate(
            """() => { window.seen = [];
            new MutationObserver(() => window.seen.push(
                document.getElementById('counter').textContent))
              .observe(document.getElementById('counter'),
                       {childList: true, characterData: true, subtree: true}); }"""
        )
        page.get_by_role("button", name="Start").click()
        page.wait_for_function(
            "() => document.getElementById('counter').textContent === '1'",
            timeout=40_000,
        )
        check_page(page, "09-exercise-counting")
        page.get_by_role("heading", name=re.compile("Cool-down")).wait_for(
            timeout=40_000
        )
        seen = page.evaluate("() => window.seen")
        assert str(expected) in seen, f"counter showed {seen}, wanted {expected}"
        check_page(page, "10-cool-down")
        page.get_by_role("button", name="Skip this").click()
        page.get_by_role("heading", name=re.compile("Relax")).wait_for()
        page.get_by_role("button", name="Skip this").click()

        page.wait_for_url(re.compile(r".*/after$"))
        check_page(page, "11-pain-after")
        page.locator("fieldset", has_text="pain").locator(
            "label", has_text=re.compile(r"^3$")
        ).click()
        page.locator("fieldset", has_text="hard").locator(
            "label", has_text=re.compile(r"^5$")
        ).click()
        page.get_by_role("button", name="Save").click()

        page.wait_for_url(re.compile(r".*/summary$"))
        check_page(page, "12-summary")
        assert "Amber" in page.content()
        page.get_by_role("button", name="Save my levels").click()

        page.goto(server.url + "/progress")
        page.wait_for_timeout(500)
        check_page(page, "13-progress")
        assert "1 of 12" in page.content()
        page.goto(server.url + "/tests/chair_stand_30s")
        check_page(page, "14-strength-check")
        page.goto(server.url + "/settings")
        check_page(page, "15-settings")
        assert not [e for e in errors if "Content Security Policy" in e], errors
        log = page.request.get(server.url + "/progress/export").json()
        progress_log.validate(log)  # the instructor server's own validator
        squat = log["sessions"][0]["sets"][0]
        assert squat["exercise"] == "squat" and len(squat["reps"]) == expected
    finally:
        ctx.close()  # ends the picture and state streams before the server stops
        server.close()

    conn = sqlite3.connect(db_path)
    reps = conn.execute(
        "SELECT COUNT(*) FROM rep JOIN exercise_set s ON s.id = rep.set_id"
        " WHERE s.exercise = 'squat'"
    ).fetchone()[0]
    status = conn.execute(
        "SELECT status, pain_before, pain_after FROM session"
    ).fetchone()
    conn.close()
    assert reps == expected, f"expected {expected} reps in the log, got {reps}"
    assert status == ("completed", 2, 3)
