"""Fixtures for the instructor server: apps on SQLite (always) and PostgreSQL (when one
answers), a signed-in browser-like client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from instructor_support import Web, _config, _drop, add_instructor, login

from escape_home.instructor import create_app


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Any]:
    made: list[Flask] = []

    def factory(backend: str = "sqlite", **extra: Any) -> Flask:
        app = create_app(_config(tmp_path / str(len(made)), backend, **extra))
        app.config["TESTING"] = True
        made.append(app)
        return app

    yield factory
    for app in made:
        _drop(app)


@pytest.fixture
def app(make_app: Any, backend: str) -> Flask:
    """An app on each backend (SQLite always; PostgreSQL when available)."""
    result: Flask = make_app(backend)
    return result


@pytest.fixture
def sqlite_app(make_app: Any) -> Flask:
    result: Flask = make_app("sqlite")
    return result


@pytest.fixture
def web(app: Flask) -> Web:
    add_instructor(app, "alice")
    return login(app, "alice")
