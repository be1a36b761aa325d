"""Load benchmark of the instructor server (``escape-home bench load``).

A real server (``escape-home instructor``, waitress) runs in its own process on
loopback. This process plays a whole programme's worth of users at once:

* N participants (default 200) enrol with their class code, then all upload their
  progress log at the same moment (the burst), then keep uploading a growing log
  (a new session each time, the whole log resent: idempotent retries included);
* L of them (default 30) stream live-board updates twice a second;
* I instructors (default 10) sign in and keep opening their cohort page, a
  participant's page with its chart data, and poll the live board four times a
  second, timing how long each live update takes to appear.

Then the flood (issue 11, item 5): while all of that goes on, one hostile enrolled
participant posts from 12 threads as fast as the server answers, 11 of them a valid
~2.5 MB log with fresh session IDs each time and one a log of 200 new session IDs,
ignoring every 429. The dashboard latencies during the flood are reported beside those
without it.

Afterwards the database is checked: every session a participant's upload was
acknowledged for is stored exactly once, and nothing else. Runs on SQLite and, when
``DATABASE_URL`` names one, on PostgreSQL.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import re
import secrets
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from escape_home import progress_log
from escape_home.instructor.harness import Client, start_server
from escape_home.instructor.sample import make_log

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
_CODE = re.compile(r'id="enrol-code">([A-Z0-9-]+)<')


# --- the load -----------------------------------------------------------------------


@dataclass
class Stats:
    """Latencies (seconds) by kind, errors, and what the server acknowledged."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    acked: dict[str, set[str]] = field(default_factory=dict)
    #: The hostile participant's answers by status code (429, 422, 201...).
    hostile: Counter[int] = field(default_factory=Counter)
    hostile_sessions: int = 0
    flooding: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        if self.flooding.is_set() and kind in ("dashboard", "live_poll", "live_delay"):
            kind += "_flood"
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


@dataclass
class Participant:
    client: Client
    public_id: str
    token: str
    app_uuid: str
    seed: int
    stage: int


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest-rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


def _upload(p: Participant, stats: Stats, kind: str, start: Any) -> None:
    log = make_log(
        participant_id=p.app_uuid, sessions=p.stage, reps=8, seed=p.seed, start=start
    )
    t0 = time.perf_counter()
    try:
        status, body = p.client.json("POST", "/api/logs", log, token=p.token)
    except OSError as exc:
        stats.error(f"upload: {exc}")
        return
    stats.add(kind, time.perf_counter() - t0)
    if status in (200, 201):
        with stats.lock:
            stats.acked.setdefault(p.public_id, set()).update(
                s["id"] for s in log["sessions"]
            )
    else:
        stats.error(f"upload {status}: {str(body)[:100]}")


def _instructor_loop(
    client: Client, cohort_id: int, pids: list[str], stats: Stats, stop: threading.Event
) -> None:
    seen: dict[str, float] = {}
    polls = 0
    rng = random.Random(cohort_id)
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            status, data, _ = client.request("GET", f"/cohorts/{cohort_id}/live.json")
        except OSError as exc:
            stats.error(f"live.json: {exc}")
            continue
        now = time.time()
        stats.add("live_poll", time.perf_counter() - t0)
        if status != 200:
            stats.error(f"live.json {status}")
        else:
            for row in json.loads(data)["participants"]:
                ts = row["client_ts"]
                if ts is not None and seen.get(row["id"]) != ts:
                    seen[row["id"]] = ts
                    stats.add("live_delay", now - ts)
        polls += 1
        if polls % 8 == 0:
            for path in (
                f"/cohorts/{cohort_id}",
                f"/participants/{rng.choice(pids)}",
                f"/participants/{rng.choice(pids)}/data.json",
            ):
                t0 = time.perf_counter()
                try:
                    status, _, _ = client.request("GET", path)
                except OSError as exc:
                    stats.error(f"GET {path}: {exc}")
                    continue
                stats.add("dashboard", time.perf_counter() - t0)
                if status != 200:
                    stats.error(f"GET {path} {status}")
        stop.wait(0.25)


def _live_loop(p: Participant, stats: Stats, stop: threading.Event) -> None:
    client = Client(p.client.port)  # its own connection: uploads run meanwhile
    reps = 0
    while not stop.is_set():
        reps += 1
        update = {
            "exercise": "sit_to_stand",
            "reps": reps % 10000,
            "cue": "Stand up tall" if reps % 5 == 0 else None,
            "state": "exercising",
            "ts": time.time(),
        }
        t0 = time.perf_counter()
        try:
            status, _ = client.json("POST", "/api/live", update, token=p.token)
        except OSError as exc:
            stats.error(f"live: {exc}")
            continue
        stats.add("live_post", time.perf_counter() - t0)
        if status != 204:
            stats.error(f"live {status}")
        stop.wait(0.5)


def _participant_loop(
    p: Participant, stats: Stats, stop: threading.Event, start: Any
) -> None:
    rng = random.Random(p.seed)
    # After the burst, each participant uploads every 20-60 s (about 5 uploads a
    # second in all): hundreds of times more often than in real life (after each
    # session, twice a week), as a stress test.
    while not stop.wait(rng.uniform(20.0, 60.0)):
        p.stage = min(12, p.stage + 1)  # at 12, a resend: must change nothing
        _upload(p, stats, "upload", start)


def _hostile_logs(app_uuid: str) -> list[tuple[bytes, list[str]]]:
    """The flood's two logs, as bytes with the session IDs to replace each time:
    a valid ~2.5 MB log (12 sessions, 500 reps a set) and 200 session IDs."""
    big = make_log(participant_id=app_uuid, sessions=12, reps=500, seed=99)
    many = make_log(participant_id=app_uuid, sessions=12, reps=2, seed=98)
    base = many["sessions"]
    many["sessions"] = [
        dict(copy.deepcopy(base[i % 12]), id=str(uuid.uuid4())) for i in range(200)
    ]
    return [
        (progress_log.dumps(log).encode(), [ses["id"] for ses in log["sessions"]])
        for log in (big, many)
    ]


def _flood_loop(
    port: int,
    token: str,
    public_id: str,
    template: tuple[bytes, list[str]],
    stats: Stats,
    stop: threading.Event,
) -> None:
    """Post `template` with fresh session IDs, as fast as the server answers."""
    client = Client(port)
    raw, ids = template
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    while not stop.is_set():
        body, fresh = raw, [str(uuid.uuid4()) for _ in ids]
        for old, new in zip(ids, fresh, strict=True):
            body = body.replace(old.encode(), new.encode())
        try:
            status, _, _ = client.request("POST", "/api/logs", body, headers)
        except OSError:
            status = 0
        with stats.lock:
            stats.hostile[status] += 1
            if status in (200, 201):
                stats.hostile_sessions += len(fresh)
                stats.acked.setdefault(public_id, set()).update(fresh)


def _prepare(url: str, schema: str | None, instance: Path, instructors: int) -> Any:
    """Migrate and create the instructor accounts directly (as `create-user` does)."""
    from escape_home.instructor import create_app, db
    from escape_home.instructor.models import Instructor
    from escape_home.instructor.security import hash_password

    app = create_app(
        {
            "DATABASE_URL": url,
            "DATABASE_SCHEMA": schema,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": secrets.token_hex(32),
        }
    )
    hashed = hash_password("load-test-password")
    with app.app_context(), db.writing() as s:
        for i in range(instructors):
            s.add(Instructor(username=f"instructor{i}", password_hash=hashed))
    return app


def run_load(
    url: str,
    *,
    schema: str | None = None,
    participants: int = 200,
    instructors: int = 10,
    live: int = 30,
    seconds: float = 120,
    flood_seconds: float = 40,
    flood_threads: int = 12,
    seed: int = 1,
) -> dict[str, Any]:
    """Run the mixed load against a fresh server on `url` for `seconds`, then
    `flood_seconds` more with one hostile participant flooding from
    `flood_threads` threads (0: no flood); returns the figures."""
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=45)
    rng = random.Random(seed)
    stats = Stats()
    with tempfile.TemporaryDirectory() as tmp:
        app = _prepare(url, schema, Path(tmp), instructors)
        server = start_server(
            url,
            Path(tmp),
            schema=schema,
            env={
                "ESCAPE_HOME_LOGIN_RATE_LIMIT": "1000 per minute",
                "ESCAPE_HOME_ENROL_RATE_LIMIT": "10000 per minute",
            },
        )
        try:
            teachers: list[tuple[Client, int, str, list[str]]] = []
            for i in range(instructors):
                c = Client(server.port)
                status, _ = c.form(
                    "/login",
                    {"username": f"instructor{i}", "password": "load-test-password"},
                    "/login",
                )
                status, headers = c.form(
                    "/cohorts",
                    {
                        "name": f"Class {i}",
                        "start_date": date.today().isoformat(),
                        "schedule": "Tue and Fri",
                        "sessions_per_week": "2",
                    },
                )
                cohort_id = int(headers["location"].rstrip("/").split("/")[-1])
                page = c.request("GET", f"/cohorts/{cohort_id}")[1].decode()
                match = _CODE.search(page)
                if status != 302 or match is None:
                    raise RuntimeError("could not create a cohort")
                teachers.append((c, cohort_id, match.group(1), []))
            people: list[Participant] = []
            for i in range(participants):
                c = Client(server.port)
                teacher = teachers[i % instructors]
                status, body = c.json(
                    "POST", "/api/enrol", {"code": teacher[2], "nickname": f"P{i}"}
                )
                if status != 201:
                    raise RuntimeError(f"enrolment failed: {status} {body}")
                teacher[3].append(body["participant_id"])
                people.append(
                    Participant(
                        c,
                        body["participant_id"],
                        body["token"],
                        progress_log.new_id(),
                        seed * 1000 + i,
                        rng.randint(1, 6),
                    )
                )
            c = Client(server.port)
            status, body = c.json(
                "POST", "/api/enrol", {"code": teachers[0][2], "nickname": "Flood"}
            )
            if status != 201:
                raise RuntimeError(f"enrolment failed: {status} {body}")
            hostile = (body["participant_id"], body["token"])
            templates = _hostile_logs(progress_log.new_id())
            # The burst: everyone uploads at the same moment.
            barrier = threading.Barrier(participants)

            def burst(p: Participant) -> None:
                barrier.wait()
                _upload(p, stats, "upload_burst", start)

            _run_threads([threading.Thread(target=burst, args=(p,)) for p in people])
            stop = threading.Event()
            threads = [
                threading.Thread(target=_participant_loop, args=(p, stats, stop, start))
                for p in people
            ]
            threads += [
                threading.Thread(target=_live_loop, args=(p, stats, stop))
                for p in people[:live]
            ]
            threads += [
                threading.Thread(
                    target=_instructor_loop, args=(c, cid, pids, stats, stop)
                )
                for c, cid, _, pids in teachers
            ]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            stop.wait(seconds)
            elapsed = time.perf_counter() - t0
            flood_stop = threading.Event()
            flooders = [
                threading.Thread(
                    target=_flood_loop,
                    args=(
                        server.port,
                        hostile[1],
                        hostile[0],
                        templates[1 if i == flood_threads - 1 else 0],
                        stats,
                        flood_stop,
                    ),
                )
                for i in range(flood_threads)
            ]
            if flood_threads and flood_seconds > 0:
                stats.flooding.set()
                t1 = time.perf_counter()
                for t in flooders:
                    t.start()
                stop.wait(flood_seconds)
                flood_stop.set()
                for t in flooders:
                    t.join()
                flood_elapsed = time.perf_counter() - t1
            else:
                flood_elapsed = 0.0
            stop.set()
            for t in threads:
                t.join()
        finally:
            server.stop()
        result = _verify(app, stats, hostile[0])
        log = server.log.read_text(errors="replace") if server.log else ""
        result["server_tracebacks"] = log.count("Traceback")
        result["server_log_tail"] = log[-3000:]
        if schema:
            _drop_schema(app, schema)
        app.extensions["escape_home_db"]["engine"].dispose()
    result.update(
        participants=participants,
        instructors=instructors,
        live=live,
        seconds=round(elapsed),
        flood_seconds=round(flood_elapsed),
        flood_threads=flood_threads if flood_elapsed else 0,
        stats=stats,
    )
    return result


def _run_threads(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _verify(app: Any, stats: Stats, hostile: str | None = None) -> dict[str, Any]:
    """Compare what is stored with what the server acknowledged."""
    from sqlalchemy import text

    from escape_home.instructor import db

    with app.app_context():
        rows = (
            db.session()
            .execute(
                text(
                    "select p.public_id, s.uuid from exercise_session s "
                    "join participant p on p.id = s.participant_id"
                )
            )
            .all()
        )
    stored: dict[str, list[str]] = {}
    for pid, sid in rows:
        stored.setdefault(pid, []).append(sid)
    expected = sum(len(v) for v in stats.acked.values())
    lost = sum(len(v - set(stored.get(k, []))) for k, v in stats.acked.items())
    dup = sum(len(v) - len(set(v)) for v in stored.values())
    extra = sum(len(set(v) - stats.acked.get(k, set())) for k, v in stored.items())
    return {
        "stored": len(rows),
        "expected": expected,
        "lost": lost,
        "duplicated": dup,
        "unacknowledged": extra,
        "hostile_stored": len(stored.get(hostile or "", [])),
    }


def _drop_schema(app: Any, schema: str) -> None:
    from sqlalchemy import text

    with app.extensions["escape_home_db"]["engine"].begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


# --- report ---------------------------------------------------------------------------

_CI_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)


def find_postgres() -> str | None:
    """``DATABASE_URL`` if it names PostgreSQL, else the CI server if it answers."""
    from sqlalchemy import create_engine, text

    env = os.environ.get("DATABASE_URL", "")
    candidates = [env] if env.startswith("postgresql") else list(_CI_URLS)
    for url in candidates:
        try:
            engine = create_engine(url)
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            engine.dispose()
            return url
        except Exception:  # not reachable: no PostgreSQL run
            continue
    return None


def _ms(values: list[float], q: float) -> str:
    v = percentile(values, q)
    return "–" if v != v else f"{v * 1000:.0f}"


def table(results: list[tuple[str, dict[str, Any]]]) -> str:
    """Markdown table of one or more runs."""
    lines = [
        "| Backend | Load | Uploads ok / errors | Upload p50 / p95 / max (ms) "
        "| Burst of all uploads at once p50 / p95 (ms) | Live updates | "
        "Live-board delay p50 / p95 (ms) | Dashboard pages p50 / p95 (ms) "
        "| Sessions stored / acknowledged / lost / duplicated |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results:
        lat = r["stats"].latencies

        def pair(kind: str, lat: dict[str, list[float]] = lat) -> str:
            return f"{_ms(lat.get(kind, []), 50)} / {_ms(lat.get(kind, []), 95)}"

        uploads = lat.get("upload", []) + lat.get("upload_burst", [])
        lines.append(
            f"| {name} | {r['participants']} participants, {r['instructors']} "
            f"instructors, {r['live']} streaming live, {r['seconds']} s "
            f"| {len(uploads)} / {len(r['stats'].errors)} "
            f"| {_ms(lat.get('upload', []), 50)} / {_ms(lat.get('upload', []), 95)} / "
            f"{_ms(lat.get('upload', []), 100)} "
            f"| {_ms(lat.get('upload_burst', []), 50)} / "
            f"{_ms(lat.get('upload_burst', []), 95)} "
            f"| {len(lat.get('live_post', []))} "
            f"| {pair('live_delay')} | {pair('dashboard')} "
            f"| {r['stored']} / {r['expected']} / {r['lost']} / {r['duplicated']} |"
        )
    return "\n".join(lines)


def flood_table(results: list[tuple[str, dict[str, Any]]]) -> str:
    """Markdown table of the flood phase: dashboards without and during it."""
    lines = [
        "| Backend | Flood | Hostile posts: accepted / 429 / 422 / other "
        "| Hostile's sessions stored (limit 120) "
        "| Dashboard pages p50 / p95 (ms): without → during the flood "
        "| Live-board poll p50 / p95 (ms): without → during |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results:
        lat, hostile = r["stats"].latencies, r["stats"].hostile
        if not r.get("flood_threads"):
            continue

        def pair(kind: str, lat: dict[str, list[float]] = lat) -> str:
            return f"{_ms(lat.get(kind, []), 50)} / {_ms(lat.get(kind, []), 95)}"

        accepted = hostile[200] + hostile[201]
        other = sum(hostile.values()) - accepted - hostile[429] - hostile[422]
        lines.append(
            f"| {name} | 1 participant, {r['flood_threads']} threads, "
            f"{r['flood_seconds']} s, alongside the load above "
            f"| {accepted} / {hostile[429]} / {hostile[422]} / {other} "
            f"| {r['hostile_stored']} "
            f"| {pair('dashboard')} → {pair('dashboard_flood')} "
            f"| {pair('live_poll')} → {pair('live_poll_flood')} |"
        )
    return "\n".join(lines)


def run(
    out: str | None = None, *, seconds: float | None = None, participants: int = 200
) -> int:
    """Run the load on SQLite and (if reachable) PostgreSQL; print and record the table.

    Args:
        out: Also write the table to this file.
        seconds: Length of the mixed phase per backend (default 120, or
            ``ESCAPE_HOME_LOAD_SECONDS``).
        participants: Simulated participants.

    Returns:
        0 if nothing was lost, duplicated or refused; 1 otherwise.
    """
    from escape_home.bench import write_section

    seconds = seconds or float(os.environ.get("ESCAPE_HOME_LOAD_SECONDS", "120"))
    flood = float(os.environ.get("ESCAPE_HOME_LOAD_FLOOD_SECONDS", "40"))
    results: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(
            (
                "SQLite",
                run_load(
                    f"sqlite:///{tmp}/load.sqlite3",
                    participants=participants,
                    seconds=seconds,
                    flood_seconds=flood,
                ),
            )
        )
    pg = find_postgres()
    if pg:
        schema = "load_" + secrets.token_hex(4)
        results.append(
            (
                "PostgreSQL",
                run_load(
                    pg,
                    schema=schema,
                    participants=participants,
                    seconds=seconds,
                    flood_seconds=flood,
                ),
            )
        )
    body = (
        table(results)
        + "\n\n"
        + _notes(results, pg is not None)
        + "\n\n"
        + flood_table(results)
        + "\n\n"
        + _flood_notes()
    )
    print(body)
    write_section(DOC, "Load", body)
    if out:
        Path(out).write_text(body + "\n", encoding="utf-8")
    bad = any(
        r["lost"] or r["duplicated"] or r["unacknowledged"] or r["stats"].errors
        for _, r in results
    )
    return 1 if bad else 0


def _notes(results: list[tuple[str, dict[str, Any]]], had_pg: bool) -> str:
    import platform

    errors = sorted({e for _, r in results for e in r["stats"].errors})[:5]
    return (
        f"Measured {date.today().isoformat()} with `escape-home bench load` on "
        f"{platform.machine()} ({os.cpu_count()} cores), Python "
        f"{platform.python_version()}; server (`escape-home instructor`: waitress, "
        "16 threads) and load generator share the machine over loopback, alongside "
        "whatever else the machine runs. Each participant enrols with a class code; "
        "all of them upload at the same moment (the burst column), then each "
        "uploads every 20-60 s (hundreds of times more often than real use: after "
        "each session, twice a week). Uploads are whole logs of 1-12 sessions (8 "
        "reps per set, 3-50 kB); at 12 a participant keeps resending the same log, "
        "which must change nothing. The streaming participants send a live update "
        "every 0.5 s; each instructor polls the live board every 0.25 s and opens "
        "the class page, a participant page and its chart data every 2 s. "
        "Live-board delay: from a participant's update to an instructor's poll "
        "showing it. Stored / acknowledged compares the database, afterwards, with "
        "every session some upload was acknowledged for."
        + ("" if had_pg else " PostgreSQL was not reachable: SQLite only.")
        + (f" Errors seen: {errors}." if errors else " No errors.")
    )


def _flood_notes() -> str:
    return (
        "The flood (issue 11, item 5): after the mixed phase, with the same load "
        "still running, one enrolled participant posts from 12 threads without "
        "pause, ignoring every 429: 11 threads a valid 2.5 MB log (12 sessions, "
        "500 reps a set) with fresh session IDs each time, one a log of 200 new "
        "session IDs. Uploads are limited per token (`UPLOAD_RATE_LIMIT`, default "
        "6 a minute and 60 an hour: 429 with Retry-After), and a participant keeps "
        "at most 120 sessions (the programme's 12, each up to 10 times: 422 naming "
        "the limit). Before these limits, 12 such threads for 40 s took dashboard "
        "pages from 10 ms to 4-8 s, and 5 uploads of 200 new session IDs added 22 MB. "
        '"Without" is the mixed phase above; a shorter run: '
        "`ESCAPE_HOME_LOAD_SECONDS=30 ESCAPE_HOME_LOAD_FLOOD_SECONDS=20 "
        "escape-home bench load`."
    )


def main(args: argparse.Namespace) -> int:
    """Entry point for ``escape-home bench load``."""
    return run(getattr(args, "out", None))
