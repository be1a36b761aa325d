"""A small run of the load benchmark (and its flood): the harness works and nothing
is lost."""

from __future__ import annotations

from pathlib import Path

from escape_home import bench_load


def test_small_mixed_load_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    result = bench_load.run_load(
        f"sqlite:///{tmp_path / 'load.sqlite3'}",
        participants=20,
        instructors=2,
        live=3,
        seconds=4,
        flood_seconds=4,
        flood_threads=3,
    )
    stats = result["stats"]
    assert stats.errors == []
    assert result["lost"] == result["duplicated"] == result["unacknowledged"] == 0
    assert result["stored"] == result["expected"] > 20
    assert len(stats.latencies["upload_burst"]) == 20
    assert stats.latencies["live_delay"], "the instructors saw live updates"
    assert result["server_tracebacks"] == 0
    table = bench_load.table([("SQLite", result)])
    assert table.count("\n") == 2 and "| SQLite | 20 participants" in table
    # The flood: its sessions bounded, nobody else refused (429s: test_flood.py).
    assert sum(stats.hostile.values()) > 0 and result["hostile_stored"] <= 120
    assert stats.latencies["dashboard_flood"]
    flood = bench_load.flood_table([("SQLite", result)])
    assert "| SQLite | 1 participant, 3 threads" in flood


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert bench_load.percentile(values, 50) == 50.0
    assert bench_load.percentile(values, 95) == 95.0
    assert bench_load.percentile(values, 100) == 100.0
    assert bench_load.percentile([], 50) != bench_load.percentile([], 50)  # NaN
