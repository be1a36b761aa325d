"""The participant's say over movement replays (issue 12 item 3).

Asked plainly once the computer is linked to an instructor (on Settings, where
linking happens), off until the person says yes, and changeable there at any time.
Saying no deletes the replays kept so far (escape_home/participant/replay_store.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from escape_home.participant import replay_store, store
from escape_home.participant.db import get_db, get_writer

bp = Blueprint("replay", __name__)

ASKED = "share_movement_asked"
"""Setting key: the person has answered the question (yes or no)."""


@bp.app_context_processor
def consent_globals() -> dict[str, Any]:
    def movement_consent() -> dict[str, bool]:
        conn = get_db()
        return {
            "asked": store.get_setting(conn, ASKED) == "1",
            "yes": replay_store.consented(conn),
        }

    return {"movement_consent": movement_consent}


@bp.post("/settings/movement")
def set_movement() -> Response:
    answer = request.form.get("share")
    if answer not in ("yes", "no"):
        flash("Please choose Yes or No.")
        return redirect(url_for("setup.settings") + "#movement-h")
    yes = answer == "yes"

    def save(c: Any) -> None:
        replay_store.set_consent(c, yes)
        store.set_setting(c, ASKED, "1")

    get_writer().call(save)
    if yes:
        flash(
            "Thank you. Your instructor will see stick figures of how you move. "
            "No video or picture is ever sent."
        )
    else:
        flash("No movement replays will be sent. Any kept so far have been deleted.")
        current_app.extensions["escape_home.remote"].upload_soon()
    return redirect(url_for("setup.settings") + "#movement-h")
