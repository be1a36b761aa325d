"""Fixtures for the participant app: a bare app + client (no camera), a fast test
programme, and a Chromium browser."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from participant_support import (
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    Person,
    PortServer,
    clip,
    fake_factories,
    new_context,
    seed_session,
)

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


@pytest.fixture
def two_exercises(fast_programme: Path) -> Path:
    """The fast programme with a rest: squat (3 reps), a 3 s rest, then marching
    for 4 s."""
    data = json.loads(fast_programme.read_text())
    data["sessions"][0]["circuit"] = ["squat", "marching"]
    data["exercises"]["marching"]["levels"][0]["target_s"] = 4
    data["rest_s"] = 3
    fast_programme.write_text(json.dumps(data))
    return fast_programme


@pytest.fixture
def programme_path(fast_programme: Path) -> Path:
    """The programme `serve` runs (a test module may override this fixture)."""
    return fast_programme


@pytest.fixture
def serve(
    tmp_path: Path, programme_path: Path
) -> Iterator[Callable[..., tuple[PortServer, str]]]:
    """serve(factories, pain=True, step=0, port=0, seed=True, **config) ->
    (server, sid): the app on a real port with a real database in `tmp_path` (the
    same one for every call, so a second call is the app's next launch), a
    profile and an open session seeded unless `seed` is False."""
    servers: list[PortServer] = []

    def start(
        factories: dict[str, Any] | None = None,
        pain: bool = True,
        step: int = 0,
        port: int = 0,
        seed: bool = True,
        **config: Any,
    ) -> tuple[PortServer, str]:
        app = create_app(
            {
                "DATABASE": str(tmp_path / "log.sqlite3"),
                "PROGRAMME": str(programme_path),
                "SOURCE": str(clip("squat__yuyoujiang__1.mp4")),
                "LIVE_FACTORIES": factories or fake_factories(),
                **config,
            }
        )
        sid = seed_session(app, pain=pain, step=step) if seed else ""
        server = PortServer(app, port)
        servers.append(server)
        return server, sid

    yield start
    for s in servers:
        s.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A 1280x800 context with the recording voice and auto-start off."""
    ctx = new_context(browser)
    yield ctx
    ctx.close()  # ends the streams before the server stops


@pytest.fixture
def hands_free(browser: Any) -> Iterator[Any]:
    """As `context`, with auto-start on (the default a person gets)."""
    ctx = new_context(browser, autostart=True)
    yield ctx
    ctx.close()
