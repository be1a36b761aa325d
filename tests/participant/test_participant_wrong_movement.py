"""The live set, with the real engine, says what it sees when the movement is wrong.

A synthetic person marches on the spot (escape_home.synth, looped on the live clock in
place of the pose model) while the session asks for squats: the real exercise tracker
counts nothing and the page shows and says "That looks like lifting a knee, as in
marching, not a squat". Then the same person doing squats gets counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from participant_support import (
    FAKE_SPEECH,
    LiveServer,
    SynthPerson,
    clip,
    fake_factories,
    seed_session,
)

from escape_home import synth as sy
from escape_home.participant import create_app
from escape_home.participant.pipeline import default_tracker

pytestmark = [pytest.mark.browser, pytest.mark.clips]

SQUAT_STEP = 2  # the squat set of the fast programme (see conftest.fast_programme)


def _person(exercise: str) -> SynthPerson:
    """A synthetic person doing `exercise` on the live clock (see SynthPerson)."""
    script = sy.reps_script(
        exercise,
        8,
        alternate=exercise == "marching",
        yaw=0 if exercise == "marching" else 90,
        noise=0.002,
    )
    return SynthPerson(script=script)


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.add_init_script(FAKE_SPEECH)
    yield ctx
    ctx.close()


def _serve(tmp_path: Path, programme: Path, exercise: str) -> tuple[LiveServer, str]:
    app = create_app(
        {
            "DATABASE": str(tmp_path / f"{exercise}.sqlite3"),
            "PROGRAMME": str(programme),
            "SOURCE": str(clip("squat__yuyoujiang__1.mp4")),
            "LIVE_FACTORIES": fake_factories(
                make_estimator=lambda model: _person(exercise),
                make_tracker=default_tracker,
            ),
        }
    )
    sid = seed_session(app, pain=True, step=SQUAT_STEP)
    return LiveServer(app), sid


def _start_set(page: Any) -> None:
    page.get_by_role("button", name="Start", exact=True).click()
    page.locator("#count-box:not(.hidden)").wait_for(timeout=30_000)


def test_marching_in_a_squat_set_is_not_counted_and_is_named(
    tmp_path: Path, fast_programme: Path, context: Any
) -> None:
    server, sid = _serve(tmp_path, fast_programme, "marching")
    try:
        page = context.new_page()
        page.goto(f"{server.url}/session/{sid}/play")
        _start_set(page)
        text = "That looks like lifting a knee, as in marching, not a squat"
        page.locator("#warning", has_text=text).wait_for(timeout=30_000)
        page.wait_for_function(
            "t => window.__spoken.some(u => u.text === t)", arg=text, timeout=10_000
        )
        assert page.locator("#counter").inner_text() == "0"
    finally:
        server.close()


def test_squats_in_a_squat_set_are_counted_without_a_warning(
    tmp_path: Path, fast_programme: Path, context: Any
) -> None:
    server, sid = _serve(tmp_path, fast_programme, "squat")
    try:
        page = context.new_page()
        page.goto(f"{server.url}/session/{sid}/play")
        _start_set(page)
        page.wait_for_function(
            "() => Number(document.querySelector('#counter').textContent) >= 2",
            timeout=40_000,
        )
        assert "looks like" not in page.locator("#warning").inner_text()
    finally:
        server.close()
