"""Movement replays end to end (issue 12 item 3): the real participant app, linked to
the real instructor server, the real engine on a synthetic person, and Chromium on
both sides. Nothing is uploaded before the person says yes; after, the instructor's
page plays the flagged rep beside the good one as stick figures."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from participant_support import (
    LiveServer,
    Person,
    SynthPerson,
    axe_violations,
    clip,
    fake_factories,
)
from test_participant_with_instructor import instructor_server  # noqa: F401 (fixture)

from escape_home import synth as sy
from escape_home.participant import create_app
from escape_home.participant.pipeline import default_tracker

pytestmark = [pytest.mark.browser, pytest.mark.clips]

SQUAT_STEP = 2  # the squat set of the fast programme (see conftest.fast_programme)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _person() -> SynthPerson:
    lean = sy.generate(sy.reps_script("squat", 3, yaw=90, faults=sy.Faults(trunk=30)))
    good = sy.generate(sy.reps_script("squat", 4, yaw=90))
    person = SynthPerson(script=sy.reps_script("squat", 1))
    person.poses = [*lean, *good]
    return person


def _set(client: Any, sid: str, seconds: float) -> None:
    r = client.post(f"/api/session/{sid}/set/start", json={"step": SQUAT_STEP})
    assert r.get_json()["tracking"], r.get_data(as_text=True)
    time.sleep(seconds)
    set_id = r.get_json()["set_id"]
    client.post(f"/api/session/{sid}/set/{set_id}/end", json={"outcome": "done"})


def _upload(app: Flask) -> None:
    time.sleep(0.5)  # the set's last replays reach the writer
    app.extensions["escape_home.writer"].flush()
    remote: Any = app.extensions["escape_home.remote"]
    assert remote.upload_now(), remote.last_error


def _stored_sessions(inst: Flask) -> list[dict[str, Any]]:
    from escape_home.instructor import db
    from escape_home.instructor.models import SessionRecord

    with inst.app_context():
        rows = db.session().query(SessionRecord).all()
        return [json.loads(r.data) for r in rows]


def test_replays_only_with_consent_and_played_on_the_instructors_page(
    tmp_path: Path,
    fast_programme: Path,
    browser: Any,
    instructor_server: tuple[str, str, Flask],  # noqa: F811
) -> None:
    url, code, inst = instructor_server
    app = create_app(
        {
            "DATABASE": str(tmp_path / "p.sqlite3"),
            "PROGRAMME": str(fast_programme),
            "SOURCE": str(clip("squat__yuyoujiang__1.mp4")),
            "REMOTE_RETRY_S": 0.2,
            "LIVE_FACTORIES": fake_factories(
                make_estimator=lambda model: _person(), make_tracker=default_tracker
            ),
        }
    )
    server = LiveServer(app)
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        app.config["WTF_CSRF_ENABLED"] = False
        client = app.test_client()
        person = Person(client)
        person.sign_up()
        r = client.post(
            "/settings", data={"action": "enrol", "server": url, "code": code}
        )
        assert r.status_code == 302
        sid = person.start_session()
        client.post(f"/api/session/{sid}/step", json={"step": SQUAT_STEP})

        # Before any answer: reps counted and uploaded, no movement sent.
        _set(client, sid, 10)
        _upload(app)
        stored = _stored_sessions(inst)
        assert stored and stored[0]["sets"][0]["reps"]
        assert all("replays" not in s for s in stored)

        # Linked: Settings asks plainly; the person says yes in the browser.
        page = ctx.new_page()
        page.goto(server.url + "/settings")
        ask = page.locator("#movement-consent")
        assert "never a video or a picture of you" in ask.inner_text()
        page.get_by_role("button", name="Yes, share stick figures").click()
        page.locator("#movement-now", has_text="Now: yes").wait_for()
        assert axe_violations(page) == []

        _set(client, sid, 22)
        _upload(app)
        replays = [r for s in _stored_sessions(inst) for r in s.get("replays", [])]
        assert sorted(r["kind"] for r in replays) == ["flagged", "good"]

        # The instructor's page plays both, the flagged one with its numbers.
        ipage = ctx.new_page()
        ipage.goto(url + "/login")
        ipage.get_by_label("Username").fill("jo")
        ipage.get_by_label("Password").fill("pw-long-enough-1")
        ipage.get_by_role("button", name="Sign in").click()
        ipage.wait_for_url(url + "/")
        ipage.get_by_role("link", name="Tuesday").first.click()
        ipage.get_by_role("link", name="Ann").first.click()
        ipage.get_by_role("link", name="Movement replays").click()
        ipage.locator("#replays[data-ready='1']").wait_for(timeout=10_000)
        flagged = ipage.locator("figure.replay.flagged")
        caption = flagged.locator("figcaption").inner_text()
        fault = next(r["fault"] for r in replays if r["kind"] == "flagged")
        assert fault["cue"] in caption and f"{fault['threshold']:g}" in caption
        assert "Measured" in caption
        canvases = ipage.locator("canvas[data-session]")
        assert canvases.count() == 2
        seen: list[set[str]] = [set(), set()]
        for _ in range(15):  # it moves: the frame drawn changes as time passes
            for i in range(2):
                seen[i].add(canvases.nth(i).get_attribute("data-frame") or "")
            ipage.wait_for_timeout(150)
        assert all(len(s) > 3 for s in seen), seen
        # Pause holds the figure still.
        flagged.get_by_role("button", name="Pause").click()
        held = canvases.nth(0).get_attribute("data-frame")
        ipage.wait_for_timeout(600)
        assert canvases.nth(0).get_attribute("data-frame") == held
        assert axe_violations(ipage) == []
        ARTIFACTS.mkdir(exist_ok=True)
        ipage.screenshot(path=str(ARTIFACTS / "instructor-replays.png"), full_page=True)
    finally:
        ctx.close()
        server.close()
