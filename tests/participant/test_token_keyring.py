"""The upload token out of plain view (issue 11, item 7): with a keyring the token
lives there and the database file holds only a marker; without one (this headless
machine) it stays in the database, which is private to its user (0600)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from escape_home.participant import db, store, token_keyring

TOKEN = "tok-" + "x7Qp" * 10


class MemoryKeyring(KeyringBackend):  # type: ignore[misc]
    """A keyring that keeps entries in memory (stands in for the Keychain etc.)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def ring(request: pytest.FixtureRequest) -> Iterator[KeyringBackend]:
    before = keyring.get_keyring()
    chosen = MemoryKeyring() if request.param == "memory" else fail.Keyring()
    keyring.set_keyring(chosen)
    token_keyring.reset()
    yield chosen
    keyring.set_keyring(before)
    token_keyring.reset()


def _open(tmp_path: Path) -> tuple[str, sqlite3.Connection]:
    path = str(tmp_path / "app" / "escape-home.sqlite3")
    db.open_database(path)
    return path, db.connect(path)


def _raw(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT value FROM setting WHERE key = 'token'").fetchone()
    return str(row[0])


def _on_disk(path: str) -> bytes:
    data = b""
    for suffix in ("", "-wal"):
        if os.path.exists(path + suffix):
            data += Path(path + suffix).read_bytes()
    return data


@pytest.mark.parametrize("ring", ["memory"], indirect=True)
def test_with_a_keyring_the_database_holds_no_token(
    ring: MemoryKeyring, tmp_path: Path
) -> None:
    path, conn = _open(tmp_path)
    try:
        store.set_setting(conn, "token", TOKEN)
        conn.commit()
        assert _raw(conn).startswith(token_keyring.MARK)
        assert TOKEN.encode() not in _on_disk(path)
        assert list(ring.entries.values()) == [TOKEN]
        token_keyring.reset()  # a new process: read back from the keyring
        assert store.get_setting(conn, "token") == TOKEN
        store.set_setting(conn, "token", None)  # "forget this instructor"
        conn.commit()
        assert ring.entries == {}
        assert store.get_setting(conn, "token") is None
    finally:
        conn.close()


@pytest.mark.parametrize("ring", ["none"], indirect=True)
def test_without_a_keyring_the_token_stays_in_the_private_database(
    ring: KeyringBackend, tmp_path: Path
) -> None:
    path, conn = _open(tmp_path)
    try:
        store.set_setting(conn, "token", TOKEN)
        conn.commit()
        assert token_keyring.backend() is None
        assert _raw(conn) == TOKEN
        assert store.get_setting(conn, "token") == TOKEN
    finally:
        conn.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700


@pytest.mark.parametrize("ring", ["memory"], indirect=True)
def test_the_setting_turns_the_keyring_off(
    ring: MemoryKeyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCAPE_HOME_KEYRING", "0")
    token_keyring.reset()
    _, conn = _open(tmp_path)
    try:
        store.set_setting(conn, "token", TOKEN)
        assert _raw(conn) == TOKEN and ring.entries == {}
    finally:
        conn.close()
