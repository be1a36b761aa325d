"""Names are normalised on the way in, on every route (issue 11, item 8): no bidi
control can reverse the text beside a name, and no control character or line break
reaches a page, the live board or a CSV row."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from instructor_support import Web, bearer, enrol

from escape_home import progress_log
from escape_home.instructor.sample import make_log
from escape_home.instructor.text import BIDI_CONTROLS, clean_name

SPOOFS = [
    ("\u202eAnn\u202c", "Ann"),
    ("Ann\u2066 Lee\u2069", "Ann Lee"),
    ("\u200fJo\u200e", "Jo"),
    ("Ann\nBob", "Ann Bob"),
    ("Ann\r\n=SUM(A1)", "Ann =SUM(A1)"),
    ("Ann\tBob\x07\x1b[31m", "Ann Bob [31m"),
    ("Ann\u2028Bob\u2029", "Ann Bob"),
    ("  Ann \u00a0  Bob  ", "Ann Bob"),
    ("Ann\u200b\ufeff", "Ann"),
    ("Jose\u0301", "Jos\u00e9"),  # NFC: one character, as typed on another keyboard
]
BAD = set(BIDI_CONTROLS) | {chr(c) for c in range(32)} | {"\x7f", "\u2028", "\u2029"}


def _csv_rows(web: Web, cohort_id: int) -> list[dict[str, str]]:
    text = web.client.get(f"/cohorts/{cohort_id}/export.csv").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text)))


def _clean(text: str) -> None:
    found = sorted({f"U+{ord(ch):04X}" for ch in text if ch in BAD} - {"U+000A"})
    assert not found, f"control or bidi characters shown: {found}"


@pytest.mark.parametrize("raw,stored", SPOOFS, ids=[repr(s) for s, _ in SPOOFS])
def test_clean_name(raw: str, stored: str) -> None:
    assert clean_name(raw) == stored


def test_enrolled_nicknames_are_normalised(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    for i, (raw, _) in enumerate(SPOOFS):
        _, token = enrol(app, code, raw)
        r = app.test_client().post(
            "/api/logs",
            data=progress_log.dumps(make_log(sessions=1, seed=i)),
            headers=bearer(token),
        )
        assert r.status_code == 201
        r = app.test_client().post(
            "/api/live",
            json={"reps": 1, "state": "exercising", "cue": "\u202eknees\u202c\nout"},
            headers=bearer(token),
        )
        assert r.status_code == 204
    page = web.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    board = web.client.get(f"/cohorts/{cohort_id}/live.json").get_json()
    _clean(page.replace("\n", ""))
    names = sorted(p["nickname"] for p in board["participants"])
    assert names == sorted(stored for _, stored in SPOOFS)
    assert {p["cue"] for p in board["participants"]} == {"knees out"}
    rows = _csv_rows(web, cohort_id)
    assert sorted(r["nickname"] for r in rows) == sorted(s for _, s in SPOOFS)
    assert len(rows) == len(SPOOFS), "a line break split a CSV row"


def test_a_name_of_only_invisible_characters_is_refused(app: Flask, web: Web) -> None:
    _, code = web.create_cohort()
    r = app.test_client().post(
        "/api/enrol", json={"code": code, "nickname": "\u202e\u200b\n\t "}
    )
    assert r.status_code == 400
    assert r.get_json()["error"].startswith("nickname:")


def _upload(web: Web, cohort_id: int, nickname: str) -> Any:
    return web.post(
        f"/cohorts/{cohort_id}/upload",
        {
            "nickname": nickname,
            "log_file": (
                io.BytesIO(progress_log.dumps(make_log(sessions=2)).encode()),
                "log.json",
            ),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_the_web_upload_form_normalises_the_name(app: Flask, web: Web) -> None:
    cohort_id, _ = web.create_cohort()
    page = _upload(web, cohort_id, "Bob\r\n\u202e=cmd|' /C calc'!A0\x00\x0b")
    assert "for Bob =cmd|" in page.get_data(as_text=True)
    rows = _csv_rows(web, cohort_id)
    assert len(rows) == 2
    assert {r["nickname"] for r in rows} == {"Bob =cmd|' /C calc'!A0"}
    _clean(
        web.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True).replace("\n", "")
    )


def test_class_names_are_normalised(app: Flask, web: Web) -> None:
    r = web.post(
        "/cohorts",
        {
            "name": "Tuesday\u202e ssalc\n<b>",
            "start_date": "2026-01-06",
            "schedule": "Tue\r\n10:00\u2066",
            "sessions_per_week": "2",
        },
    )
    assert r.status_code == 302
    cohort_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    page = web.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert "Tuesday ssalc &lt;b&gt;" in page
    assert "Tue 10:00" in page
    _clean(page.replace("\n", ""))
