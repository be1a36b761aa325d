"""``escape-home instructor``: serve the review server, create accounts, migrate.

escape-home instructor [--host H] [--port P]         # serve (waitress)
escape-home instructor create-user NAME [--password-stdin]
escape-home instructor disable-user NAME | enable-user NAME
escape-home instructor init-db
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import os
import sys
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from escape_home.errors import EscapeHomeError


class InstructorCliError(EscapeHomeError):
    """A plain-language problem with an instructor command."""


def _app(args: argparse.Namespace, **extra: Any) -> Any:
    from escape_home.instructor import create_app

    config: dict[str, Any] = dict(extra)
    if getattr(args, "database", None):
        config["DATABASE_URL"] = args.database
    return create_app(config)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("Same password again: ") != first:
        raise InstructorCliError("the two passwords differ")
    return first


def create_user(args: argparse.Namespace) -> int:
    """Create an instructor account; the password never appears on the command line."""
    from escape_home.instructor import db
    from escape_home.instructor.models import Instructor
    from escape_home.instructor.security import hash_password
    from escape_home.instructor.text import clean_name

    name = clean_name(args.name)
    if not name or len(name) > 80:
        raise InstructorCliError("a username needs 1 to 80 characters")
    try:
        hashed = hash_password(_read_password(args.password_stdin))
    except ValueError as exc:
        raise InstructorCliError(str(exc)) from None
    app = _app(args)
    with app.app_context():
        try:
            with db.writing() as s:
                if s.scalar(select(Instructor).where(Instructor.username == name)):
                    raise InstructorCliError(f"there is already an instructor {name!r}")
                s.add(Instructor(username=name, password_hash=hashed))
        except IntegrityError:
            raise InstructorCliError(
                f"there is already an instructor {name!r}"
            ) from None
    print(f"Created instructor {name!r}.")
    return 0


def set_disabled(args: argparse.Namespace, disabled: bool) -> int:
    """Disable an account (it can no longer sign in; its sessions end now) or
    enable it again. Its cohorts and data are kept."""
    from escape_home.instructor import db
    from escape_home.instructor.models import Instructor, utcnow
    from escape_home.instructor.security import end_all_login_sessions

    app = _app(args)
    with app.app_context(), db.writing() as s:
        user = s.scalar(
            select(Instructor).where(Instructor.username == args.name.strip())
        )
        if user is None:
            raise InstructorCliError(f"there is no instructor {args.name!r}")
        if disabled:
            user.disabled_at = user.disabled_at or utcnow()
            ended = end_all_login_sessions(user.id)
            print(f"Disabled {user.username!r}; {ended} signed-in session(s) ended.")
        else:
            user.disabled_at = None
            print(f"Enabled {user.username!r}.")
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(args: argparse.Namespace) -> int:
    """Run the server with waitress (a production WSGI server)."""
    import faulthandler
    import signal

    import waitress

    # `kill -USR1 <pid>` writes every thread's stack to stderr: how to see what a
    # busy server is doing without stopping it.
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, all_threads=True)

    from escape_home.instructor import PROXY_HEADERS

    # waitress itself reads X-Forwarded-* (and drops them from anyone but the proxy).
    app = _app(args, PROXY_HEADERS_BY_SERVER=True)
    proxy = app.config.get("TRUSTED_PROXY")
    if (
        _is_loopback(args.host)
        and not proxy
        and "ESCAPE_HOME_SECURE_COOKIES" not in os.environ
    ):
        # Plain http on this computer only: browsers would drop a Secure cookie.
        # Behind an HTTPS proxy (even one on this computer) cookies stay Secure.
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["REMEMBER_COOKIE_SECURE"] = False
    proxy_settings: dict[str, Any] = {}
    if proxy:
        proxy_settings = {
            "trusted_proxy": proxy,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": set(PROXY_HEADERS),
            "clear_untrusted_proxy_headers": True,
        }
    where = f"http://{args.host}:{args.port}/"
    print(f"escape-home instructor server on {where} (Ctrl+C to stop)", flush=True)
    if proxy:
        print(f"Behind the reverse proxy at {proxy}: its X-Forwarded-* are trusted.")
    if app.config["SESSION_COOKIE_SECURE"]:
        print("Cookies are Secure: reach this server through HTTPS (a reverse proxy).")
    waitress.serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        connection_limit=500,  # a whole class's apps may hold connections at once
        ident="escape-home",
        **proxy_settings,
    )
    return 0


def main(args: argparse.Namespace) -> int:
    """Dispatch ``escape-home instructor ...``."""
    action = getattr(args, "instructor_command", None) or "serve"
    if action == "create-user":
        return create_user(args)
    if action in ("disable-user", "enable-user"):
        return set_disabled(args, action == "disable-user")
    if action == "init-db":
        _app(args)  # creating the app runs the migrations
        print("Database is up to date.")
        return 0
    return serve(args)
