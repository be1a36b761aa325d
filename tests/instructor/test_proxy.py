"""Behind an HTTPS reverse proxy (issue 11, item 2), end to end: the real server
(waitress, `--host 127.0.0.1`) with ``ESCAPE_HOME_TRUSTED_PROXY``, and real
X-Forwarded-* headers sent from the proxy's address (127.0.0.2) and, forged, from
another (127.0.0.1). Only the proxy is believed: HSTS and Secure cookies when it
says https, rate limits per forwarded client address."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from instructor_support import PASSWORD, add_instructor

from escape_home.instructor import create_app
from escape_home.instructor.harness import Server, start_server

PROXY = "127.0.0.2"
OTHER = "127.0.0.1"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Browser:
    """A browser whose requests reach the server from `source` (the proxy or not)."""

    port: int
    source: str
    forwarded: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.source, 0)
        )
        headers = dict(self.forwarded)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                self.set_cookies.append(value)
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text

    def login(self, password: str) -> tuple[int, dict[str, str]]:
        _, _, page = self.request("GET", "/login")
        match = _CSRF.search(page)
        assert match, page[:300]
        form = {"csrf_token": match.group(1), "username": "alice", "password": password}
        status, headers, _ = self.request("POST", "/login", form)
        return status, headers


def via_proxy(port: int, client: str, proto: str = "https") -> Browser:
    return Browser(
        port,
        PROXY,
        {
            "X-Forwarded-For": client,
            "X-Forwarded-Proto": proto,
            "X-Forwarded-Host": "class.example.org",
            "X-Forwarded-Port": "443",
        },
    )


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'i.sqlite3'}"
    app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"}
    )
    add_instructor(app, "alice")
    app.extensions["escape_home_db"]["engine"].dispose()
    s = start_server(
        url,
        tmp_path / "instance",
        threads=4,
        env={
            "ESCAPE_HOME_TRUSTED_PROXY": PROXY,
            "ESCAPE_HOME_LOGIN_RATE_LIMIT": "5 per minute",
        },
        unset=("ESCAPE_HOME_SECURE_COOKIES",),  # the default, on a loopback --host
    )
    yield s
    s.stop()


def test_https_from_the_proxy_gives_hsts_secure_cookies_and_a_working_login(
    server: Server,
) -> None:
    b = via_proxy(server.port, "203.0.113.7")
    status, headers = b.login(PASSWORD)
    assert status == 302, "sign-in through the proxy failed"
    assert headers["location"].endswith("/")
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    kept = [c for c in b.set_cookies if "Max-Age=0" not in c]  # not deletions
    assert any(c.startswith("escape_home_instructor=") for c in kept), b.set_cookies
    for cookie in kept:
        assert "; Secure" in cookie, cookie
    status, _, page = b.request("GET", "/")
    assert status == 200 and "Sign out" in page


def test_forged_forwarded_headers_from_anyone_else_are_ignored(server: Server) -> None:
    forged = Browser(
        server.port,
        OTHER,
        {"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"},
    )
    _, headers, _ = forged.request("GET", "/login")
    assert "strict-transport-security" not in headers
    # ...and its guesses count against its own address whatever it claims to be.
    codes = []
    for n in range(7):
        forged.forwarded["X-Forwarded-For"] = f"198.51.100.{n + 1}"
        codes.append(forged.login("wrong password!")[0])
    assert codes == [200] * 5 + [429] * 2, codes


def test_rate_limits_count_each_forwarded_client(server: Server) -> None:
    attacker = via_proxy(server.port, "203.0.113.66")
    codes = [attacker.login("wrong password!")[0] for _ in range(7)]
    assert codes == [200] * 5 + [429] * 2, codes
    # A client-supplied X-Forwarded-For in front of the proxy's entry does not help:
    # only the address the proxy appended (the last) is believed.
    spoof = via_proxy(server.port, "203.0.113.9, 203.0.113.66")
    assert spoof.login("wrong password!")[0] == 429
    # Everyone else behind the same proxy signs in as usual.
    status, _ = via_proxy(server.port, "203.0.113.7").login(PASSWORD)
    assert status == 302


def test_plain_http_from_the_proxy_gets_no_hsts(server: Server) -> None:
    b = via_proxy(server.port, "203.0.113.7", proto="http")
    _, headers, _ = b.request("GET", "/login")
    assert "strict-transport-security" not in headers
