"""Keep the participant's upload token in the platform's keyring when there is one.

The token lets whoever holds it upload as the participant. Where the platform offers
a keyring (macOS Keychain, Windows Credential Locker, the Secret Service of a Linux
desktop), the token goes there and the database keeps only a marker naming the
keyring entry. Where there is none (a headless machine, a bare container) or it
fails, the token stays in the database, which is created 0600 in a 0700 folder.
``ESCAPE_HOME_KEYRING=0`` keeps it in the database always.

`store.get_setting` and `store.set_setting` call this for the ``token`` key only,
so no other code changes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from typing import Any

SERVICE = "escape-home"
MARK = "keyring:"
KEY = "token"

log = logging.getLogger(__name__)
_lock = threading.Lock()
_backend: Any = None
_checked = False
_cache: dict[str, str] = {}


def backend() -> Any:
    """The keyring backend in use, or None (none recommended, disabled, or the
    `keyring` package missing). Looked up once per process."""
    global _backend, _checked
    with _lock:
        if not _checked:
            _checked = True
            _backend = None
            if os.environ.get("ESCAPE_HOME_KEYRING", "1") not in ("0", "no", "false"):
                try:
                    import keyring
                    from keyring.backends import fail

                    found = keyring.get_keyring()
                    if not isinstance(found, fail.Keyring) and found.priority > 0:
                        _backend = found
                except Exception as exc:  # no package, a broken D-Bus...
                    log.info("no keyring: %s", exc)
        return _backend


def reset() -> None:
    """Look the backend up again (tests, or after ESCAPE_HOME_KEYRING changes)."""
    global _checked
    with _lock:
        _checked = False
        _cache.clear()


def _account(conn: sqlite3.Connection) -> str:
    """One keyring entry per app database (its file path), so two copies of the
    app on one account do not share a token."""
    row = conn.execute("PRAGMA database_list").fetchone()
    where = str(row[2]) if row else ""
    return "upload-token-" + hashlib.sha256(where.encode()).hexdigest()[:16]


def stored_value(conn: sqlite3.Connection, token: str) -> str:
    """What the database keeps for `token`: a marker if the keyring took it."""
    kr = backend()
    if kr is None:
        return token
    account = _account(conn)
    try:
        kr.set_password(SERVICE, account, token)
    except Exception as exc:
        log.warning("keyring refused the token, keeping it in the database: %s", exc)
        return token
    with _lock:
        _cache[account] = token
    return MARK + account


def read(value: str | None) -> str | None:
    """The token from what the database holds (a marker or the token itself)."""
    if value is None or not value.startswith(MARK):
        return value
    account = value.removeprefix(MARK)
    with _lock:
        if account in _cache:
            return _cache[account]
    kr = backend()
    token = None
    if kr is not None:
        try:
            token = kr.get_password(SERVICE, account)
        except Exception as exc:
            log.warning("keyring did not answer: %s", exc)
    if token is not None:
        with _lock:
            _cache[account] = token
    return token


def forget(value: str | None) -> None:
    """Remove the keyring entry a marker names (when the app is unlinked)."""
    if value is None or not value.startswith(MARK):
        return
    account = value.removeprefix(MARK)
    with _lock:
        _cache.pop(account, None)
    kr = backend()
    if kr is not None:
        try:
            kr.delete_password(SERVICE, account)
        except Exception as exc:
            log.info("keyring entry already gone: %s", exc)
