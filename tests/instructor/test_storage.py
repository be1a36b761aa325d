"""Storage on SQLite and PostgreSQL: migrations, and the server killed mid-upload.

The kill test runs the real server (``escape-home instructor``, waitress) in a
subprocess, sends a large upload, SIGKILLs the server at a random moment (seeded),
and checks that the upload is wholly stored or wholly absent; then it restarts the
server and retries the same upload as the participant's app does, and checks that
every session landed exactly once.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from instructor_support import _config, _drop
from sqlalchemy import func, select, text

from escape_home import progress_log
from escape_home.instructor import create_app, db
from escape_home.instructor.harness import Client, start_server
from escape_home.instructor.models import (
    Base,
    Cohort,
    Instructor,
    Participant,
    SessionRecord,
)
from escape_home.instructor.sample import make_log

# 50 per backend (issue: at least 50 seeded trials); ESCAPE_HOME_KILL_TRIALS to change.
TRIALS = int(os.environ.get("ESCAPE_HOME_KILL_TRIALS", "50"))
SEED = 20261125


def test_migrations_create_exactly_the_models(app: Flask) -> None:
    engine = app.extensions["escape_home_db"]["engine"]
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrating_again_is_harmless(app: Flask) -> None:
    db.upgrade(app.extensions["escape_home_db"]["engine"])
    with app.app_context():
        version = db.session().execute(text("select version_num from alembic_version"))
        heads = ScriptDirectory(str(db.MIGRATIONS)).get_heads()
        assert [v for (v,) in version] == heads


def _sessions_of(app: Flask, public_id: str) -> list[str]:
    with app.app_context():
        s = db.session()
        return list(
            s.scalars(
                select(SessionRecord.uuid)
                .join(Participant)
                .where(Participant.public_id == public_id)
            )
        )


def _upload_until_accepted(port: int, token: str, body: bytes) -> int:
    """What the participant app does: retry the same body until the server answers."""
    for _ in range(50):
        try:
            status, _, _ = Client(port, timeout=30).request(
                "POST",
                "/api/logs",
                body,
                {
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {token}",
                },
            )
            if status < 500:
                return status
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server never accepted the retry")


def test_server_killed_mid_upload_stores_all_or_nothing_then_exactly_once(
    backend: str, tmp_path: Path
) -> None:
    config = _config(tmp_path, backend)
    app = create_app(config)
    with app.app_context(), db.writing() as s:
        teacher = Instructor(username="t", password_hash="x")
        s.add(teacher)
        s.flush()
        s.add(
            Cohort(
                instructor_id=teacher.id,
                name="c",
                start_date=date.today(),
                schedule="",
                sessions_per_week=2,
                enrol_code="KILL-TEST",
            )
        )
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    server = start_server(
        config["DATABASE_URL"], tmp_path, schema=config.get("DATABASE_SCHEMA")
    )
    try:
        # Time one undisturbed upload so the kills spread over its whole length.
        _, token = _enrol(server.port, "warm-up")
        body = progress_log.dumps(make_log(sessions=12, reps=40, seed=999)).encode()
        t0 = time.perf_counter()
        assert _upload_until_accepted(server.port, token, body) == 201
        span = time.perf_counter() - t0
        for trial in range(TRIALS):
            public_id, token = _enrol(server.port, f"P{trial}")
            log = make_log(sessions=12, reps=40, seed=trial)
            body = progress_log.dumps(log).encode()
            reply: dict[str, Any] = {}

            def send(
                port: int = server.port,
                body: bytes = body,
                token: str = token,
                reply: dict[str, Any] = reply,
            ) -> None:
                try:
                    reply["status"] = Client(port, timeout=30).request(
                        "POST",
                        "/api/logs",
                        body,
                        {
                            "Content-Type": "application/json",
                            "Authorization": f"Bearer {token}",
                        },
                    )[0]
                except OSError as exc:
                    reply["error"] = exc

            sender = threading.Thread(target=send)
            sender.start()
            time.sleep(rng.uniform(0, span * 1.3))
            server.stop(kill=True)
            sender.join(timeout=30)
            stored = _sessions_of(app, public_id)
            assert len(stored) in (0, 12), (
                f"trial {trial}: partial upload {len(stored)}"
            )
            if reply.get("status") in (200, 201):
                assert len(stored) == 12, "acknowledged but not stored"
            outcomes["stored" if stored else "absent"] += 1
            if backend == "sqlite":
                with app.app_context():
                    check = (
                        db.session().execute(text("PRAGMA integrity_check")).scalar()
                    )
                assert check == "ok"
            server = start_server(
                config["DATABASE_URL"], tmp_path, schema=config.get("DATABASE_SCHEMA")
            )
            assert _upload_until_accepted(server.port, token, body) in (200, 201)
            after = _sessions_of(app, public_id)
            assert sorted(after) == sorted(s["id"] for s in log["sessions"])
    finally:
        server.stop(kill=True)
    with app.app_context():
        total = db.session().scalar(select(func.count()).select_from(SessionRecord))
    assert total == 12 * (TRIALS + 1)  # every session exactly once
    print(f"kill outcomes on {backend}: {dict(outcomes)}")
    _drop(app)


def _enrol(port: int, nickname: str) -> tuple[str, str]:
    status, body = Client(port).json(
        "POST", "/api/enrol", {"code": "KILL-TEST", "nickname": nickname}
    )
    assert status == 201, body
    return body["participant_id"], body["token"]
