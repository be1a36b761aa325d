"""The standardised tests through the app's API, with a stand-in engine on a clip."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from participant_support import Person, clip, fake_factories

from escape_home import progress_log
from escape_home.participant import create_app
from escape_home.participant.views_tests import score

pytestmark = pytest.mark.clips


@pytest.mark.parametrize(
    ("kind", "times", "expected"),
    [
        ("chair_stand_30s", [2.0, 4.5, 29.9, 30.4], 3.0),
        ("five_times_sts", [2.0, 4.0, 6.0, 8.0, 10.04, 12.0], 10.0),
        ("five_times_sts", [2.0, 4.0], None),
    ],
)
def test_scoring(kind: str, times: list[float], expected: float | None) -> None:
    assert score(kind, times) == expected


def test_chair_stand_is_counted_scored_against_norms_and_logged(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "l.sqlite3"),
            "SOURCE": str(clip("squat__yuyoujiang__1.mp4")),
            "LIVE_FACTORIES": fake_factories(),
        }
    )
    client = app.test_client()
    Person(client).sign_up(age_band="70-74", sex="male")
    assert client.post("/api/test/chair_stand_30s/start").get_json()["tracking"]
    live = app.extensions["escape_home.live"]
    deadline = time.monotonic() + 10
    while live.state()["reps"] < 4:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    reply = client.post("/api/test/chair_stand_30s/end", json={}).get_json()
    assert reply["result"] >= 4
    assert reply["norm"]["band"] == "70-74 male"
    assert "stands" in reply["text"]
    page = client.get("/tests").get_data(as_text=True)
    assert "30-second chair stand" in page and "You scored" in page
    log = json.loads(client.get("/progress/export").get_data())
    progress_log.validate(log)
    assert log["tests"][0]["kind"] == "chair_stand_30s"
    assert log["tests"][0]["unit"] == "reps"
    live.stop()
    app.extensions["escape_home.remote"].stop()
    app.extensions["escape_home.writer"].close()
