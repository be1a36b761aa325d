"""The progress-log database: connections, migrations and the single writer thread.

Requests read through a per-request connection (`get_db`). Every write, from a
request or from the live worker, goes through one `Writer` thread that owns the only
write connection, so SQLite never sees two writers and the frame loop never waits
on the disk. Each job is its own transaction: a crash loses at most the job that was
running (in practice, the rep in progress).
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, g

from escape_home.errors import EscapeHomeError

log = logging.getLogger(__name__)

T = TypeVar("T")
WriteFn = Callable[[sqlite3.Connection], Any]


class StorageError(EscapeHomeError):
    """The progress log cannot be opened or written (message is for the person)."""


def now_iso() -> str:
    """Return the current UTC time as an ISO 8601 string (seconds precision)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def plain_storage_message(exc: sqlite3.Error, path: str) -> str:
    """Turn an SQLite error into a sentence a person can act on."""
    text = str(exc).lower()
    if "full" in text:
        return (
            "Your computer's disk is full, so new progress cannot be saved. "
            "What you have done so far is kept. Free some space and it will "
            "carry on saving by itself."
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return (
            f"Your progress cannot be saved because the file {path} cannot be "
            "written. Ask someone to check the folder is writable."
        )
    return f"Your progress could not be saved ({exc}). What you did so far is kept."


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the database with the settings every connection needs."""
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, timeout=10, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _migrations() -> list[tuple[int, str]]:
    files = resources.files("escape_home.participant").joinpath("migrations")
    found = []
    for entry in files.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; return the schema version now in use.

    Each numbered file in ``migrations/`` runs once, in one transaction together with
    the `PRAGMA user_version` bump, so a crash mid-migration leaves the old schema.
    """
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for version, sql in _migrations():
        if version <= current:
            continue
        conn.executescript(
            f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
        )
        current = version
    return current


def open_database(path: str) -> None:
    """Create the folder and file if needed, switch to WAL and run migrations.

    Raises:
        StorageError: The file or its folder cannot be created or written.
    """
    try:
        folder = Path(path).parent
        if not folder.exists():  # a new folder: this user only
            folder.mkdir(mode=0o700, parents=True)
            os.chmod(folder, 0o700)
        if not Path(path).exists():  # 0600 before SQLite makes it (and its -wal/-shm)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        conn = connect(path)
        try:
            # WAL lets pages read while the writer writes; NORMAL sync is safe
            # against an application crash (only a power cut can lose the last txn).
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn)
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(plain_storage_message_any(exc, path)) from exc


def plain_storage_message_any(exc: BaseException, path: str) -> str:
    """Like `plain_storage_message` for OS errors too."""
    if isinstance(exc, sqlite3.Error):
        return plain_storage_message(exc, path)
    return (
        f"Your progress file {path} cannot be created or written ({exc}). "
        "Choose another place with --database, or ask someone to check the folder."
    )


_RETRYABLE = (
    "full",
    "locked",
    "busy",
    "readonly",
    "read-only",
    "disk i/o",
    "unable to open",
)


def _retryable(exc: sqlite3.OperationalError) -> bool:
    """True for trouble with the disk, which passes; False for mistakes in SQL."""
    text = str(exc).lower()
    return any(word in text for word in _RETRYABLE)


class Writer:
    """One thread that owns the only write connection and runs jobs in order.

    Jobs that fail because the disk is full or read-only are kept and retried
    every `retry_s` seconds, in order, so nothing done so far is dropped;
    `error` holds a plain message while that is happening.
    """

    def __init__(self, path: str, retry_s: float = 2.0) -> None:
        self.path = path
        self.retry_s = retry_s
        self.error: str | None = None
        self._queue: queue.Queue[tuple[WriteFn, Future[Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="db-writer", daemon=True)
        self._thread.start()

    def submit(self, fn: WriteFn) -> Future[Any]:
        """Queue `fn(conn)` to run in its own transaction; never blocks."""
        fut: Future[Any] = Future()
        self._queue.put((fn, fut))
        return fut

    def call(self, fn: Callable[[sqlite3.Connection], T], timeout: float = 10) -> T:
        """Run `fn(conn)` on the writer and wait for its result (for requests)."""
        result: T = self.submit(fn).result(timeout)
        return result

    def flush(self, timeout: float = 10) -> None:
        """Wait until every job queued so far has been written."""
        self.call(lambda conn: None, timeout)

    def close(self) -> None:
        """Finish the queued jobs and stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while True:
            item = self._queue.get()
            if item is None:
                break
            fn, fut = item
            while True:
                try:
                    if conn is None:
                        conn = connect(self.path)
                    with conn:  # one transaction per job
                        result = fn(conn)
                except sqlite3.OperationalError as exc:
                    if not _retryable(exc):  # a bug (e.g. a missing column)
                        log.exception("write job failed")
                        fut.set_exception(exc)
                        break
                    # Disk full / read-only / locked: keep the job and retry, so
                    # the work is saved as soon as the disk allows it.
                    self.error = plain_storage_message(exc, self.path)
                    log.warning("write failed, will retry: %s", exc)
                    if conn is not None:
                        conn.close()
                        conn = None
                    time.sleep(self.retry_s)
                    continue
                except Exception as exc:  # a bug in the job: report, don't retry
                    log.exception("write job failed")
                    fut.set_exception(exc)
                    break
                self.error = None
                fut.set_result(result)
                break
        if conn is not None:
            conn.close()


def get_db() -> sqlite3.Connection:
    """Return this request's read connection."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    conn: sqlite3.Connection = g.db
    return conn


def get_writer() -> Writer:
    """Return the app's writer."""
    writer: Writer = current_app.extensions["escape_home.writer"]
    return writer


def close_db(exc: BaseException | None = None) -> None:
    """Close this request's connection, if one was opened."""
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> Writer:
    """Open (and migrate) the database, start the writer, register teardown."""
    path = app.config["DATABASE"]
    open_database(path)
    writer = Writer(path)
    app.extensions["escape_home.writer"] = writer
    app.teardown_appcontext(close_db)
    return writer


def get_writer_of(app: Flask) -> Writer:
    """Return the writer of `app` (outside a request)."""
    writer: Writer = app.extensions["escape_home.writer"]
    return writer
