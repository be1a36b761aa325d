"""The standardised tests: 30-second chair stand and five-times sit to stand."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from escape_home.participant import norms, progress_store, store
from escape_home.participant.db import get_db, get_writer

bp = Blueprint("tests", __name__)

#: Counted with the sit-to-stand tracker.
EXERCISE = "sit_to_stand"
CHAIR_STAND_S = 30.0
FIVE_TIMES_MAX_S = 60.0


def check_kind(kind: str) -> None:
    if kind not in norms.UNITS:
        abort(404, f"There is no test called {kind}.")


def score(kind: str, rep_times: list[float]) -> float | None:
    """The test result from the rep completion times (seconds from 'go').

    Chair stand: stands completed within 30 s. Five times: the time of the 5th
    stand (our fixed protocol: timing stops at the 5th stand; recorded in the log
    as the unit "s"). None when the five were not done.
    """
    if kind == "chair_stand_30s":
        return float(sum(1 for t in rep_times if t <= CHAIR_STAND_S))
    if len(rep_times) < 5:
        return None
    return round(rep_times[4], 1)


@bp.route("/tests")
def index() -> Any:
    rows = progress_store.tests(get_db())
    return render_template(
        "participant/tests.html", rows=rows, names=norms.NAMES, describe=norms.describe
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
        has_camera=current_app.extensions.get("escape_home.live") is not None,
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
    rep_times = list(live.state()["rep_times"])
    live.end()
    result = score(kind, rep_times)
    if result is None:
        return jsonify(
            result=None,
            text="The five stands were not finished, so "
            "there is no score this time. You can try again.",
        )
    profile = store.get_profile(get_db())
    n = norms.norm(
        kind,
        result,
        profile["age_band"] if profile else None,
        profile["sex"] if profile else None,
    )
    body = request.get_json(silent=True, force=True) or {}
    sid = body.get("session_id") or None
    if sid is not None and store.get_session(get_db(), str(sid)) is None:
        sid = None
    get_writer().call(
        lambda c: progress_store.add_test(c, kind, result, norms.UNITS[kind], n, sid)
    )
    current_app.extensions["escape_home.remote"].upload_soon()
    return jsonify(result=result, norm=n, text=norms.describe(kind, result, n))
