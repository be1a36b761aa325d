"""Movement replays on the instructor's side (issue 12 item 3).

A participant who agreed sends, per exercise and session, the landmark track of one
flagged and one good rep (escape_home/replay.py). This page replays them as stick
figures at real speed, the flagged rep beside the good one, with the fault's joints
drawn and the measured value against its threshold. The tracks arrive inside the
session JSON the server already keeps, so they need no table of their own; a log
sent after consent was withdrawn carries none, and replaces them.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, render_template
from flask_login import login_required

from escape_home import progress_log
from escape_home.errors import EscapeHomeError, InvalidProgressLog
from escape_home.exercises import get_exercise
from escape_home.instructor.models import Participant
from escape_home.instructor.security import owned_participant
from escape_home.replay import EDGES

bp = Blueprint("replay", __name__)

_UNITS = {"deg": "°", "s": " s"}


def _name(exercise: str) -> str:
    try:
        return get_exercise(exercise).name
    except EscapeHomeError:
        return exercise.replace("_", " ")


def _measured(fault: dict[str, Any]) -> str:
    """ "52° (the limit is 45°)" in the fault's own unit."""
    unit = _UNITS.get(fault["unit"], f" {fault['unit']}" if fault["unit"] else "")
    word = "more than" if fault["op"] == ">" else "less than"
    return (
        f"measured {fault['value']:g}{unit}; a fault is {word} "
        f"{fault['threshold']:g}{unit}"
    )


def _drawable(r: dict[str, Any]) -> bool:
    """A replay the page can draw: one stored before the server checked a replay's
    shape (frames that do not match its joints, say) is left out, not played."""
    try:
        progress_log.check_replays("replay", [r])
    except (InvalidProgressLog, KeyError, TypeError):
        return False
    return True


def replays_of(p: Participant) -> list[dict[str, Any]]:
    """Per session (newest first) and exercise: the flagged and the good replay."""
    out: list[dict[str, Any]] = []
    for rec in sorted(p.sessions, key=lambda s: (s.started_at, s.number), reverse=True):
        kept = json.loads(rec.data).get("replays") or []
        by_ex: dict[str, dict[str, Any]] = {}
        for r in kept:
            if not _drawable(r):
                continue
            entry = by_ex.setdefault(
                r["exercise"], {"exercise": r["exercise"], "name": _name(r["exercise"])}
            )
            if r.get("fault"):
                r = {**r, "measured": _measured(r["fault"])}
            entry[r["kind"]] = r
        if by_ex:
            out.append(
                {
                    "session": rec.number,
                    "uuid": rec.uuid,
                    "started_at": rec.started_at,
                    "exercises": list(by_ex.values()),
                }
            )
    return out


@bp.get("/participants/<public_id>/movement")
@login_required
def movement(public_id: str) -> Any:
    p = owned_participant(public_id)
    return render_template("instructor/replays.html", p=p, sessions=replays_of(p))


@bp.get("/participants/<public_id>/movement.json")
@login_required
def movement_json(public_id: str) -> Any:
    p = owned_participant(public_id)
    sessions = [{**s, "started_at": s["started_at"].isoformat()} for s in replays_of(p)]
    return jsonify(edges=EDGES, sessions=sessions)
