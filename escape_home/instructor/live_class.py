"""A class led live (issue 12 item 4): the instructor starts a class from the live
board and moves everyone from station to station; each participant's app asks
``GET /api/class`` (message ``class``, data/messages/class.v1.schema.json) about three
times a second and follows.

A class run goes ``gathering`` (started: each app plays its own topic and warm-up)
-> ``station`` 0, 1, ... (everyone does ``stations[station]`` with their own level and
targets), with ``rest`` between stations as the instructor chooses -> ``ended``. Every
move adds one to ``seq``; a new run of the same cohort carries on from the last
run's ``seq``, so an app never sees it go back. An ended class is reported as ended
for `ENDED_SHOWN_S`, then as ``none``. A class left on and not moved for
`ABANDONED_S` counts as over (nobody is left exercising in it).

Phase names are read from the schema (`escape_home.messages`); what is sent is
validated with ``messages.validate("class", ...)`` before it goes, as the app
validates what it gets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select

from escape_home import messages
from escape_home.instructor import db
from escape_home.instructor.models import (
    ClassRun,
    Cohort,
    Instructor,
    LiveStatus,
    Participant,
    utcnow,
)
from escape_home.instructor.text import clean_name
from escape_home.participant.programme import Programme, load_programme

ENDED_SHOWN_S = 600
"""An ended class is reported as ``ended`` this long, then as ``none``."""
ABANDONED_S = 3 * 3600
"""A class not moved for this long is over (the instructor forgot to end it)."""
HERE_S = 30
"""A participant heard from within this long (and not finished or gone) is here."""
SESSIONS = range(1, 13)
"""The programme's session numbers a class may follow."""
LEADER_MAX = 80
"""The longest leader name (the schema's name limit)."""
ACTIONS = ("next", "rest", "end")
"""The moves `move` accepts."""
SHOWN_MAX = int(messages.schema("class")["properties"]["shown"]["maxItems"])
GONE = (messages.FINISHED, messages.LEFT)


@cache
def _programme() -> Programme:
    """The packaged programme, read once (the live board asks for names every
    second; reading and checking the file each time was wasted work)."""
    return load_programme()


class ClassError(ValueError):
    """A start or move that cannot be done; the text says why in plain words."""


@dataclass(frozen=True)
class Run:
    """A class run as read (not a database row: safe after the session closes)."""

    id: int
    cohort_id: int
    leader: str
    number: int
    stations: list[str]
    phase: str
    station: int | None
    seq: int
    started_at: datetime
    changed_at: datetime
    ended_at: datetime | None

    @property
    def live(self) -> bool:
        return self.phase in messages.LIVE_PHASES

    @property
    def exercise(self) -> str | None:
        """The station's exercise while at a station, else None."""
        if self.phase == messages.STATION and self.station is not None:
            return self.stations[self.station]
        return None

    @property
    def next_index(self) -> int | None:
        """The station "Next" goes to, or None after the last."""
        if self.phase not in messages.LIVE_PHASES:
            return None
        index = 0 if self.station is None else self.station + 1
        return index if index < len(self.stations) else None

    @property
    def next_exercise(self) -> str | None:
        i = self.next_index
        return None if i is None else self.stations[i]


def _run(row: ClassRun) -> Run:
    return Run(
        id=row.id,
        cohort_id=row.cohort_id,
        leader=row.leader,
        number=row.number,
        stations=list(json.loads(row.stations)),
        phase=row.phase,
        station=row.station,
        seq=row.seq,
        started_at=row.started_at,
        changed_at=row.changed_at,
        ended_at=row.ended_at,
    )


def _latest_row(s: Any, cohort_id: int, *, lock: bool = False) -> ClassRun | None:
    query = (
        select(ClassRun)
        .where(ClassRun.cohort_id == cohort_id)
        .order_by(ClassRun.id.desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update()
    row: ClassRun | None = s.scalar(query)
    return row


def _abandoned(row: ClassRun, now: datetime) -> bool:
    return row.phase in messages.LIVE_PHASES and (now - row.changed_at) > timedelta(
        seconds=ABANDONED_S
    )


def _reported(row: ClassRun | None, now: datetime) -> Run | None:
    """The run to report at `now`: live, or ended within `ENDED_SHOWN_S`."""
    if row is None or _abandoned(row, now):
        return None
    if row.phase == messages.ENDED:
        ended = row.ended_at or row.changed_at
        if (now - ended) > timedelta(seconds=ENDED_SHOWN_S):
            return None
    return _run(row)


def current(cohort: Cohort | int) -> Run | None:
    """The cohort's class run as participants see it now (None: no class)."""
    cohort_id = cohort if isinstance(cohort, int) else cohort.id
    return _reported(_latest_row(db.session(), cohort_id), utcnow())


def stations_of(number: int) -> list[str]:
    """The circuit of the programme's session `number`: the class's stations."""
    return list(_programme().session(number)["circuit"])


def default_number(cohort: Cohort) -> int:
    """1 + the session number of the cohort's last class run (at most 12), or 1."""
    last = db.session().scalar(
        select(ClassRun.number)
        .where(ClassRun.cohort_id == cohort.id)
        .order_by(ClassRun.id.desc())
        .limit(1)
    )
    return 1 if last is None else min(int(last) + 1, SESSIONS[-1])


def default_leader(instructor: Instructor) -> str:
    """The instructor's username with a capital first letter, as participants see it."""
    name = clean_name(instructor.username)[:LEADER_MAX]
    return (name[:1].upper() + name[1:]) if name else "Your instructor"


def parse_number(text: str | None) -> int:
    """The session number typed or chosen; ClassError in plain words otherwise."""
    try:
        number = int((text or "").strip())
    except ValueError:
        raise ClassError("Session number: choose a session from 1 to 12.") from None
    if number not in SESSIONS:
        raise ClassError(f"Session number: {number} is not a session; choose 1 to 12.")
    return number


def clean_leader(leader: str | None) -> str:
    """The leader's name cleaned like a name; ClassError if empty or too long."""
    name = clean_name(leader)
    if not name:
        raise ClassError("Your name as participants see it: type a name.")
    if len(name) > LEADER_MAX:
        raise ClassError(
            f"Your name as participants see it: keep it to {LEADER_MAX} characters "
            f"(this one has {len(name)})."
        )
    return name


def start(cohort: Cohort, leader: str, number: int) -> Run:
    """Start a class run of session `number` led by `leader` (cleaned like a name).

    Raises:
        ClassError: a class is already on, the name is too long or empty, or the
            session number is not one of the programme's.
    """
    name = clean_leader(leader)
    if number not in SESSIONS:
        raise ClassError(f"Session number: {number} is not a session; choose 1 to 12.")
    stations = stations_of(number)
    now = utcnow()
    with db.writing() as s:
        # The cohort's row lock (PostgreSQL) lets one start at a time; on SQLite the
        # write lock already does.
        s.scalar(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())
        last = _latest_row(s, cohort.id, lock=True)
        if last is not None and last.phase in messages.LIVE_PHASES:
            if not _abandoned(last, now):
                raise ClassError(
                    f"A class is already on ({describe(_run(last))}). "
                    "End it before starting another."
                )
            last.phase, last.ended_at = messages.ENDED, now  # left on: over now
        row = ClassRun(
            cohort_id=cohort.id,
            leader=name,
            number=number,
            stations=json.dumps(stations),
            phase=messages.GATHERING,
            station=None,
            seq=(last.seq if last is not None else 0) + 1,
            started_at=now,
            changed_at=now,
            ended_at=None,
        )
        s.add(row)
        s.flush()
        return _run(row)


def move(cohort: Cohort, action: str, *, seq: int | None = None) -> Run:
    """Move the cohort's class on: ``next`` (the next station), ``rest`` or ``end``.

    `seq`, when given, is the ``seq`` the instructor's page showed: a move made from
    an out-of-date page (a second click, another tab) is refused rather than moving
    the class on twice.

    Raises:
        ClassError: no class is on, the page was out of date, or the move is not
            possible from here (next after the last station, rest while resting).
    """
    if action not in ACTIONS:
        raise ClassError("Choose Next station, Rest or End the class.")
    now = utcnow()
    with db.writing() as s:
        row = _latest_row(s, cohort.id, lock=True)
        if row is None or row.phase not in messages.LIVE_PHASES or _abandoned(row, now):
            raise ClassError("No class is on now: start one first.")
        run = _run(row)
        if seq is not None and seq != row.seq:
            raise ClassError(
                f"The class had already moved on: it is now at {describe(run)}. "
                "Nothing was changed; choose again."
            )
        if action == "next":
            index = run.next_index
            if index is None:
                raise ClassError("That was the last station: rest, or end the class.")
            row.phase, row.station = messages.STATION, index
        elif action == "rest":
            if row.phase != messages.STATION:
                raise ClassError(
                    "Rest comes after a station: start a station first."
                    if row.phase == messages.GATHERING
                    else "The class is already resting."
                )
            row.phase = messages.REST
        else:
            row.phase, row.ended_at = messages.ENDED, now
        row.seq += 1
        row.changed_at = now
        s.flush()
        return _run(row)


def exercise_name(ex_id: str | None) -> str:
    """The exercise as the programme names it (``squat`` -> ``Mini squat``)."""
    if ex_id is None:
        return ""
    exercise = _programme().exercises.get(ex_id)
    return str(exercise["name"]) if exercise else ex_id.replace("_", " ").capitalize()


def describe(run: Run | None) -> str:
    """Where the class is, in plain words: ``Station 2 of 4: Mini squat``."""
    if run is None:
        return "No class is on."
    n = len(run.stations)
    if run.phase == messages.GATHERING:
        return "Gathering: participants are doing their warm-up"
    if run.phase == messages.STATION and run.station is not None:
        return f"Station {run.station + 1} of {n}: {exercise_name(run.exercise)}"
    if run.phase == messages.REST:
        after = run.next_exercise
        return (
            f"Rest. Next: {exercise_name(after)}"
            if after
            else "Rest. Last station done"
        )
    return "The class has ended"


def buttons(run: Run | None) -> list[dict[str, str]]:
    """The moves the live board offers now, with their labels (``action``,
    ``label``), in the order shown; End is last and asks to confirm."""
    if run is None or not run.live:
        return []
    found: list[dict[str, str]] = []
    after = run.next_exercise
    if after is not None:
        first = run.station is None
        label = "First station" if first else "Next station"
        found.append({"action": "next", "label": f"{label}: {exercise_name(after)}"})
    if run.phase == messages.STATION:
        found.append({"action": "rest", "label": "Rest"})
    found.append({"action": "end", "label": "End the class"})
    return found


def board_view(run: Run | None) -> dict[str, Any] | None:
    """The run for the instructor's live board (live.json's ``class`` key)."""
    if run is None:
        return None
    return {
        "class_id": run.id,
        "phase": run.phase,
        "live": run.live,
        "leader": run.leader,
        "number": run.number,
        "stations": run.stations,
        "station_names": [exercise_name(ex) for ex in run.stations],
        "station": run.station,
        "exercise": run.exercise,
        "next_exercise": run.next_exercise,
        "seq": run.seq,
        "started_at": run.started_at.timestamp(),
        "changed_at": run.changed_at.timestamp(),
        "text": describe(run),
        "buttons": buttons(run),
    }


def message_for(participant: Participant) -> dict[str, Any]:
    """Message ``class`` for `participant`'s app, validated before it is sent.

    ``others`` counts the cohort's other participants heard from since the class
    started and within `HERE_S`, whose session is not over; ``shown`` lists those of
    them who chose to share (nickname, reps, exercise). The asker is never in either.
    """
    now = utcnow()
    s = db.session()
    row = _latest_row(s, participant.cohort_id)
    run = _reported(row, now)
    if run is None:
        seq = row.seq if row is not None else 0
        none = {"phase": messages.NO_CLASS, "seq": seq, "server_time": now.timestamp()}
        return messages.validate("class", messages.with_defaults("class", none))
    since = max(run.started_at, now - timedelta(seconds=HERE_S))
    here = s.execute(
        select(
            LiveStatus.share, LiveStatus.reps, LiveStatus.exercise, Participant.nickname
        )
        .join(Participant, Participant.id == LiveStatus.participant_id)
        .where(
            LiveStatus.cohort_id == participant.cohort_id,
            LiveStatus.updated_at >= since,
            LiveStatus.state.not_in(GONE),
            LiveStatus.participant_id != participant.id,
        )
        .order_by(Participant.nickname)
    ).all()
    shown: list[dict[str, Any]] = []
    for share, reps, exercise, nickname in here:
        name = clean_name(nickname)[:LEADER_MAX]  # names are cleaned on the way in
        if share and name and len(shown) < SHOWN_MAX:
            shown.append(
                {
                    "nickname": name,
                    "reps": min(max(reps, 0), 10000),
                    "exercise": exercise,
                }
            )
    body = {
        "phase": run.phase,
        "seq": run.seq,
        "server_time": now.timestamp(),
        "class_id": run.id,
        "leader": run.leader,
        "stations": run.stations,
        "station": run.station,
        "exercise": run.exercise,
        "next_exercise": run.next_exercise,
        "changed_at": run.changed_at.timestamp(),
        "others": len(here),
        "shown": shown,
    }
    return messages.validate("class", body)
