"""Run a real instructor server in a subprocess and talk to it over loopback.

Used by the load benchmark and by the tests that kill the server mid-upload.
Standard library only on the client side.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# WTForms writes name, type, value; a hand-written hidden input type, name, value.
_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"'
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """An ``escape-home instructor`` process on loopback."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path | None = None

    def stop(self, kill: bool = False) -> None:
        if self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
        self.proc.wait(timeout=30)


def start_server(
    database_url: str,
    instance: Path,
    *,
    schema: str | None = None,
    threads: int = 16,
    env: dict[str, str] | None = None,
    port: int | None = None,
    unset: tuple[str, ...] = (),
) -> Server:
    """Start the server in a subprocess and wait until it accepts connections.

    `env` adds to (or overrides) the server's environment; `unset` names variables
    to leave out of it (for example ``ESCAPE_HOME_SECURE_COOKIES``, to test the
    default).
    """
    port = port or free_port()
    full_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ESCAPE_HOME_INSTANCE": str(instance),
        "ESCAPE_HOME_SECRET_KEY": secrets.token_hex(32),
        "ESCAPE_HOME_SECURE_COOKIES": "0",
        **(env or {}),
    }
    if schema:
        full_env["ESCAPE_HOME_DB_SCHEMA"] = schema
    for name in unset:
        full_env.pop(name, None)
    instance.mkdir(parents=True, exist_ok=True)
    log_path = instance / f"server-{port}.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "escape_home.cli",
                "instructor",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--threads",
                str(threads),
            ],
            env=full_env,
            stdout=subprocess.DEVNULL,
            # A file, not a pipe: an unread pipe fills under load and blocks the server.
            stderr=log,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = log_path.read_text(errors="replace")
            raise RuntimeError(f"instructor server exited: {err[-2000:]}")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return Server(proc, port, log_path)
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("instructor server did not start within 60 s")


class Client:
    """A minimal keep-alive HTTP client with one cookie jar (stdlib only)."""

    def __init__(self, port: int, timeout: float = 120) -> None:
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, dict[str, str]]:
        hdrs = dict(headers or {})
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (ConnectionError, http.client.HTTPException):
                # A kept-alive connection the server closed: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return resp.status, data, {k.lower(): v for k, v in resp.getheaders()}

    def json(
        self, method: str, path: str, obj: Any, token: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        status, data, _ = self.request(method, path, json.dumps(obj).encode(), headers)
        return status, (json.loads(data) if data else None)

    def form(
        self, path: str, fields: dict[str, str], page: str = "/"
    ) -> tuple[int, dict[str, str]]:
        _, html, _ = self.request("GET", page)
        match = _CSRF.search(html.decode())
        token = (match.group(1) or match.group(2)) if match else ""
        body = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
        status, _, headers = self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        return status, headers
