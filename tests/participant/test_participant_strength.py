"""The standardised tests through the app's API: the app keeps the test's poses and
scores them with `standard_tests.run_test`, so its result is the library's.

Synthetic poses (escape_home.synth) are fed through the live worker's own frame
step, on the worker's clock, so a 30 s test takes well under a second. The pipeline
thread gets no frames (its source is empty), so only these poses reach the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from participant_support import Person, fake_factories

from escape_home import progress_log, standard_tests
from escape_home import synth as sy
from escape_home.instructor.exports import _norm_band
from escape_home.landmarks import Pose
from escape_home.participant import create_app
from escape_home.participant.db import get_db
from escape_home.participant.live import LiveWorker
from escape_home.participant.views_progress import progress_data

IMAGE = np.zeros((48, 64, 3), dtype=np.uint8)


class _NoFrames:
    """A frame source that sends nothing (the test feeds the frames itself)."""

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def close(self) -> None:
        pass


class _Given:
    """Stands in for the pose model: returns the pose it was given."""

    def __init__(self, pose: Pose) -> None:
        self.pose = pose

    def process(self, image: Any, timestamp_s: float, frame_index: int) -> Pose:
        return self.pose

    def close(self) -> None:
        pass


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    # The live tracker is the stand-in that "counts" a rep every 3 frames: the
    # live counter is only for show, so the score must not come from it.
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "l.sqlite3"),
            "SOURCE": "synthetic",
            "LIVE_FACTORIES": fake_factories(opener=lambda spec: _NoFrames()),
        }
    )
    yield app
    app.extensions["escape_home.live"].stop()
    app.extensions["escape_home.remote"].stop()
    app.extensions["escape_home.writer"].close()


def seated_reps(n: int, up_s: float = 0.8, down_s: float = 0.9) -> list[Pose]:
    """Start seated for 1 s, then `n` stand-sit cycles (as test_standard_tests)."""
    script = sy.reps_script(
        "sit_to_stand",
        n,
        out_s=up_s,
        hold_s=0.3,
        back_s=down_s,
        rest_s=0.4,
        seated_home=True,
        yaw=90,
        noise=0.002,
    )
    return sy.generate(script)


def run_in_app(
    app: Flask, client: FlaskClient, kind: str, poses: list[Pose], go_at: float
) -> tuple[dict[str, Any], list[Pose], float]:
    """Start the test, feed `poses` so that "go" falls at their time `go_at`, end it.

    Returns:
        The app's reply, the poses as fed (on the worker's clock) and "go".
    """
    assert client.post(f"/api/test/{kind}/start").get_json()["tracking"]
    live: LiveWorker = app.extensions["escape_home.live"]
    go = live.test_go_s
    assert go is not None
    shift = go - go_at
    fed = [replace(p, timestamp_s=p.timestamp_s + shift) for p in poses]
    status = {"status": "ok", "message": ""}
    for i, p in enumerate(fed):
        live._step(_Given(p), None, IMAGE, live.camera.t0 + p.timestamp_s, i, status)
    reply = client.post(f"/api/test/{kind}/end", json={}).get_json()
    return reply, fed, go


def logged_tests(client: FlaskClient) -> list[dict[str, Any]]:
    log = json.loads(client.get("/progress/export").get_data())
    progress_log.validate(log)  # the instructor server's own validator
    tests: list[dict[str, Any]] = log["tests"]
    return tests


def test_chair_stand_score_is_standard_tests_and_counts_a_half_way_stand(
    app: Flask, client: FlaskClient
) -> None:
    Person(client).sign_up(age_band="70-74", sex="male")
    poses = seated_reps(14)
    # "Go" such that 30 s later the person is 0.6 s into a 0.8 s rise (3/4 up).
    rise_start = 1.0 + 2.4 * 12
    reply, fed, go = run_in_app(
        app, client, "chair_stand_30s", poses, rise_start + 0.6 - 30.0
    )
    expected = standard_tests.run_test("chair_stand_30s", fed, 70, "male", start_s=go)
    assert expected["half_way_stand_counted"] is True
    assert reply["details"]["half_way_stand_counted"] is True
    assert reply["result"] == expected["score"]
    assert reply["details"]["stand_times_s"] == expected["stand_times_s"]
    norm = expected["norm"]
    assert (reply["norm"]["low"], reply["norm"]["high"]) == (norm["low"], norm["high"])
    assert reply["norm"]["band"] == "70-74 male"
    assert reply["norm"]["rating"] == expected["rating"]
    assert (
        "stands" in reply["text"]
        and f"{norm['low']} to {norm['high']}" in (reply["text"])
    )

    # Ending 0.15 s into the rise (barely off the seat): that stand does not count.
    early, fed, go = run_in_app(
        app, client, "chair_stand_30s", poses, rise_start + 0.15 - 30.0
    )
    assert early["details"]["half_way_stand_counted"] is False
    assert early["result"] == reply["result"] - 1
    assert (
        early["result"]
        == standard_tests.run_test("chair_stand_30s", fed, 70, "male", start_s=go)[
            "score"
        ]
    )

    logged = logged_tests(client)
    assert [t["result"] for t in logged] == [reply["result"], early["result"]]
    assert logged[0]["unit"] == "reps"
    # What the instructor dashboard reads (it stores each test object as is).
    assert _norm_band(json.dumps(logged[0])) == {"low": 12, "high": 17}
    assert logged[0]["norm"]["band"] == "70-74 male"
    page = client.get("/tests").get_data(as_text=True)
    assert "30-second chair stand" in page and "within the usual range" in page


def test_five_times_score_is_standard_tests(app: Flask, client: FlaskClient) -> None:
    Person(client).sign_up(age_band="75-79", sex="female")
    poses = seated_reps(7, up_s=1.0, down_s=1.0)
    reply, fed, go = run_in_app(app, client, "five_times_sts", poses, 0.5)
    expected = standard_tests.run_test("five_times_sts", fed, 75, "female", start_s=go)
    assert expected["score"] is not None
    assert reply["result"] == expected["score"]
    assert reply["norm"]["cutoff_s"] == expected["norm"]["cutoff_s"] == 12.6
    assert reply["norm"]["rating"] == expected["rating"]
    assert "seconds" in reply["text"] and "12.6 s" in reply["text"]
    logged = logged_tests(client)
    assert logged[0]["kind"] == "five_times_sts" and logged[0]["unit"] == "s"
    assert logged[0]["result"] == expected["score"]
    # No range bar on the instructor's chart for a cut-off, as before.
    assert _norm_band(json.dumps(logged[0])) == {"low": None, "high": None}
    # The person's progress chart draws the cut-off line from "high".
    with app.app_context():
        chart = progress_data(get_db())["tests"]["five_times_sts"]
    assert (chart["low"], chart["high"]) == (None, 12.6)


def test_a_check_stopped_early_or_unfinished_has_no_score(
    app: Flask, client: FlaskClient
) -> None:
    Person(client).sign_up(age_band="70-74", sex="female")
    ten_s = [p for p in seated_reps(14) if p.timestamp_s < 11.0]
    reply, _, _ = run_in_app(app, client, "chair_stand_30s", ten_s, 1.0)
    assert reply["result"] is None and "before the 30 seconds" in reply["text"]
    reply, _, _ = run_in_app(app, client, "five_times_sts", seated_reps(3), 0.5)
    assert reply["result"] is None and "not finished" in reply["text"]
    assert logged_tests(client) == []


def test_no_comparison_without_sex_or_under_60(app: Flask, client: FlaskClient) -> None:
    Person(client).sign_up(age_band="70-74", sex="")  # "I'd rather not say"
    poses = seated_reps(14)
    reply, _, _ = run_in_app(app, client, "chair_stand_30s", poses, 0.5)
    assert reply["result"] is not None and reply["norm"] is None
    assert "women and men separately" in reply["text"]
    Person(client).sign_up(age_band="55-59", sex="female")
    reply, _, _ = run_in_app(app, client, "chair_stand_30s", poses, 0.5)
    assert reply["norm"] is None and "under 60" in reply["text"]
    assert [t["norm"] for t in logged_tests(client)] == [None, None]
