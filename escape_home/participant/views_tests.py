"""The standardised tests: 30-second chair stand and five-times sit to stand."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from escape_home import standard_tests
from escape_home.landmarks import Pose
from escape_home.participant import norms, progress_store, store
from escape_home.participant.dates import plain_day
from escape_home.participant.db import get_db, get_writer

bp = Blueprint("tests", __name__)

#: Counted live with the sit-to-stand tracker (the counter the person sees); the
#: score comes from `standard_tests.run_test` on the test's poses.
EXERCISE = "sit_to_stand"
CHAIR_STAND_S = 30.0
FIVE_TIMES_MAX_S = 60.0


def check_kind(kind: str) -> None:
    if kind not in standard_tests.TESTS:
        abort(404, f"There is no test called {kind}.")


def score(
    kind: str,
    poses: list[Pose],
    go_s: float | None,
    age_band: str | None,
    sex: str | None,
) -> dict[str, Any]:
    """Score a test the one way the whole project does: `standard_tests.run_test`.

    Args:
        kind: The test.
        poses: The test's poses from the live worker.
        go_s: When the app said "go", on the poses' clock.
        age_band: The profile's age band (see `norms.age_for_norms`).
        sex: The profile's answer (only "female"/"male" select a norm).

    Returns:
        The `run_test` result.
    """
    return standard_tests.run_test(
        kind,
        poses,
        norms.age_for_norms(age_band),
        norms.sex_for_norms(sex),
        start_s=go_s,
    )


@bp.route("/tests")
def index() -> Any:
    rows = progress_store.tests(get_db())
    return render_template(
        "participant/tests.html",
        rows=rows,
        names=norms.NAMES,
        describe=norms.describe,
        day=plain_day,
    )


@bp.route("/tests/<kind>")
def run(kind: str) -> Any:
    check_kind(kind)
    return render_template(
        "participant/test_run.html",
        kind=kind,
        name=norms.NAMES[kind],
        session_id=request.args.get("session", ""),
        limit_s=CHAIR_STAND_S if kind == "chair_stand_30s" else FIVE_TIMES_MAX_S,
        has_camera=current_app.extensions.get("escape_home.live") is not None
        and not (
            request.args.get("session")
            and store.get_setting(get_db(), "no_camera_session")
            == request.args.get("session")
        ),
    )


@bp.post("/api/test/<kind>/start")
def start(kind: str) -> Response:
    check_kind(kind)
    live = current_app.extensions.get("escape_home.live")
    if live is None:
        abort(503, "There is no camera in this set-up.")
    tracking = live.begin("test", EXERCISE, None, want_view="side")
    return jsonify(tracking=tracking)


@bp.post("/api/test/<kind>/end")
def end(kind: str) -> Response:
    check_kind(kind)
    live = current_app.extensions.get("escape_home.live")
    if live is None:
        abort(503, "There is no camera in this set-up.")
    poses, go_s = live.test_poses()
    live.end()
    profile = store.get_profile(get_db())
    age_band = profile["age_band"] if profile else None
    sex = profile["sex"] if profile else None
    full = score(kind, poses, go_s, age_band, sex)
    result = full["score"]
    details = {
        k: full.get(k)
        for k in ("stand_times_s", "half_way_stand_counted", "hands_used", "start_s")
    }
    if kind == "chair_stand_30s" and not full["complete_window"]:
        return jsonify(
            result=None,
            details=details,
            text="The check stopped before the 30 seconds were up, so there is "
            "no score this time. You can try again.",
        )
    if result is None:
        return jsonify(
            result=None,
            details=details,
            text="The five stands were not finished, so "
            "there is no score this time. You can try again.",
        )
    n = norms.log_norm(full)
    reason = norms.no_norm_reason(
        norms.age_for_norms(age_band), norms.sex_for_norms(sex), kind
    )
    body = request.get_json(silent=True, force=True) or {}
    sid = body.get("session_id") or None
    if sid is not None and store.get_session(get_db(), str(sid)) is None:
        sid = None
    value = float(result)
    get_writer().call(
        lambda c: progress_store.add_test(c, kind, value, norms.UNITS[kind], n, sid)
    )
    current_app.extensions["escape_home.remote"].upload_soon()
    return jsonify(
        result=value,
        norm=n,
        details=details,
        text=norms.describe(kind, value, n, reason),
    )
