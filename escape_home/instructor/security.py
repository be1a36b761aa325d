"""Passwords, tokens, enrolment codes, ownership checks and security headers."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, current_app, request, session
from flask_login import current_user
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from escape_home.instructor import db
from escape_home.instructor.models import (
    Cohort,
    Instructor,
    LoginSession,
    Participant,
    Token,
    utcnow,
)

# Unambiguous letters and digits only: people read codes aloud over a video call.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_MIN_PASSWORD = 10

# No inline script or style anywhere, so the policy needs no 'unsafe-inline'.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def hash_password(password: str) -> str:
    """Hash with scrypt (werkzeug's current default: n=2^15, r=8, p=1)."""
    if len(password) < _MIN_PASSWORD:
        raise ValueError(f"a password needs at least {_MIN_PASSWORD} characters")
    return generate_password_hash(password, method="scrypt")


def check_password(stored: str, password: str) -> bool:
    """Constant-time check of `password` against a stored hash."""
    return check_password_hash(stored, password)


def find_instructor(username: str) -> Instructor | None:
    """The account a typed username names, matched case-insensitively (``Alice``
    and ``alice`` are one account: `create-user` refuses the second). If an older
    database holds two names differing only in case, only the exact one matches."""
    name = username.strip()
    if not name or len(name) > 80:
        return None
    found = (
        db.session()
        .scalars(
            select(Instructor).where(func.lower(Instructor.username) == name.lower())
        )
        .all()
    )
    if len(found) == 1:
        return found[0]
    return next((u for u in found if u.username == name), None)


def local_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (``/cohorts/3?x=1``), else None.

    Refused: absolute and scheme-relative URLs (``https://evil``, ``//evil``),
    backslashes (browsers read ``/\\evil`` as ``//evil``), control characters and
    anything not starting with a single ``/``.
    """
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def new_token() -> tuple[str, str]:
    """Return (token, sha256 hex): 256 random bits; only the hash is stored."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """SHA-256 of a token (tokens are random, so no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def new_enrol_code() -> str:
    """An 8-character code such as ``K7QM-3XPA`` (40 bits)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code: str) -> str:
    """Accept codes typed with spaces, lower case or without the dash."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def bearer_participant() -> Participant:
    """The participant whose unrevoked token authorises this request, else 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 200:
        abort(401, description="missing or malformed Authorization: Bearer token")
    row = db.session().scalar(
        select(Token)
        .options(joinedload(Token.participant))  # one query: polled 3 times a second
        .where(Token.token_hash == token_hash(token.strip()))
    )
    if row is None or row.revoked_at is not None:
        abort(401, description="unknown or revoked token: enrol again")
    return row.participant


RELINK_DAYS = 7


def new_relink_code(participant: Participant) -> str:
    """Issue a one-use re-link code for `participant` (valid RELINK_DAYS days); only
    its SHA-256 is kept. A new code replaces any earlier one. The caller commits."""
    code = new_enrol_code()
    participant.relink_code_hash = token_hash(code)
    participant.relink_expires_at = utcnow() + timedelta(days=RELINK_DAYS)
    return code


def relink(participant: Participant) -> None:
    """An app enrolled with `participant`'s re-link code: the code is used up, every
    older token stops working (the lost device), and the new app's own ID is taken
    on its first upload. The caller adds the new token and commits."""
    participant.relink_code_hash = None
    participant.relink_expires_at = None
    revoke_tokens(participant)
    participant.app_uuid = None


def revoke_tokens(participant: Participant) -> int:
    """Revoke every live token of `participant`; returns how many were revoked."""
    n = 0
    for tok in participant.tokens:
        if tok.revoked_at is None:
            tok.revoked_at = utcnow()
            n += 1
    return n


_SESSION_KEY = "_login_session"


def start_login_session(user: Instructor) -> None:
    """Record a new signed-in browser for `user` and put its ID in the cookie.

    Call after `login_user`; the caller commits (inside `db.writing()`).
    """
    token, digest = new_token()
    now = utcnow()
    s = db.session()
    # Old rows of this instructor that can no longer be used are dropped here.
    s.execute(
        delete(LoginSession).where(
            LoginSession.instructor_id == user.id, LoginSession.expires_at < now
        )
    )
    s.add(
        LoginSession(
            instructor_id=user.id,
            token_hash=digest,
            created_at=now,
            expires_at=now + current_app.permanent_session_lifetime,
        )
    )
    session[_SESSION_KEY] = token


def session_user(user_id: str) -> Instructor | None:
    """Flask-Login's user loader: the instructor only while the browser's login
    session is on record, unexpired, unrevoked, and the account is not disabled."""
    token = session.get(_SESSION_KEY)
    if not user_id.isdigit() or not isinstance(token, str) or len(token) > 100:
        return None
    row = db.session().scalar(
        select(LoginSession).where(LoginSession.token_hash == token_hash(token))
    )
    if (
        row is None
        or row.revoked_at is not None
        or row.expires_at <= utcnow()
        or str(row.instructor_id) != user_id
        or not row.instructor.is_active
    ):
        return None
    return row.instructor


def end_login_session() -> None:
    """Revoke this browser's login session (sign-out); the caller commits."""
    token = session.get(_SESSION_KEY)
    if isinstance(token, str):
        db.session().execute(
            update(LoginSession)
            .where(
                LoginSession.token_hash == token_hash(token),
                LoginSession.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )


def end_all_login_sessions(instructor_id: int) -> int:
    """Revoke every login session of an instructor (password change, disabled
    account); returns how many were live. The caller commits."""
    result = db.session().execute(
        update(LoginSession)
        .where(
            LoginSession.instructor_id == instructor_id,
            LoginSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


# Row IDs fit PostgreSQL's INTEGER (SQLite's is 2^63); a larger number in a URL would
# make the database driver raise instead of finding nothing.
MAX_ROW_ID = 2**31 - 1
_NO_CLASS = "There is no class with this number among yours."
_NO_PARTICIPANT = "There is no participant with this ID in your classes."


def _public_id_shape(public_id: str) -> bool:
    return 0 < len(public_id) <= 36 and all(
        ch.isascii() and (ch.isalnum() or ch == "-") for ch in public_id
    )


def owned_cohort(cohort_id: int) -> Cohort:
    """The cohort if the logged-in instructor owns it; 404 otherwise (no leak)."""
    if not 0 < cohort_id <= MAX_ROW_ID:
        abort(404, description=_NO_CLASS)
    cohort = db.session().get(Cohort, cohort_id)
    if cohort is None or cohort.instructor_id != current_user.id:
        abort(404, description=_NO_CLASS)
    return cohort


def owned_participant(public_id: str) -> Participant:
    """The participant if their cohort belongs to the logged-in instructor; else 404."""
    if not _public_id_shape(public_id):  # NUL, surrogates, 5,000 characters...
        abort(404, description=_NO_PARTICIPANT)
    p = db.session().scalar(
        select(Participant).where(Participant.public_id == public_id)
    )
    if p is None or p.cohort.instructor_id != current_user.id:
        abort(404, description=_NO_PARTICIPANT)
    return p


def add_headers(response: Response) -> Response:
    """Security headers on every response; no caching of pages with health data."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:  # behind the trusted HTTPS proxy, or TLS directly
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    return response


def client_key() -> Any:
    """Rate-limit key: the client address (behind the trusted proxy, the address it
    forwarded: set ESCAPE_HOME_TRUSTED_PROXY)."""
    return request.remote_addr or "unknown"


def upload_key() -> str:
    """Rate-limit key for log uploads: the bearer token (as its SHA-256), so one
    device flooding the server uses up its own allowance only, never that of others
    behind the same address. Without a token, the client address."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and 0 < len(token.strip()) <= 200:
        return "token:" + token_hash(token.strip())
    return "address:" + str(client_key())
