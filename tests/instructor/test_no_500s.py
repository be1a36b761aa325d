"""Requests that used to answer 500 (issue 11, item 6): each is now a 4xx whose
message names the problem, on both backends, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from instructor_support import Web, bearer, enrol

DEEP = b"[" * 1000 + b"]" * 1000
DEEPER = b'{"code": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.fixture
def cls(web: Web) -> tuple[Web, int, str]:
    cohort_id, code = web.create_cohort()
    return web, cohort_id, code


def _error(r: Any) -> str:
    body = r.get_json()
    assert isinstance(body, dict), r.get_data(as_text=True)[:200]
    return str(body["error"])


@pytest.mark.parametrize("raw", [DEEP, DEEPER], ids=["1000", "100000"])
@pytest.mark.parametrize("path", ["/api/enrol", "/api/live"])
def test_deeply_nested_json_is_400(
    app: Flask, cls: tuple[Web, int, str], path: str, raw: bytes
) -> None:
    _, _, code = cls
    _, token = enrol(app, code)
    r = app.test_client().post(
        path,
        data=raw,
        content_type="application/json",
        headers=bearer(token),
    )
    if raw is DEEPER:
        assert r.status_code == 413  # bigger than the 4 kB these bodies need
        assert "4096 bytes" in _error(r)
    else:
        assert r.status_code == 400, r.get_data(as_text=True)[:300]
        assert "nested" in _error(r)


def test_lone_surrogate_in_a_nickname_is_400(
    app: Flask, cls: tuple[Web, int, str]
) -> None:
    web, cohort_id, code = cls
    raw = b'{"code": "%s", "nickname": "Ann\\ud800"}' % code.encode()
    r = app.test_client().post("/api/enrol", data=raw, content_type="application/json")
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    assert _error(r).startswith("nickname:") and "surrogate" in _error(r)
    assert "Ann" not in web.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)


def test_lone_surrogate_in_a_cue_is_400(app: Flask, cls: tuple[Web, int, str]) -> None:
    _, _, code = cls
    _, token = enrol(app, code)
    raw = b'{"reps": 1, "state": "exercising", "cue": "knees \\udfff out"}'
    r = app.test_client().post(
        "/api/live", data=raw, content_type="application/json", headers=bearer(token)
    )
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    assert _error(r).startswith("cue:") and "surrogate" in _error(r)


BIG_IDS = [2**31, 2**31 + 1, 2**63, 2**64, 10**40]


@pytest.mark.parametrize("n", BIG_IDS, ids=[str(n)[:8] for n in BIG_IDS])
@pytest.mark.parametrize(
    "path,method",
    [
        ("/cohorts/{}", "GET"),
        ("/cohorts/{}/export.csv", "GET"),
        ("/cohorts/{}/live", "GET"),
        ("/cohorts/{}/live.json", "GET"),
        ("/cohorts/{}/code", "POST"),
        ("/cohorts/{}/upload", "POST"),
    ],
)
def test_ids_beyond_the_database_range_are_404(
    cls: tuple[Web, int, str], path: str, method: str, n: int
) -> None:
    web, _, _ = cls
    url = path.format(n)
    r = web.client.get(url) if method == "GET" else web.post(url)
    assert r.status_code == 404, f"{method} {url}: {r.status_code}"
    assert "no class" in r.get_data(as_text=True).lower()


@pytest.mark.parametrize("pid", ["%00", "a%00b", "x" * 5000, "%ED%A0%80"])
def test_odd_participant_ids_are_404(cls: tuple[Web, int, str], pid: str) -> None:
    web, _, _ = cls
    for suffix in ("", "/data.json", "/fhir.json"):
        r = web.client.get(f"/participants/{pid}{suffix}")
        assert r.status_code == 404, f"{pid[:10]}{suffix}: {r.status_code}"


@pytest.mark.parametrize("path", ["/api/enrol", "/api/live"])
def test_413_on_the_small_routes_states_their_own_limit(
    app: Flask, cls: tuple[Web, int, str], path: str
) -> None:
    _, _, code = cls
    _, token = enrol(app, code)
    raw = b'{"code": "' + b"x" * 5000 + b'"}'
    r = app.test_client().post(
        path, data=raw, content_type="application/json", headers=bearer(token)
    )
    assert r.status_code == 413
    assert "4096 bytes" in _error(r), _error(r)
    assert str(app.config["MAX_LOG_BYTES"]) not in _error(r)
