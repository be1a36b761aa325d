"""Rate limits shared by several server processes (issue 11, item 4): with
``ESCAPE_HOME_RATELIMIT_STORAGE=redis://...`` two real servers (waitress, one
database) count sign-in and enrolment attempts against one limit, and a restart
does not reset it. Memory (one process's own counts) stays the default."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from escape_home.instructor.harness import Client, Server, start_server

REDIS = "redis://127.0.0.1:6379"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")


@pytest.fixture
def prefix() -> Iterator[str]:
    name = "escape-home-test-" + secrets.token_hex(6)
    yield name
    if _redis_up():
        import redis

        r = redis.Redis.from_url(REDIS)
        for key in r.scan_iter(f"*{name}*"):
            r.delete(key)
        r.close()


def _pair(
    tmp_path: Path, storage: str | None, prefix: str
) -> tuple[list[Server], dict[str, str], str]:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    env = {
        "ESCAPE_HOME_SECRET_KEY": secrets.token_hex(32),  # one deployment, one key
        "ESCAPE_HOME_LOGIN_RATE_LIMIT": "10 per minute",
        "ESCAPE_HOME_ENROL_RATE_LIMIT": "6 per minute",
        "ESCAPE_HOME_RATELIMIT_PREFIX": prefix,
    }
    if storage:
        env["ESCAPE_HOME_RATELIMIT_STORAGE"] = storage
    servers = [
        start_server(url, tmp_path / f"i{n}", env=env, threads=4) for n in (0, 1)
    ]
    return servers, env, url


def _bad_login(server: Server) -> int:
    c = Client(server.port, timeout=30)
    status, _ = c.form(
        "/login", {"username": "alice", "password": "not the password"}, page="/login"
    )
    return status


def _bad_enrol(server: Server) -> int:
    status, _ = Client(server.port, timeout=30).json(
        "POST", "/api/enrol", {"code": "AAAA-AAAA", "nickname": "x"}
    )
    return status


def _alternate(servers: list[Server], attempt: object, n: int) -> list[int]:
    return [attempt(servers[i % 2]) for i in range(n)]  # type: ignore[operator]


@needs_redis
def test_two_processes_share_redis_limits_and_a_restart_keeps_them(
    tmp_path: Path, prefix: str
) -> None:
    servers, env, url = _pair(tmp_path, REDIS, prefix)
    try:
        logins = _alternate(servers, _bad_login, 14)
        assert logins[:10] == [200] * 10, logins  # the form again, with a message
        assert logins[10:] == [429] * 4, logins  # 10 in all, across both
        enrols = _alternate(servers, _bad_enrol, 9)
        assert enrols == [404] * 6 + [429] * 3, enrols
        # Restart one process: the counts live in Redis, not in the process.
        servers[0].stop()
        servers[0] = start_server(url, tmp_path / "i0", env=env, threads=4)
        assert _bad_login(servers[0]) == 429
        assert _bad_enrol(servers[0]) == 429
    finally:
        for s in servers:
            s.stop()


def test_memory_is_the_default_and_counts_per_process(
    tmp_path: Path, prefix: str
) -> None:
    """What the shared store fixes: each process allows the whole limit itself."""
    servers, _, _ = _pair(tmp_path, None, prefix)
    try:
        logins = _alternate(servers, _bad_login, 22)
        assert logins[:20] == [200] * 20, logins  # 10 per process = 20 guesses
        assert logins[20:] == [429, 429]
    finally:
        for s in servers:
            s.stop()


def test_storage_setting_reaches_the_limiter_and_a_dead_store_still_limits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from escape_home.instructor import create_app

    monkeypatch.setenv("ESCAPE_HOME_RATELIMIT_STORAGE", "redis://127.0.0.1:1")
    monkeypatch.setenv("ESCAPE_HOME_LOGIN_RATE_LIMIT", "3 per minute")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False}
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:1"
    limiter = app.extensions["escape_home_limiter"]
    assert type(limiter._storage).__name__ == "RedisStorage"
    # Nothing answers on port 1: each process falls back to its own memory, so
    # sign-in keeps working (no 500) and is still limited.
    c = app.test_client()
    codes = [
        c.post("/login", data={"username": "a", "password": "b" * 10}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    app.extensions["escape_home_db"]["engine"].dispose()
