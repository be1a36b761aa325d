"""The speed benchmark's bookkeeping (the benchmark itself is run by hand)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from escape_home import bench
from escape_home.errors import EscapeHomeError


def test_speed_section_is_replaced_and_other_sections_kept(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        "# Benchmarks\n\n## Accuracy\n\nA\n\n## Speed\n\nold\n\n## Live\n\nL\n"
    )
    bench.write_section(doc, "Speed", "new table")
    text = doc.read_text()
    assert "old" not in text
    assert text.index("## Accuracy") < text.index("new table") < text.index("## Live")
    assert "\nA\n" in text and "\nL\n" in text


def test_speed_section_is_added_to_a_new_file(tmp_path: Path) -> None:
    doc = tmp_path / "docs" / "benchmarks.md"
    bench.write_section(doc, "Speed", "table")
    assert doc.read_text() == "# Benchmarks\n\n## Speed\n\ntable\n"


def test_missing_benchmark_module_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def not_there(name: str) -> None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    monkeypatch.setattr(bench.importlib, "import_module", not_there)
    with pytest.raises(EscapeHomeError, match="live benchmark is not part"):
        bench.main(argparse.Namespace(which="live", out=None))
