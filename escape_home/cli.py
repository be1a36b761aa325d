"""The `escape-home` command: a thin layer over the package.

Each subcommand lazily imports the module that does the work, so `escape-home --help`
stays instant, and domain errors become one clear line on stderr with a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from escape_home.errors import EscapeHomeError


def _cmd_models(args: argparse.Namespace) -> int:
    from escape_home import modelbuild

    return modelbuild.main(names=args.names, task_file=args.task, force=args.force)


def _cmd_exercises(args: argparse.Namespace) -> int:
    from escape_home.exercises import list_exercises

    for spec in list_exercises():
        print(f"{spec.id:<16} {spec.summary}")
    return 0


def _cmd_analyse(args: argparse.Namespace) -> int:
    from escape_home import analyse

    return analyse.main(args)


def _cmd_run(args: argparse.Namespace) -> int:
    from escape_home.participant import run_app

    return run_app(
        source=args.source,
        port=args.port,
        open_browser=not args.no_browser,
        model=args.model,
        database=args.database,
        host=args.host,
    )


def _cmd_instructor(args: argparse.Namespace) -> int:
    from escape_home.instructor.cli import main as instructor_main

    return instructor_main(args)


def _cmd_bench(args: argparse.Namespace) -> int:
    from escape_home import bench

    return bench.main(args)


def _add_instructor_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the instructor options and actions (plain argparse: declaring them here
    keeps every other command from importing the server's packages)."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only; "
        "put a HTTPS reverse proxy in front before opening it to a network)",
    )
    parser.add_argument("--port", type=int, default=8000, help="default 8000")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db (default: "
        "$DATABASE_URL, else SQLite in your data folder)",
    )
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    sub = parser.add_subparsers(dest="instructor_command", metavar="ACTION")
    sub.add_parser("serve", help="run the server (the default)")
    user = sub.add_parser("create-user", help="create an instructor account")
    user.add_argument("name", help="the username to sign in with")
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    for action, what in (("disable-user", "disable"), ("enable-user", "re-enable")):
        toggle = sub.add_parser(action, help=f"{what} an instructor account")
        toggle.add_argument("name", help="the username")
    sub.add_parser("init-db", help="create or upgrade the database tables")
    demo = sub.add_parser(
        "demo", help="fill a sample class with made-up data, for a first look"
    )
    demo.add_argument(
        "--user", metavar="NAME", help="whose class (needed if there are several)"
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for every subcommand."""
    p = argparse.ArgumentParser(
        prog="escape-home",
        description="Home exercise companion for the ESCAPE-pain knee and hip "
        "programme.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    m = sub.add_parser("models", help="build or install the pose model bundles")
    m.add_argument(
        "names",
        nargs="*",
        help="lite, full or heavy (default: all that can be built here)",
    )
    m.add_argument("--task", metavar="FILE", help="install an official .task file")
    m.add_argument("--force", action="store_true", help="rebuild even if present")
    m.set_defaults(func=_cmd_models)

    e = sub.add_parser("exercises", help="list the exercise IDs")
    e.set_defaults(func=_cmd_exercises)

    a = sub.add_parser("analyse", help="count reps and check form in a video or track")
    a.add_argument(
        "source",
        help="a video file (any format OpenCV reads) or a landmark track (.csv)",
    )
    a.add_argument("--exercise", required=True, help="exercise ID (see `exercises`)")
    a.add_argument("--model", default="full", choices=["lite", "full", "heavy"])
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--overlay", metavar="OUT.mp4", help="write an annotated video")
    a.add_argument("--save-track", metavar="OUT.csv", help="write the landmark track")
    a.add_argument(
        "--test",
        choices=["chair_stand_30s", "five_times_sts"],
        help="score a standardised test instead of a set",
    )
    a.add_argument("--age", type=int, help="age in years, for test norms")
    a.add_argument("--sex", choices=["female", "male"], help="sex, for test norms")
    a.add_argument(
        "--config", metavar="FILE", help="TOML file overriding exercise thresholds"
    )
    a.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    a.set_defaults(func=_cmd_analyse)

    r = sub.add_parser("run", help="start the participant app")
    r.add_argument(
        "--source",
        default="0",
        help="camera index (default 0) or a video file played at its own speed",
    )
    r.add_argument("--port", type=int, default=5000)
    r.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; the default 127.0.0.1 lets only this computer in",
    )
    r.add_argument("--no-browser", action="store_true", help="do not open a browser")
    r.add_argument("--model", default="full", choices=["lite", "full", "heavy"])
    r.add_argument("--database", help="SQLite file (default: your data folder)")
    r.set_defaults(func=_cmd_run)

    i = sub.add_parser("instructor", help="the instructor's review server")
    _add_instructor_arguments(i)
    i.set_defaults(func=_cmd_instructor)

    b = sub.add_parser("bench", help="run a benchmark and print its table")
    b.add_argument(
        "which", choices=["speed", "accuracy", "form", "live", "load", "class"]
    )
    b.add_argument("--out", help="also write the table (markdown) to this file")
    b.set_defaults(func=_cmd_bench)
    return p


def quiet_native_logs() -> None:
    """Send what C++ libraries print on file descriptor 2 to /dev/null.

    MediaPipe and LiteRT log dozens of INFO/WARNING lines when a model loads; a person
    running `analyse` must see only our progress bar and, on error, one clear line.
    Python's `sys.stderr` keeps writing to the real terminal through a duplicate of the
    original descriptor. Set ESCAPE_HOME_NATIVE_LOGS=1 to keep the native logs.
    """
    if os.environ.get("ESCAPE_HOME_NATIVE_LOGS") == "1":
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:  # no usable descriptor 2 (e.g. a detached service): nothing to do
        return
    sys.stderr = os.fdopen(saved, "w", buffering=1, encoding="utf-8", errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `escape-home` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except EscapeHomeError as exc:
        print(f"escape-home: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("escape-home: interrupted", file=sys.stderr)
        return 130


def console_main() -> int:
    """The console script: `main()` with the native libraries' log noise hidden.

    Kept apart from `main()` so that calling `main()` in-process (tests, other tools)
    never redirects the caller's file descriptors.
    """
    quiet_native_logs()
    return main()


if __name__ == "__main__":
    sys.exit(console_main())
