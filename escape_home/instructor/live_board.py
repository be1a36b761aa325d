"""The live class board's data: the current class's cards and who is not here yet.

A card is the latest live update of one participant (`LiveStatus`). The board shows
the *current* class only: updates from today (in ``DISPLAY_TIMEZONE``) and within
``LIVE_WINDOW_S`` (default an hour, about one class). A card from an earlier class
(yesterday's, or a session done alone this morning) is left off, and its participant
is listed among those not here yet, like everyone enrolled who has not joined.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from escape_home.instructor import db, live_class
from escape_home.instructor.models import Cohort, LiveStatus, Participant, Token, utcnow


def class_since(now: datetime) -> datetime:
    """The earliest update that belongs to the current class (UTC)."""
    zone = ZoneInfo(str(current_app.config["DISPLAY_TIMEZONE"]))
    midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    window = now - timedelta(seconds=int(current_app.config["LIVE_WINDOW_S"]))
    return max(window, midnight)


def board(cohort: Cohort) -> dict[str, Any]:
    """live.json: ``participants`` (cards of the current class, by name),
    ``waiting`` (enrolled, not in the current class yet) and ``class`` (the class
    led live, `live_class.board_view`, or null)."""
    now = utcnow()
    since = class_since(now)
    s = db.session()
    rows = s.execute(
        select(LiveStatus, Participant.nickname, Participant.public_id)
        .join(Participant, Participant.id == LiveStatus.participant_id)
        .where(LiveStatus.cohort_id == cohort.id, LiveStatus.updated_at >= since)
        .order_by(Participant.nickname)
    ).all()
    here = {pid for _, _, pid in rows}
    linked = set(
        s.scalars(
            select(Participant.public_id)
            .join(Token, Token.participant_id == Participant.id)
            .where(Participant.cohort_id == cohort.id, Token.revoked_at.is_(None))
        )
    )
    enrolled = s.execute(
        select(Participant.public_id, Participant.nickname)
        .where(Participant.cohort_id == cohort.id)
        .order_by(Participant.nickname)
    ).all()
    return {
        "server_time": now.timestamp(),
        "class_since": since.timestamp(),
        "class": live_class.board_view(live_class.current(cohort)),
        "participants": [
            {
                "id": pid,
                "nickname": nick,
                "exercise": row.exercise,
                "reps": row.reps,
                "cue": row.cue,
                "state": row.state,
                "share": row.share,
                "client_ts": row.client_ts,
                "updated_at": row.updated_at.timestamp(),
                "seen_s_ago": round((now - row.updated_at).total_seconds(), 1),
            }
            for row, nick, pid in rows
        ],
        "waiting": [
            {"id": pid, "nickname": nick, "app_linked": pid in linked}
            for pid, nick in enrolled
            if pid not in here
        ],
    }


_SPOKEN = {
    str(d): w
    for d, w in enumerate("zero one two three four five six seven eight nine".split())
}


def spell_code(code: str) -> str:
    """The class code as it is read out: ``K7QM-3XPA`` is "K, seven, Q, M, then
    three, X, P, A" (the code has no 0, O, 1 or I to mix up)."""
    groups = code.split("-")
    said = [", ".join(_SPOKEN.get(ch, ch) for ch in g) for g in groups]
    return ", then ".join(said)
