"""Engine, per-request sessions and migrations for the instructor server.

SQLite (the default) and PostgreSQL behave the same to the rest of the code. Writes to
SQLite are serialised by one process-wide lock so that a read-then-write upload can
never hit SQLite's "database is locked" on upgrade; PostgreSQL uses row locks instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def private_dir(path: Path) -> None:
    """Create `path` and any missing parents with mode 0700 (only this user can
    list or open them). Folders that already exist are left as they are."""
    missing: list[Path] = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask


def private_sqlite_file(file: Path) -> None:
    """Create the database file 0600 before SQLite does (SQLite gives its -wal and
    -shm files the database file's mode), and take group/other access away from an
    existing database and its -wal/-shm."""
    os.close(os.open(file, os.O_RDWR | os.O_CREAT, 0o600))
    for path in (file, Path(f"{file}-wal"), Path(f"{file}-shm")):
        with contextlib.suppress(FileNotFoundError):
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                os.chmod(path, mode & 0o700)


def make_engine(url: str, schema: str | None = None) -> Engine:
    """Create the engine for `url`; `schema` (PostgreSQL only) isolates a test run."""
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        file = make_url(url).database
        if file and file != ":memory:" and not file.startswith("file:"):
            # Health data: readable by this user only (the item 7).
            private_dir(Path(file).parent)
            private_sqlite_file(Path(file))
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            # More connections than server threads: a request never waits for one.
            kwargs["pool_size"] = 20
            kwargs["max_overflow"] = 20
    else:
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
        kwargs["pool_pre_ping"] = True
        if schema:
            if not _SCHEMA_NAME.match(schema):
                raise ValueError(f"bad schema name {schema!r}")
            kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets dashboards read while an upload writes; FULL sync keeps a
            # committed upload on disk even if the machine loses power.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    elif schema:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return engine


def upgrade(engine: Engine) -> None:
    """Bring the database schema up to date (Alembic ``upgrade head``)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def init_app(app: Flask) -> None:
    """Attach the engine and session factory to `app`, migrating if configured."""
    engine = make_engine(app.config["DATABASE_URL"], app.config.get("DATABASE_SCHEMA"))
    if app.config.get("AUTO_MIGRATE", True):
        upgrade(engine)
    app.extensions["escape_home_db"] = {
        "engine": engine,
        "factory": sessionmaker(engine, expire_on_commit=False),
        "write_lock": threading.Lock() if engine.dialect.name == "sqlite" else None,
    }
    app.teardown_appcontext(_close)


def _ext() -> dict[str, Any]:
    ext: dict[str, Any] = current_app.extensions["escape_home_db"]
    return ext


def engine() -> Engine:
    """The current app's engine."""
    eng: Engine = _ext()["engine"]
    return eng


def session() -> Session:
    """The request's database session (opened on first use, closed on teardown)."""
    if "db" not in g:
        g.db = _ext()["factory"]()
    db: Session = g.db
    return db


@contextlib.contextmanager
def writing() -> Iterator[Session]:
    """A transaction for writes: commits on success, rolls back on any error.

    On SQLite the whole transaction holds the process-wide write lock, so its reads
    and writes see one consistent snapshot and never deadlock on lock upgrade.
    """
    lock = _ext()["write_lock"]
    db = session()
    # Give the connection back before queueing for the lock: a thread waiting here
    # must not hold one that the lock holder might need.
    db.rollback()
    with lock if lock is not None else contextlib.nullcontext():
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


def _close(_exc: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()
