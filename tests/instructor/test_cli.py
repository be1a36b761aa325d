"""`escape-home instructor init-db` and `create-user` through the real CLI parser."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from instructor_support import login

from escape_home import cli
from escape_home.instructor import create_app
from escape_home.instructor.cli import InstructorCliError
from escape_home.instructor.cli import main as instructor_main


def run(argv: list[str]) -> int:
    """Parse like `escape-home` does, run the instructor action, let errors raise."""
    return instructor_main(cli.build_parser().parse_args(argv))


PASSWORD = "a long enough password"


def test_init_db_then_create_user_who_can_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'i.db'}"
    monkeypatch.setenv("ESCAPE_HOME_INSTANCE", str(tmp_path))
    assert run(["instructor", "--database", url, "init-db"]) == 0
    assert "up to date" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    args = ["instructor", "--database", url, "create-user", "alice", "--password-stdin"]
    assert run(args) == 0
    assert "Created instructor 'alice'" in capsys.readouterr().out
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path),
            "SESSION_COOKIE_SECURE": False,
        }
    )
    web = login(app, "alice", PASSWORD)
    assert web.client.get("/").status_code == 200

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    with pytest.raises(InstructorCliError, match="already an instructor 'alice'"):
        run(args)


def test_short_password_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCAPE_HOME_INSTANCE", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    url = f"sqlite:///{tmp_path / 'i.db'}"
    args = ["instructor", "--database", url, "create-user", "bob", "--password-stdin"]
    with pytest.raises(InstructorCliError, match="at least 10 characters"):
        run(args)


def test_help_lists_the_actions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["instructor", "--help"])
    out = capsys.readouterr().out
    for word in ("create-user", "init-db", "serve", "--host", "--port"):
        assert word in out
