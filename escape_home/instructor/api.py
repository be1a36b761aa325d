"""The participant app's API: enrol with a code, upload the log, send live updates.

No cookies are involved (a Bearer token authorises each call), so this blueprint alone
is exempt from CSRF. Every failure is a 4xx with ``{"error": "<what is wrong>"}``.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from escape_home import messages, progress_log
from escape_home.errors import InvalidProgressLog
from escape_home.instructor import db, live_class
from escape_home.instructor.ingest import OverLimit, UploadConflict, store_log
from escape_home.instructor.models import (
    Cohort,
    LiveStatus,
    Participant,
    SessionRecord,
    Token,
    Upload,
    utcnow,
)
from escape_home.instructor.security import (
    bearer_participant,
    new_token,
    normalise_code,
    relink,
    token_hash,
)
from escape_home.instructor.text import clean_name

bp = Blueprint("api", __name__, url_prefix="/api")


def _error(message: str, status: int) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


_MAX_DEPTH = 16  # enrolment and live bodies are flat objects


def _json_body(max_bytes: int = 4096) -> dict[str, Any]:
    if (request.content_length or 0) > max_bytes:
        abort(413, description=f"the body is too large: the limit is {max_bytes} bytes")
    raw = request.get_data(cache=False)
    if len(raw) > max_bytes:
        abort(413, description=f"the body is too large: the limit is {max_bytes} bytes")
    if _too_deep(raw, _MAX_DEPTH):
        # Checked before parsing: json's C parser recurses, and a few thousand
        # brackets would end in RecursionError (a 500).
        abort(400, description=f"the body is nested too deeply (over {_MAX_DEPTH})")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        abort(400, description="the body is not valid UTF-8 JSON")
    if not isinstance(body, dict):
        abort(400, description="the body must be a JSON object")
    return body


def _too_deep(raw: bytes, limit: int) -> bool:
    """True if brackets outside strings nest more than `limit` deep."""
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def _message(name: str) -> dict[str, Any]:
    """The request body checked against message `name` (data/messages): a 400 naming
    the field otherwise."""
    try:
        return messages.validate(name, _json_body())
    except messages.InvalidMessage as exc:
        abort(400, description=str(exc))


def _no_constant(name: str) -> Any:
    raise ValueError(name)


@bp.route("/enrol", methods=["POST"])
def enrol() -> Any:
    body = _message("enrol")
    code, nickname = body["code"], body["nickname"]
    # Bidi overrides and invisible characters removed, control characters and
    # line breaks made spaces: a name cannot change how the text beside it shows.
    nickname = clean_name(nickname)
    if not nickname or len(nickname) > 60:
        return _error("nickname: give a name of 1 to 60 characters", 400)
    token, digest = new_token()
    with db.writing() as s:
        cohort = s.scalar(
            select(Cohort).where(Cohort.enrol_code == normalise_code(code))
        )
        if cohort is None:
            # A re-link code: this app becomes the device of an existing participant.
            known = s.scalar(
                select(Participant).where(
                    Participant.relink_code_hash == token_hash(normalise_code(code))
                )
            )
            if known is None or (
                known.relink_expires_at is not None
                and known.relink_expires_at <= utcnow()
            ):
                return _error("code: no class has this enrolment code", 404)
            relink(known)
            s.add(Token(participant_id=known.id, token_hash=digest))
            return jsonify(participant_id=known.public_id, token=token), 201
        p = Participant(
            public_id=progress_log.new_id(),
            cohort_id=cohort.id,
            nickname=nickname,
        )
        s.add(p)
        s.flush()
        s.add(Token(participant_id=p.id, token_hash=digest))
        public_id = p.public_id
    return jsonify(participant_id=public_id, token=token), 201


@bp.route("/logs", methods=["POST"])
def upload_log() -> Any:
    limit = current_app.config["MAX_LOG_BYTES"]
    if (request.content_length or 0) > limit:
        abort(413)
    participant = bearer_participant()
    raw = request.get_data(cache=False)
    if _same_as_last_upload(participant.id, raw):
        # An app retrying a send that did arrive: nothing to parse or write.
        n = db.session().scalar(
            select(func.count())
            .select_from(SessionRecord)
            .where(SessionRecord.participant_id == participant.id)
        )
        return jsonify(
            sessions_new=0,
            sessions_updated=0,
            sessions_unchanged=n,
            sessions_stale=0,
            tests_new=0,
        ), 200
    # Validation is CPU-bound and Python runs one thread at a time: letting every
    # server thread validate at once only makes live updates and pages wait.
    with current_app.extensions["escape_home_upload_slots"]:
        try:
            log = progress_log.parse(raw, max_bytes=limit)
        except progress_log.LogTooLarge:
            abort(413)
        except progress_log.MalformedLog as exc:
            return _error(str(exc), 400)
        except InvalidProgressLog as exc:
            return _error(str(exc), 422)
        try:
            summary = _store(participant.id, log, raw)
        except UploadConflict as exc:
            return _error(str(exc), 409)
        except OverLimit as exc:  # sessions or tests beyond what one person makes
            return _error(str(exc), 422)
    status = 201 if summary["sessions_new"] else 200
    return jsonify(summary), status


def _same_as_last_upload(participant_id: int, raw: bytes) -> bool:
    last = db.session().scalar(
        select(Upload.sha256)
        .where(Upload.participant_id == participant_id)
        .order_by(Upload.id.desc())
        .limit(1)
    )
    return last is not None and last == hashlib.sha256(raw).hexdigest()


def _store(pid: int, log: dict[str, Any], raw: bytes) -> dict[str, int]:
    for attempt in range(3):
        try:
            with db.writing() as s:
                # Row lock: two uploads for one participant run one after the other.
                p = s.scalar(
                    select(Participant).where(Participant.id == pid).with_for_update()
                )
                if p is None:  # pragma: no cover - deleted between calls
                    abort(401)
                return store_log(s, p, log, raw=raw, via="api")
        except (IntegrityError, OperationalError):
            # A concurrent upload inserted the same session first (PostgreSQL), or
            # the database was briefly busy: the retry sees its rows and updates.
            if attempt == 2:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _live_fields(body: dict[str, Any]) -> dict[str, Any]:
    """A checked live update (schema data/messages/live) as LiveStatus columns."""
    fields = messages.with_defaults("live", body)
    cue, ts = fields.pop("cue"), fields.pop("ts")
    # Shown beside the name on the live board: cleaned like a name.
    fields["cue"] = (clean_name(cue) or None) if isinstance(cue, str) else None
    fields["client_ts"] = None if ts is None else float(ts)
    return fields


@bp.route("/live", methods=["POST"])
def live() -> Any:
    participant = bearer_participant()
    fields = _live_fields(_message("live"))
    pid, cohort_id = participant.id, participant.cohort_id
    for attempt in (0, 1):
        try:
            with db.writing() as s:
                row = s.get(LiveStatus, pid)
                if row is None:
                    row = LiveStatus(participant_id=pid, cohort_id=cohort_id)
                    s.add(row)
                if fields["cue"] is None and fields["exercise"] == row.exercise:
                    # Keep the latest cue on the board until the exercise changes.
                    fields["cue"] = row.cue
                for key, value in fields.items():
                    setattr(row, key, value)
                row.updated_at = utcnow()
            break
        except IntegrityError:
            # Two first updates raced to create the row: the retry updates it.
            if attempt:
                raise
    return "", 204


@bp.route("/class", methods=["GET"])
def get_class() -> Any:
    """The class led live as this participant's app sees it (message ``class``):
    200 whether or not a class is on. Asked about three times a second by each app
    of a class, so it reads little: the token with its participant, the cohort's
    latest run, and (while a class is on) who else is here."""
    response = jsonify(live_class.message_for(bearer_participant()))
    response.headers["Cache-Control"] = "no-store"
    return response
