"""``escape-home instructor``: serve the review server, create accounts, migrate.

escape-home instructor [--host H] [--port P]         # serve (waitress)
escape-home instructor create-user NAME [--password-stdin]
escape-home instructor disable-user NAME | enable-user NAME
escape-home instructor init-db
escape-home instructor demo [--user NAME]            # a sample class to look at
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import os
import sys
from typing import Any

from sqlalchemy import func, select
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
                # Sign-in matches names case-insensitively: "Alice" is "alice".
                same = s.scalar(
                    select(Instructor).where(
                        func.lower(Instructor.username) == name.lower()
                    )
                )
                if same is not None:
                    raise InstructorCliError(
                        f"there is already an instructor {same.username!r}"
                    )
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
    from escape_home.instructor.models import utcnow
    from escape_home.instructor.security import end_all_login_sessions, find_instructor

    app = _app(args)
    with app.app_context(), db.writing():
        user = find_instructor(args.name)
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


def demo(args: argparse.Namespace) -> int:
    """Fill a sample class with made-up participants and their sessions, so a new
    instructor can see every page with data before a real class starts."""
    from datetime import datetime

    from escape_home import progress_log
    from escape_home.instructor import db
    from escape_home.instructor.ingest import store_log
    from escape_home.instructor.models import Cohort, Instructor, Participant
    from escape_home.instructor.sample import DEMO_CLASS, demo_logs
    from escape_home.instructor.security import find_instructor, new_enrol_code

    app = _app(args)
    with app.app_context(), db.writing() as s:
        if args.user:
            user = find_instructor(args.user)
            if user is None:
                raise InstructorCliError(f"there is no instructor {args.user!r}")
        else:
            users = s.scalars(select(Instructor)).all()
            if not users:
                raise InstructorCliError(
                    "there is no instructor yet: first run "
                    "'escape-home instructor create-user NAME'"
                )
            if len(users) > 1:
                raise InstructorCliError(
                    "there are several instructors: say whose sample class it is "
                    "with --user NAME"
                )
            user = users[0]
        old = s.scalar(
            select(Cohort).where(
                Cohort.instructor_id == user.id, Cohort.name == DEMO_CLASS
            )
        )
        if old is not None:
            print(
                f"{user.username!r} already has the sample class (/cohorts/{old.id})."
            )
            return 0
        people = demo_logs()
        starts = [
            datetime.fromisoformat(log["sessions"][0]["started_at"])
            for _, log in people
            if log
        ]
        cohort = Cohort(
            instructor_id=user.id,
            name=DEMO_CLASS,
            start_date=min(starts).date(),
            schedule="Tuesdays and Fridays, 10:00 (sample)",
            sessions_per_week=2,
            enrol_code=new_enrol_code(),
        )
        s.add(cohort)
        s.flush()
        sessions = 0
        for name, log in people:
            p = Participant(
                public_id=progress_log.new_id(), cohort_id=cohort.id, nickname=name
            )
            s.add(p)
            s.flush()
            if log is not None:
                raw = progress_log.dumps(log).encode()
                sessions += store_log(s, p, log, raw=raw, via="web")["sessions_new"]
        where = f"/cohorts/{cohort.id}"
    print(
        f"Made the sample class for {user.username!r}: {len(people)} made-up "
        f"participants, {sessions} sessions. Sign in and open {where}. "
        "Every name ends in '(sample)'."
    )
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
    if action == "demo":
        return demo(args)
    if action == "init-db":
        _app(args)  # creating the app runs the migrations
        print("Database is up to date.")
        return 0
    return serve(args)
