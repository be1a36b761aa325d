"""Issue 11's "small things": `?next=` honoured on sign-in (local paths only),
usernames matched case-insensitively, one word ("class") in the pages, a wrong file
type refused with a plain sentence, the rate-limit page says when to retry, and
`escape-home instructor demo` fills a sample class."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from instructor_support import PASSWORD, Web, add_instructor, csrf_token, enrol, login

from escape_home import cli, progress_log
from escape_home.instructor import create_app
from escape_home.instructor.cli import InstructorCliError
from escape_home.instructor.cli import main as instructor_main
from escape_home.instructor.sample import DEMO_CLASS, make_log


def _sign_in(client: FlaskClient, action: str, name: str = "alice") -> str:
    r = client.post(
        action,
        data={"csrf_token": csrf_token(client), "username": name, "password": PASSWORD},
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return str(r.headers["Location"])


def test_sign_in_goes_back_to_the_page_asked_for(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    cohort_id, _ = login(sqlite_app, "alice").create_cohort()
    c = sqlite_app.test_client()
    r = c.get(f"/cohorts/{cohort_id}/live")
    assert r.status_code == 302
    to_login = r.headers["Location"]
    assert to_login.startswith("/login?next=")
    page = c.get(to_login).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    assert action is not None and "next=" in action.group(1)  # the form keeps it
    assert _sign_in(c, action.group(1).replace("&amp;", "&")) == (
        f"/cohorts/{cohort_id}/live"
    )


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%5Cevil.example",
        "%2F%2Fevil.example",
        "/%09/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_sign_in_never_goes_off_site(sqlite_app: Flask, target: str) -> None:
    add_instructor(sqlite_app, "alice")
    c = sqlite_app.test_client()
    assert _sign_in(c, f"/login?next={target}") == "/"


def test_usernames_are_matched_case_insensitively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'i.db'}"
    monkeypatch.setenv("ESCAPE_HOME_INSTANCE", str(tmp_path))
    app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path)}
        | {"SESSION_COOKIE_SECURE": False}
    )
    add_instructor(app, "Alice")
    assert _sign_in(app.test_client(), "/login", "alice") == "/"
    assert _sign_in(app.test_client(), "/login", " ALICE ") == "/"

    def run(*argv: str) -> int:
        args = cli.build_parser().parse_args(["instructor", "--database", url, *argv])
        return instructor_main(args)

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    with pytest.raises(InstructorCliError, match="already an instructor 'Alice'"):
        run("create-user", "aLiCe", "--password-stdin")
    assert run("disable-user", "ALICE") == 0
    assert "Disabled 'Alice'" in capsys.readouterr().out


class _Text(HTMLParser):
    """What a person reads or hears: text outside script/style, and the labels
    and hints in attributes (aria-label, title, placeholder, alt, value of buttons)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _said(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_one_word_for_a_class_on_every_page(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    c = sqlite_app.test_client()
    pages = {"login (sent there)": c.get("/", follow_redirects=True)}
    web = Web(c, "alice")
    _sign_in(c, "/login")
    created = web.post(
        "/cohorts",
        {"name": "Tuesday", "start_date": "2026-11-03", "sessions_per_week": "2"},
        follow_redirects=True,
    )
    pages["class created"] = created
    cohort_id = int(re.findall(r'href="/cohorts/(\d+)"', c.get("/").get_data(True))[0])
    code = re.search(r'id="enrol-code">([A-Z0-9-]+)<', created.get_data(True))
    assert code is not None
    pid, _ = enrol(sqlite_app, code.group(1), "Ann")
    for path in (
        "/",
        f"/cohorts/{cohort_id}",
        f"/cohorts/{cohort_id}/live",
        f"/participants/{pid}",
        "/account",
        "/cohorts/999999",
    ):
        pages[path] = c.get(path)
    for name, r in pages.items():
        text = _said(r.get_data(as_text=True))
        assert "cohort" not in text.lower(), (name, text[:2000])
        assert "class" in text.lower() or name == "/account", name


def test_a_wrong_file_type_gets_a_plain_sentence(sqlite_app: Flask) -> None:
    add_instructor(sqlite_app, "alice")
    web = login(sqlite_app, "alice")
    cohort_id, _ = web.create_cohort()
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
    for body, kind in (
        (png, "a PNG picture"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a Word or Excel document"),
    ):
        r = web.post(
            f"/cohorts/{cohort_id}/upload",
            {"nickname": "Ann", "log_file": (io.BytesIO(body), "photo.json")},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        page = r.get_data(as_text=True)
        assert "nothing was stored" in page and kind in page, page[:3000]
        assert "Choose the file the app saved: its name ends in .json." in page
    # A real log still goes in; the API says the same sentence.
    assert progress_log.validate(make_log(sessions=1))
    with pytest.raises(progress_log.InvalidProgressLog, match="a PNG picture"):
        progress_log.parse(png)


def test_the_rate_limit_page_says_when_to_retry(make_app: object) -> None:
    app = make_app(LOGIN_RATE_LIMIT="3 per minute", ENROL_RATE_LIMIT="2 per minute")  # type: ignore[operator]
    add_instructor(app, "alice")
    c = app.test_client()
    for _ in range(3):
        c.post(
            "/login",
            data={"csrf_token": csrf_token(c), "username": "alice", "password": "no"},
        )
    r = c.post(
        "/login",
        data={"csrf_token": csrf_token(c), "username": "alice", "password": "no"},
    )
    assert r.status_code == 429
    wait = int(r.headers["Retry-After"])
    text = _said(r.get_data(as_text=True))
    said = re.search(r"Please wait (\d+) seconds?, then try again", text)
    assert said is not None, text
    assert 0 < int(said.group(1)) <= max(wait, 1) + 1

    codes = []
    for _ in range(3):
        r = c.post("/api/enrol", json={"code": "AAAA-AAAA", "nickname": "x"})
        codes.append(r.status_code)
    assert codes[-1] == 429
    assert re.search(r"try again in \d+ seconds?$", r.get_json()["error"])


def test_demo_fills_a_sample_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'i.db'}"
    monkeypatch.setenv("ESCAPE_HOME_INSTANCE", str(tmp_path))

    def run(*argv: str) -> int:
        args = cli.build_parser().parse_args(["instructor", "--database", url, *argv])
        return instructor_main(args)

    with pytest.raises(InstructorCliError, match="create-user"):
        run("demo")
    app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path)}
        | {"SESSION_COOKIE_SECURE": False}
    )
    add_instructor(app, "alice")
    assert run("demo") == 0
    out = capsys.readouterr().out
    where = re.search(r"open (/cohorts/\d+)", out)
    assert where is not None and "6 made-up participants" in out
    web = login(app, "alice")
    page = web.client.get(where.group(1)).get_data(as_text=True)
    assert DEMO_CLASS in page
    pids = sorted(set(re.findall(r'href="/participants/([0-9a-f-]+)"', page)))
    assert len(pids) == 6 and page.count("Ann (sample)") >= 1
    charted = [
        len(web.client.get(f"/participants/{pid}/data.json").get_json()["labels"])
        for pid in pids
    ]
    assert sorted(charted) == [0, 1, 3, 5, 8, 10]  # sessions to chart; one not started
    assert run("demo") == 0  # twice: no second class
    assert "already has the sample class" in capsys.readouterr().out
    add_instructor(app, "bob")
    with pytest.raises(InstructorCliError, match="--user"):
        run("demo")
    assert run("demo", "--user", "BOB") == 0
