"""Movement replays in the participant app (issue 12 item 3): kept only with consent,
numbers only, and withdrawn with the consent.

The real live worker and the real exercise tracker run on a synthetic person doing
squats with a forward lean (escape_home.synth standing in for the pose model); the
log is built by the app's own export.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from participant_support import SynthPerson, clip, fake_factories, seed_session

from escape_home import synth as sy
from escape_home.participant import create_app, export
from escape_home.participant.db import get_db
from escape_home.participant.pipeline import default_tracker
from escape_home.replay import JOINT_NAMES

pytestmark = [pytest.mark.clips]

SQUAT_STEP = 2  # the squat set of the fast programme (see conftest.fast_programme)
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"/9j/", b"iVBOR")


def _app(tmp_path: Path, programme: Path) -> Any:
    lean = sy.generate(sy.reps_script("squat", 3, yaw=90, faults=sy.Faults(trunk=30)))
    good = sy.generate(sy.reps_script("squat", 4, yaw=90))
    # Reps with a forward lean, then good ones: a tip on some reps, not all.
    person = SynthPerson(script=sy.reps_script("squat", 1))
    person.poses = [*lean, *good]
    app = create_app(
        {
            "DATABASE": str(tmp_path / "replay.sqlite3"),
            "PROGRAMME": str(programme),
            "SOURCE": str(clip("squat__yuyoujiang__1.mp4")),
            "WTF_CSRF_ENABLED": False,
            "LIVE_FACTORIES": fake_factories(
                make_estimator=lambda model: person, make_tracker=default_tracker
            ),
        }
    )
    return app


def _run_set(app: Any, sid: str, seconds: float) -> None:
    c = app.test_client()
    r = c.post(f"/api/session/{sid}/set/start", json={"step": SQUAT_STEP})
    assert r.status_code == 200 and r.get_json()["tracking"], r.get_data(as_text=True)
    set_id = r.get_json()["set_id"]
    time.sleep(seconds)
    assert c.post(f"/api/session/{sid}/set/{set_id}/end", json={"outcome": "done"})
    time.sleep(0.5)  # the writer thread stores what the set end handed over


def _log(app: Any) -> tuple[dict[str, Any], bytes]:
    with app.app_context():
        log = export.build_log(get_db())
    from escape_home import progress_log

    return log, progress_log.dumps(log).encode()


def test_no_replay_is_kept_or_sent_without_consent(
    tmp_path: Path, fast_programme: Path
) -> None:
    app = _app(tmp_path, fast_programme)
    sid = seed_session(app, pain=True, step=SQUAT_STEP)
    _run_set(app, sid, 12)
    log, raw = _log(app)
    session = next(s for s in log["sessions"] if s["id"] == sid)
    reps = sum(len(st["reps"]) for st in session["sets"])
    assert reps >= 2  # the person was seen and counted...
    assert "replays" not in session and b"replays" not in raw  # ...and nothing kept
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM rep_replay").fetchone()[0] == 0


def test_with_consent_one_flagged_and_one_good_rep_numbers_only(
    tmp_path: Path, fast_programme: Path
) -> None:
    app = _app(tmp_path, fast_programme)
    sid = seed_session(app, pain=True, step=SQUAT_STEP)
    c = app.test_client()
    page = c.get("/settings").get_data(as_text=True)
    assert "never a video or a picture of you" not in page  # asked once linked only
    r = c.post("/settings/movement", data={"share": "yes"})
    assert r.status_code == 302
    _run_set(app, sid, 22)
    log, raw = _log(app)
    session = next(s for s in log["sessions"] if s["id"] == sid)
    kinds = sorted(r["kind"] for r in session["replays"])
    assert kinds == ["flagged", "good"]  # one of each, however many reps there were
    assert sum(len(st["reps"]) for st in session["sets"]) > 2
    flagged = next(r for r in session["replays"] if r["kind"] == "flagged")
    assert flagged["fault"]["value"] > flagged["fault"]["threshold"]
    assert flagged["joints"] == list(JOINT_NAMES)
    # Nothing of the picture: only integers in the frames, no image signature or
    # long encoded string anywhere in the bytes that would be uploaded.
    for r in session["replays"]:
        assert all(isinstance(v, int) for f in r["frames"] for v in f)
    assert not any(sig in raw for sig in IMAGE_SIGNATURES)
    strings: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            strings.append(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(raw))
    assert max(len(s) for s in strings) < 600
    assert len(raw) < 60_000  # bounded: two short tracks for one exercise

    # Saying no deletes what was kept, and the next log sends none.
    assert c.post("/settings/movement", data={"share": "no"}).status_code == 302
    log, raw = _log(app)
    assert all("replays" not in s for s in log["sessions"])
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM rep_replay").fetchone()[0] == 0
