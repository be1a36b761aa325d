"""docs/instructor.md's deployment recipe, run as written (issue 11, Done when): the
environment block and the commands are read from the page, two server processes
start with them on PostgreSQL and Redis, and a small forwarding proxy in front adds
X-Forwarded-For/-Proto/-Host/-Port as a TLS-terminating proxy does. Checked through
the proxy: HSTS, Secure cookies, a sign-in made on one process valid on the other,
and rate limits counting each real client across both processes."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import pytest
from instructor_support import PASSWORD, POSTGRES_URL
from sqlalchemy import create_engine, text
from test_ratelimit_shared import _redis_up

from escape_home.instructor.harness import free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "instructor.md"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

pytestmark = [
    pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379"),
    pytest.mark.skipif(POSTGRES_URL is None, reason="no PostgreSQL"),
]


def _block(marker: str) -> list[str]:
    """The lines of the fenced block right after `marker` in the doc."""
    doc = DOC.read_text(encoding="utf-8")
    after = doc.split(marker, 1)[1]
    body = after.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in body.splitlines() if line.strip()]


def recipe_env() -> dict[str, str]:
    env = {}
    for line in _block("<!-- recipe-env"):
        if line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_]+", key), line
        env[key] = value
    return env


def recipe_commands() -> list[list[str]]:
    return [shlex.split(line) for line in _block("<!-- recipe-commands -->")]


def test_the_recipe_names_only_documented_settings() -> None:
    env = recipe_env()
    doc = DOC.read_text(encoding="utf-8")
    table = doc.split("### Settings (environment)", 1)[1].split("\n\n", 2)[1]
    for key in env:
        assert f"| `{key}` |" in table, f"{key} is not in the settings table"
    assert {"DATABASE_URL", "ESCAPE_HOME_SECRET_KEY"} <= set(env)
    assert env["ESCAPE_HOME_RATELIMIT_STORAGE"].startswith("redis://")
    commands = recipe_commands()
    serve = [c for c in commands if "--port" in c]
    assert len(serve) >= 2 and all(
        c[c.index("--host") + 1] == "127.0.0.1" for c in serve
    )


class Proxy(ThreadingHTTPServer):
    """Stands in for nginx: round-robin over the backends; adds the headers a TLS
    proxy adds (the client's address appended to X-Forwarded-For, proto https)."""

    daemon_threads = True

    def __init__(self, backends: list[int]) -> None:
        self.backends = itertools.cycle(backends)
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Forward)

    def next_backend(self) -> int:
        with self.lock:
            return next(self.backends)


class _Forward(BaseHTTPRequestHandler):
    server: Proxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in ("connection", "keep-alive", "x-forwarded-for")
        }
        before = self.headers.get("X-Forwarded-For")
        client = self.client_address[0]
        headers["X-Forwarded-For"] = f"{before}, {client}" if before else client
        headers["X-Forwarded-Proto"] = "https"
        headers["X-Forwarded-Host"] = "class.example.org"
        headers["X-Forwarded-Port"] = "443"
        port = self.server.next_backend()
        # The proxy connects from 127.0.0.1: the recipe's ESCAPE_HOME_TRUSTED_PROXY.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for name, value in resp.getheaders():
            if name.lower() not in (
                "connection",
                "transfer-encoding",
                "server",
                "date",
            ):
                self.send_header(name, value)
        self.send_header("X-Backend", str(port))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = _forward


@dataclass
class Site:
    proxy_port: int
    backends: list[int]


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace")[-2000:])
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def _run(command: list[str], port: int | None) -> list[str]:
    """The doc's command as run here: `escape-home` is this Python's module; a
    listening port is swapped for a free one (the recipe's may be in use)."""
    assert command[:2] == ["escape-home", "instructor"], command
    argv = [sys.executable, "-m", "escape_home.cli", *command[1:]]
    if port is not None:
        argv[argv.index("--port") + 1] = str(port)
    return argv


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    assert POSTGRES_URL is not None
    schema = "t_" + secrets.token_hex(6)
    prefix = "escape-home-recipe-" + secrets.token_hex(6)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ESCAPE_HOME_")},
        **recipe_env(),
        # What a real deployment fills in: its own database, key and folder.
        "DATABASE_URL": POSTGRES_URL,
        "ESCAPE_HOME_DB_SCHEMA": schema,
        "ESCAPE_HOME_SECRET_KEY": secrets.token_hex(32),
        "ESCAPE_HOME_INSTANCE": str(tmp_path / "instance"),
        "ESCAPE_HOME_RATELIMIT_PREFIX": prefix,  # this test's keys, removed after
    }
    procs: list[subprocess.Popen[bytes]] = []
    backends: list[int] = []
    proxy: Proxy | None = None
    try:
        for command in recipe_commands():
            if "--port" not in command:
                stdin = PASSWORD + "\n" if "create-user" in command else ""
                argv = _run(command, None)
                if "create-user" in command:
                    argv.append("--password-stdin")  # the doc's asks at the prompt
                done = subprocess.run(
                    argv,
                    env=env,
                    input=stdin.encode(),
                    capture_output=True,
                    timeout=120,
                )
                assert done.returncode == 0, done.stderr.decode()[-2000:]
                continue
            port = free_port()
            log = tmp_path / f"server-{port}.log"
            with log.open("wb") as fh:
                proc = subprocess.Popen(
                    _run(command, port),
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=fh,
                )
            procs.append(proc)
            _wait_for(port, proc, log)
            backends.append(port)
        proxy = Proxy(backends)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        yield Site(proxy.server_address[1], backends)
    finally:
        if proxy is not None:
            proxy.shutdown()
            proxy.server_close()
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        import redis

        r = redis.Redis.from_url(recipe_env()["ESCAPE_HOME_RATELIMIT_STORAGE"])
        for key in r.scan_iter(f"*{prefix}*"):
            r.delete(key)
        r.close()
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


class Browser:
    """A browser on the internet: reaches the proxy from its own address."""

    def __init__(self, site: Site, address: str) -> None:
        self.site, self.address = site, address
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []
        self.backends: list[str] = []

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(
            "127.0.0.1",
            self.site.proxy_port,
            timeout=60,
            source_address=(self.address, 0),
        )
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        page = resp.read().decode()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                self.set_cookies.append(value)
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        conn.close()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        self.backends.append(hdrs["x-backend"])
        return resp.status, hdrs, page

    def login(self, password: str) -> tuple[int, dict[str, str]]:
        _, _, page = self.request("GET", "/login")
        match = _CSRF.search(page)
        assert match, page[:300]
        form = {"csrf_token": match.group(1), "username": "alice", "password": password}
        status, headers, _ = self.request("POST", "/login", form)
        return status, headers


def test_recipe_behind_a_tls_proxy_gives_hsts_secure_cookies_and_real_clients(
    site: Site,
) -> None:
    ann = Browser(site, "127.0.0.3")
    status, headers = ann.login(PASSWORD)
    assert status == 302, "sign-in through the proxy failed"
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    kept = [c for c in ann.set_cookies if "Max-Age=0" not in c]
    assert any(c.startswith("escape_home_instructor=") for c in kept), kept
    assert all("; Secure" in c and "; HttpOnly" in c for c in kept), kept
    # Signed in on one process, the next requests go to both: one deployment.
    pages = [ann.request("GET", "/") for _ in range(4)]
    assert all(s == 200 and "Sign out" in p for s, _, p in pages)
    assert set(ann.backends) == {str(p) for p in site.backends}

    # Rate limits count the real client (X-Forwarded-For), across both processes:
    # the default 10 sign-in attempts a minute, then 429, whichever process.
    attacker = Browser(site, "127.0.0.4")
    codes = [attacker.login("wrong password!")[0] for _ in range(12)]
    assert codes == [200] * 10 + [429] * 2, codes
    assert len(set(attacker.backends)) == 2
    # Everyone else behind the same proxy is not locked out.
    status, _ = Browser(site, "127.0.0.5").login(PASSWORD)
    assert status == 302
