"""A small run of the live-class benchmark: the harness works against the real server,
every app follows every move it was there for, and every app that dropped out and came
back lands where the class is. No timing is asserted (the figure is in
docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

from escape_home import bench_class


def test_small_class_follows_every_move_through_drop_outs(tmp_path: Path) -> None:
    r = bench_class.run_class(
        f"sqlite:///{tmp_path / 'class.sqlite3'}", apps=6, seconds=10, drop_every_s=2.0
    )
    assert r.errors == [] and r.server_tracebacks == 0
    assert r.moves >= 4, "the instructor started the class and moved it on"
    assert r.drops >= 2 and r.rejoins, "apps dropped out and came back"
    assert r.missed == 0, "an app in the class missed a move"
    assert r.final_seq_everywhere, "every app landed on the class's last move"
    assert len(r.deliveries) >= r.moves * 3
    assert all(d >= 0 for d in r.deliveries)
    table = bench_class.table([("SQLite", r)])
    assert table.count("\n") == 2 and table.splitlines()[2].startswith("| SQLite | 6 |")
