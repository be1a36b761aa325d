"""Disk faults (issue 6, item 3): the log cannot be written, or the disk fills up
mid-session. A clear message, no corruption, and the work is kept."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from participant_support import Person

from escape_home.cli import main
from escape_home.events import Rep
from escape_home.participant import create_app, store


def _mount(path: Path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr.decode()}")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB filesystem (tmpfs), so the test can fill it."""
    mount = tmp_path / "small"
    _mount(mount, "size=1m")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_unwritable_database_gives_a_clear_message(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    mount = tmp_path / "ro"
    _mount(mount, "size=1m,ro")
    try:
        code = main(
            [
                "run",
                "--database",
                str(mount / "log.sqlite3"),
                "--no-browser",
                "--port",
                "0",
            ]
        )
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
    err = capfd.readouterr().err
    assert code == 2
    assert "cannot be created or written" in err or "cannot be written" in err, err
    assert "Traceback" not in err


def test_disk_full_mid_session_keeps_the_work(small_disk: Path) -> None:
    db = small_disk / "log.sqlite3"
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE": str(db)})
    writer = app.extensions["escape_home.writer"]
    writer.retry_s = 0.1
    client = app.test_client()
    Person(client).sign_up()
    sid = Person(client).start_session()
    set_id = writer.call(lambda c: store.start_set(c, sid, "squat", 1, 10, None))

    def rep(i: int) -> Rep:
        return Rep(i, "both", i, i + 1.0, {"rom": 90.0})

    for i in range(1, 6):
        writer.call(lambda c, i=i: store.add_rep(c, set_id, rep(i)))
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as f:  # fill the disk to the last byte
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    # Big reps (long metric names) so the WAL must grow and hits the full disk.
    futures = []
    for i in range(6, 60):
        big = Rep(
            i, "both", i, i + 1.0, {f"m{j}_{'x' * 30}": float(j) for j in range(30)}
        )
        futures.append(writer.submit(lambda c, r=big: store.add_rep(c, set_id, r)))
    for _ in range(100):
        if writer.error:
            break
        time.sleep(0.05)
    assert writer.error is not None and "disk is full" in writer.error
    page = client.get("/").get_data(as_text=True)
    assert "disk is full" in page  # the banner on every page
    assert not all(f.done() for f in futures)  # the rest waits, it is not dropped

    os.remove(filler)  # space again: the writer catches up by itself
    for f in futures:
        f.result(timeout=10)
    assert writer.error is None
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    idx = [r[0] for r in conn.execute("SELECT idx FROM rep ORDER BY id")]
    conn.close()
    assert idx == list(range(1, 60))
    app.extensions["escape_home.remote"].stop()
    writer.close()
