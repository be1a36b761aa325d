"""Fixtures for the participant app: a bare app + client (no camera), a fast test
programme, and a Chromium browser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from participant_support import AXE, CHROMIUM, CHROMIUM_ARGS, ROOT, Person

from escape_home.participant import create_app


@pytest.fixture
def fast_programme(tmp_path: Path) -> Path:
    """The real programme, shortened: session 1 is one squat set of 3 reps."""
    data = json.loads((ROOT / "escape_home" / "data" / "programme.json").read_text())
    data["warm_up"] = data["warm_up"][:1]
    data["warm_up"][0]["seconds"] = 2
    data["cool_down"] = data["cool_down"][:1]
    data["cool_down"][0]["seconds"] = 2
    data["relaxation"]["seconds"] = 2
    data["rest_s"] = 2
    data["sessions"][0].update(circuit=["squat"], tests=[], rounds=1)
    data["exercises"]["squat"]["levels"][0]["target_reps"] = 3
    path = tmp_path / "programme.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "log.sqlite3"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield app
    app.extensions["escape_home.remote"].stop()
    app.extensions["escape_home.writer"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def person(client: FlaskClient) -> Person:
    return Person(client)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    if not AXE.exists():
        pytest.skip("axe-core is missing: run `npm install` in tests/js")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
