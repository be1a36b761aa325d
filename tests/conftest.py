"""Shared fixtures: where the real clips are, and their hand-counted labels.

Tests that need ../shared skip with a reason when it is absent; the rest still runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
CLIPS = (REPO / ".." / "shared" / "data" / "clips").resolve()
MODELS = REPO / "models"


def clips_available() -> bool:
    return (CLIPS / "labels.json").is_file()


def load_labels() -> list[dict[str, Any]]:
    """The entries of labels.json, or [] when the clips are absent."""
    if not clips_available():
        return []
    data: list[dict[str, Any]] = json.loads((CLIPS / "labels.json").read_text())
    return data


@pytest.fixture
def clips_dir() -> Path:
    if not clips_available():
        pytest.skip(f"real clips not found at {CLIPS}")
    return CLIPS


@pytest.fixture
def labels() -> dict[str, dict[str, Any]]:
    if not clips_available():
        pytest.skip(f"real clips not found at {CLIPS}")
    return {entry["file"]: entry for entry in load_labels()}


@pytest.fixture
def full_model() -> Path:
    path = MODELS / "pose_landmarker_full.task"
    if not path.is_file():
        pytest.skip("the full pose model is not built (run `escape-home models`)")
    return path
