"""A class led live in the app (issue 12 item 4): the app's own ``GET /api/class``,
the session joined to a class, and Home's "Your class is on now" card.

The instructor's server is asked by `remote.RemoteClient.classes` (a
`ClassFollower`), only while a page looks: each ask of ``/api/class`` here counts as
looking. Someone exercising alone, or not linked, sees nothing of this: the answer
is then ``{"class": null, ...}`` and Home shows no card.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

from flask import Blueprint, current_app, jsonify, url_for
from werkzeug.wrappers import Response

from escape_home import messages
from escape_home.participant import remote, store
from escape_home.participant.class_follow import ClassFollower
from escape_home.participant.db import get_db

bp = Blueprint("classes", __name__)

ASK_WAIT_S = 2.0
"""How long a page waits for the server's answer to an ask of its own (`ask_now`);
a slower server's answer comes in later, on the follower's thread."""


def follower() -> ClassFollower:
    client: remote.RemoteClient = current_app.extensions["escape_home.remote"]
    return client.classes


def ask_now(wait_s: float = ASK_WAIT_S) -> None:
    """Ask the server where the class is now, waiting `wait_s` at most: a slow
    server must not hold the page up (its answer is kept when it comes)."""
    asking = threading.Thread(
        target=follower().poll_once, name="class-ask", daemon=True
    )
    asking.start()
    asking.join(wait_s)


def joined(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The session last joined to a class ({"sid", "class_id", "stations",
    "leader"}), or None; a setting that cannot be read counts as none."""
    raw = store.get_setting(conn, remote.CLASS_SESSION)
    if raw is None:
        return None
    try:
        found = json.loads(raw)
    except ValueError:
        return None
    if (
        not isinstance(found, dict)
        or not isinstance(found.get("sid"), str)
        or not isinstance(found.get("class_id"), int)
        or not isinstance(found.get("stations"), list)
        or not all(isinstance(x, str) for x in found["stations"])
    ):
        return None
    leader = found.get("leader")
    found["leader"] = leader if isinstance(leader, str) else None
    return found


def class_of(conn: sqlite3.Connection, sid: str) -> dict[str, Any] | None:
    """The class session `sid` joined, if it is the class session."""
    found = joined(conn)
    return found if found is not None and found["sid"] == sid else None


def join(conn: sqlite3.Connection, sid: str, message: dict[str, Any]) -> None:
    """Session `sid` follows the class of `message` (a live class message)."""
    store.set_setting(
        conn,
        remote.CLASS_SESSION,
        json.dumps(
            {
                "sid": sid,
                "class_id": message["class_id"],
                "stations": list(message["stations"]),
                "leader": message["leader"],
            }
        ),
    )


def live_message(class_id: str | None = None) -> dict[str, Any] | None:
    """The class on now (phase gathering, station or rest), as last heard; with
    `class_id`, only if it is that class."""
    view = follower().latest()
    if view is None or not view.live:
        return None
    if class_id is not None and str(view.message.get("class_id")) != class_id:
        return None
    return view.message


def open_session(conn: sqlite3.Connection, message: dict[str, Any]) -> str | None:
    """The session already joined to this class, if it can be carried on."""
    found = joined(conn)
    if found is None or found["class_id"] != message.get("class_id"):
        return None
    row = store.get_session(conn, found["sid"])
    if row is None:
        return None
    if row["status"] == "in_progress" or (
        row["status"] == "interrupted" and row["ended_at"] is None
    ):
        return str(row["id"])
    return None


def others_text(message: dict[str, Any]) -> str:
    """ "Class with Alice: 7 others here" (the words the page shows and says)."""
    n = int(message.get("others") or 0)
    here = (
        "no one else here yet"
        if n == 0
        else "1 other here"
        if n == 1
        else f"{n} others here"
    )
    leader = message.get("leader")
    return f"Class with {leader}: {here}" if leader else f"Class: {here}"


def home_card() -> dict[str, Any] | None:
    """What Home's class card shows, or None (no class on, or not linked)."""
    follower().touch()
    message = live_message()
    if message is None or not follower().fresh():
        return None
    sid = open_session(get_db(), message)
    return {
        "line": others_text(message),
        "class_id": message["class_id"],
        "session": sid,
        "join": url_for("setup.safety", **{"class": message["class_id"]}),
        "back": url_for("session.play", sid=sid) if sid else None,
    }


@bp.get("/api/class")
def api_class() -> Response:
    """The class as last heard from the instructor's server: {"class": message or
    null, "fresh": heard within `class_follow.FRESH_S`, "session": the session
    joined to it, if open, or null}; also Home's words for it ("line")."""
    classes = follower()
    classes.touch()
    view = classes.latest()
    message = view.message if view is not None else None
    session = None
    if message is not None and message["phase"] != messages.NO_CLASS:
        session = open_session(get_db(), message)
    return jsonify(
        {
            "class": message,
            "fresh": classes.fresh(),
            "session": session,
            "line": others_text(message) if message is not None else None,
        }
    )
