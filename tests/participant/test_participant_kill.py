"""Fault injection: SIGKILL the app at random points of a session (issue 6, item 1).

Each trial forks a child that serves the real app (real HTTP, real SQLite writer,
real video source at its own speed; a stand-in pose model and engine that complete
a rep every third frame, so it is fast). The parent drives a session through the
HTTP API and kills the child at a random moment. After each kill: every rep the
child had committed (acknowledged after the commit, in a side file) is in the
database, the integrity check passes, and after a restart an unfinished session
shows as interrupted.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import signal
import sqlite3
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from participant_support import clip, fake_factories

from escape_home.participant import create_app

pytestmark = pytest.mark.clips

TRIALS = 50
SEED = 20261125


def _child(db: str, source: str, ack: str, port_pipe: Any) -> None:
    """Serve the app; append 'set_id idx' to `ack` after each rep is committed."""
    import waitress.server

    from escape_home.participant import db as dbmod
    from escape_home.participant import store

    pending: list[str] = []
    fd = os.open(ack, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    real_add_rep = store.add_rep

    def add_rep(conn: Any, set_id: int, rep: Any) -> None:
        real_add_rep(conn, set_id, rep)
        pending.append(f"{set_id} {rep.index}\n")

    store.add_rep = add_rep  # type: ignore[assignment]
    real_submit = dbmod.Writer.submit

    def submit(self: Any, fn: Any) -> Any:
        fut = real_submit(self, fn)

        def done(_: Any) -> None:  # runs on the writer thread, after the commit
            while pending:
                os.write(fd, pending.pop(0).encode())

        fut.add_done_callback(done)
        return fut

    dbmod.Writer.submit = submit  # type: ignore[method-assign]
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": db,
            "SOURCE": source,
            "LIVE_FACTORIES": fake_factories(),
        }
    )
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=6)
    port_pipe.send(server.effective_port)
    server.run()


def _post(url: str, data: dict[str, str] | None = None, js: Any = None) -> Any:
    if js is not None:
        req = urllib.request.Request(
            url,
            json.dumps(js).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
    else:
        body = "&".join(f"{k}={v}" for k, v in (data or {}).items()).encode()
        req = urllib.request.Request(url, body, method="POST")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


SAFETY = (
    "chest_pain",
    "breathless_dizzy",
    "hot_swollen_joint",
    "new_injury",
    "locking_giving_way",
    "calf_pain",
    "weight_loss_night_pain",
    "told_not_to_exercise",
)


def _drive(base: str, rng: random.Random, steps: int) -> None:
    """Do the first `steps` actions of a session, with random pauses."""
    state: dict[str, Any] = {}

    def profile() -> None:
        _post(
            base + "/profile", {"nickname": "Kim", "joint": "hip", "age_band": "70-74"}
        )

    def safety() -> None:
        _, headers, _ = _post(base + "/safety", {k: "no" for k in SAFETY})
        state["sid"] = headers["Location"].split("/")[-2]
        _post(f"{base}/session/{state['sid']}/pain-before", {"pain": "3"})

    def set_start() -> None:
        _, _, body = _post(
            f"{base}/api/session/{state['sid']}/set/start", js={"step": 7}
        )
        state["set"] = json.loads(body)["set_id"]

    def exercise() -> None:
        time.sleep(rng.uniform(0.05, 0.4))

    def set_end() -> None:
        _post(
            f"{base}/api/session/{state['sid']}/set/{state['set']}/end",
            js={"outcome": "done"},
        )

    actions = [profile, safety, set_start, exercise, set_end, set_start, exercise]
    for action in actions[:steps]:
        action()


def test_sigkill_at_random_points_loses_no_committed_rep(tmp_path: Path) -> None:
    source = str(clip("squat__yuyoujiang__1.mp4"))
    rng = random.Random(SEED)
    ctx = mp.get_context("fork")
    totals = {"acked": 0, "interrupted": 0}
    for trial in range(TRIALS):
        db = str(tmp_path / f"t{trial}.sqlite3")
        ack = str(tmp_path / f"t{trial}.ack")
        parent_end, child_end = ctx.Pipe()
        proc = ctx.Process(target=_child, args=(db, source, ack, child_end))
        proc.start()
        port = parent_end.recv()
        _drive(f"http://127.0.0.1:{port}", rng, rng.randint(0, 7))
        time.sleep(rng.uniform(0.0, 0.3))
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()

        acked = (
            set(Path(ack).read_text().split("\n")) - {""}
            if Path(ack).exists()
            else set()
        )
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {f"{s} {i}" for s, i in conn.execute("SELECT set_id, idx FROM rep")}
        was_open = conn.execute(
            "SELECT COUNT(*) FROM session WHERE status = 'in_progress'"
        ).fetchone()[0]
        conn.close()
        missing = acked - stored
        assert not missing, f"trial {trial}: committed reps lost after kill: {missing}"
        totals["acked"] += len(acked)

        app = create_app({"TESTING": True, "DATABASE": db})  # the restart
        try:
            conn = sqlite3.connect(db)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            statuses = [r[0] for r in conn.execute("SELECT status FROM session")]
            conn.close()
            assert "in_progress" not in statuses
            if was_open:
                assert "interrupted" in statuses
                home = app.test_client().get("/").get_data(as_text=True)
                assert "was not finished" in home
                totals["interrupted"] += 1
        finally:
            app.extensions["escape_home.remote"].stop()
            app.extensions["escape_home.writer"].close()
    # The trials really exercised the interesting cases.
    assert totals["acked"] > 50 and totals["interrupted"] > 10, totals
