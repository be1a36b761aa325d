"""A class led live in the participant app (issue 12 item 4), against a small real
server on loopback that answers GET /api/class with class.v1 bodies and records the
live updates: the app's own GET /api/class, Home's card, joining through the safety
check, the class session's plan (the class's stations with the person's own levels,
plan and targets), sharing off by default, the heartbeat, and nothing of it for
someone exercising alone or not linked."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient
from participant_support import Person
from test_participant_with_instructor import instructor_server

from escape_home import messages, plans
from escape_home.participant import create_app, remote
from escape_home.participant.programme import load_programme

__all__ = ["instructor_server"]  # the fixture, used by name

TOKEN = "tok-123"


def class_body(phase: str = messages.STATION, seq: int = 2, **extra: Any) -> Any:
    out: dict[str, Any] = {
        "phase": phase,
        "seq": seq,
        "server_time": time.time(),
        "class_id": 7,
        "leader": "Alice",
        "stations": ["squat", "marching"],
        "station": 0 if phase in (messages.STATION, messages.REST) else None,
        "exercise": "squat" if phase == messages.STATION else None,
        "next_exercise": "marching",
        "others": 3,
        "shown": [{"nickname": "Bob", "reps": 4, "exercise": "squat"}],
    }
    out.update(extra)
    return messages.validate("class", out)


class ClassServer:
    """The instructor's server as far as a class goes: GET /api/class answers
    `body` (401 without the token), POST /api/live is recorded."""

    def __init__(self) -> None:
        import waitress.server

        self.body: Any = {"phase": "none", "seq": 0, "server_time": time.time()}
        self.live: list[dict[str, Any]] = []
        self.asked = 0
        self.fail = False  # answer 503, as a server that is down would
        app = Flask("class-server")

        @app.get("/api/class")
        def get_class() -> Any:
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return jsonify(error="token"), 401
            self.asked += 1
            if self.fail:
                return jsonify(error="down"), 503
            return jsonify(self.body)

        @app.post("/api/live")
        def post_live() -> Any:
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return jsonify(error="token"), 401
            self.live.append(messages.validate("live", request.get_json()))
            return "", 204

        self.server = waitress.server.create_server(
            app, host="127.0.0.1", port=0, threads=4
        )
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        threading.Thread(target=self.server.run, daemon=True).start()

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def class_server() -> Iterator[ClassServer]:
    server = ClassServer()
    yield server
    server.close()


@pytest.fixture
def papp(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "p.sqlite3"),
            "REMOTE_RETRY_S": 3600.0,
        }
    )
    yield app
    app.extensions["escape_home.remote"].stop()
    app.extensions["escape_home.writer"].close()


def link(app: Flask, url: str) -> None:
    from escape_home.participant import store

    def save(c: Any) -> None:
        store.set_setting(c, "server", url)
        store.set_setting(c, "participant_id", "p1")
        store.set_setting(c, "token", TOKEN)

    app.extensions["escape_home.writer"].call(save)


def setting(app: Flask, key: str) -> str | None:
    from escape_home.participant import store
    from escape_home.participant.db import connect

    conn = connect(app.config["DATABASE"])
    try:
        return store.get_setting(conn, key)
    finally:
        conn.close()


def until(check: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


def heard(client: FlaskClient, seq: int) -> dict[str, Any]:
    """The app's /api/class once it has heard move `seq`, fresh."""

    def look() -> Any:
        got = client.get("/api/class").get_json()
        ok = got["fresh"] and got["class"] and got["class"]["seq"] == seq
        return got if ok else None

    found: dict[str, Any] = until(look, f"the app hears seq {seq}")
    return found


def join(client: FlaskClient, class_id: int = 7) -> str:
    page = client.get(f"/safety?class={class_id}").get_data(as_text=True)
    keys = re.findall(r'name="([a-z_]+)" value="no"', page)
    r = client.post(f"/safety?class={class_id}", data={k: "no" for k in keys})
    assert r.status_code == 302, r.get_data(as_text=True)
    sid = str(r.headers["Location"]).split("/")[2]
    client.post(f"/session/{sid}/pain-before", data={"pain": "2"})
    return sid


def plan_on_page(client: FlaskClient, sid: str) -> list[dict[str, Any]]:
    page = client.get(f"/session/{sid}/play").get_data(as_text=True)
    m = re.search(r'<script type="application/json" id="plan">(.*?)</script>', page)
    assert m is not None
    steps: list[dict[str, Any]] = json.loads(m.group(1))
    return steps


def exercises(steps: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(s["exercise"], s["station"]) for s in steps if s["kind"] == "exercise"]


# -- the plan ------------------------------------------------------------------


def test_the_plan_takes_a_class_circuit_with_station_indices() -> None:
    prog = load_programme()
    own = prog.plan(1, {})
    circuit = prog.session(1)["circuit"]
    assert exercises(own) == [(ex, i) for i, ex in enumerate(circuit)]
    steps = prog.plan(3, {"squat": 2}, circuit=["marching", "squat"])
    assert exercises(steps) == [("marching", 0), ("squat", 1)]
    squat = next(s for s in steps if s.get("exercise") == "squat")
    assert squat["level"] == 2 and squat["rounds"] == 1 and squat["next"] is None
    assert steps[0]["kind"] == "education" and steps[0]["lesson"] == 3  # own topic
    assert steps[-1]["kind"] == "relax"
    # An exercise this programme lacks has no step; the others keep their station.
    data = json.loads(json.dumps(prog.data))
    del data["exercises"]["marching"]
    for s in data["sessions"]:
        s["circuit"] = [x for x in s["circuit"] if x != "marching"]
    from escape_home.participant.programme import Programme

    short = Programme(data).plan(1, {}, circuit=["squat", "marching", "heel_raise"])
    assert exercises(short) == [("squat", 0), ("heel_raise", 2)]


def test_station_survives_the_instructors_plan_swaps_and_sets() -> None:
    prog = load_programme()
    plan = plans.check(
        {
            "version": 3,
            "updated_at": "2026-12-01T10:00:00Z",
            "items": {
                "squat": {"swap": "sit_to_stand", "sets": 2},
                "marching": {"target_s": 40},
            },
        },
        prog,
    )
    steps = plans.apply(
        prog.plan(1, {}, circuit=["squat", "marching"]), plan, prog, {}, {}
    )
    assert exercises(steps) == [
        ("sit_to_stand", 0),
        ("sit_to_stand", 0),
        ("marching", 1),
    ]
    done = [s for s in steps if s["kind"] == "exercise"]
    assert [s.get("set") for s in done] == [1, 2, None]
    assert done[0]["swapped_from"] == "squat" and done[2]["target_s"] == 40


# -- the app's route, Home and the join flow -----------------------------------


def test_not_linked_there_is_no_class_and_home_is_as_today(
    papp: Flask,
) -> None:
    client = papp.test_client()
    Person(client).sign_up()
    got = client.get("/api/class").get_json()
    assert got == {"class": None, "fresh": False, "session": None, "line": None}
    home = client.get("/").get_data(as_text=True)
    assert "class-live" not in home and "Join the class" not in home
    settings = client.get("/settings").get_data(as_text=True)
    assert "Show my name and count" not in settings


def test_join_the_class_through_the_safety_check(
    papp: Flask, class_server: ClassServer
) -> None:
    client = papp.test_client()
    person = Person(client)
    person.sign_up()
    link(papp, class_server.url)
    got = client.get("/api/class").get_json()  # looking starts the asking
    got = heard(client, 0)
    assert got["class"]["phase"] == "none" and got["session"] is None
    hidden = '<section class="card hidden" id="class-live"'
    assert hidden in client.get("/").get_data(as_text=True)  # for the script

    class_server.body = class_body(messages.GATHERING, seq=1, others=7)
    got = heard(client, 1)
    assert got["line"] == "Class with Alice: 7 others here"
    home = client.get("/").get_data(as_text=True)
    assert hidden not in home and "Your class is on now." in home
    assert "Class with Alice: 7 others here" in home
    assert 'href="/safety?class=7"' in home and "Join the class" in home

    safety = client.get("/safety?class=7").get_data(as_text=True)
    assert "You are joining the class with Alice." in safety
    sid = join(client)
    joined = json.loads(setting(papp, remote.CLASS_SESSION) or "{}")
    assert joined == {
        "sid": sid,
        "class_id": 7,
        "stations": ["squat", "marching"],
        "leader": "Alice",
    }
    steps = plan_on_page(client, sid)
    assert exercises(steps) == [("squat", 0), ("marching", 1)]
    assert heard(client, 1)["session"] == sid
    home = client.get("/").get_data(as_text=True)
    assert f'href="/session/{sid}/play"' in home and "Go back to the class" in home
    play = client.get(f"/session/{sid}/play").get_data(as_text=True)
    assert 'src="/static/js/class.js' in play and 'data-leader="Alice"' in play

    # A session started the usual way is the person's own: the programme's circuit.
    client.post(f"/session/{sid}/close")
    solo = person.start_session()
    assert exercises(plan_on_page(client, solo)) == [
        (ex, i) for i, ex in enumerate(load_programme().session(2)["circuit"])
    ]
    assert "class.js" not in client.get(f"/session/{solo}/play").get_data(as_text=True)
    assert heard(client, 1)["session"] is None  # the class session was closed


def test_a_class_that_ended_meanwhile_gives_a_session_of_ones_own(
    papp: Flask, class_server: ClassServer
) -> None:
    client = papp.test_client()
    Person(client).sign_up()
    link(papp, class_server.url)
    class_server.body = class_body(messages.STATION, seq=4)
    client.get("/api/class")
    heard(client, 4)
    class_server.body = class_body(messages.ENDED, seq=5, exercise=None)
    page = client.get("/safety?class=7").get_data(as_text=True)
    keys = re.findall(r'name="([a-z_]+)" value="no"', page)
    r = client.post(
        "/safety?class=7", data={k: "no" for k in keys}, follow_redirects=True
    )
    assert "The class is not on any more" in r.get_data(as_text=True)
    assert setting(papp, remote.CLASS_SESSION) is None
    # Another class than the one on now is not joined either.
    class_server.body = class_body(messages.STATION, seq=6, class_id=9)
    heard(client, 6)
    r = client.post(
        "/safety?class=7", data={k: "no" for k in keys}, follow_redirects=True
    )
    assert "The class is not on any more" in r.get_data(as_text=True)
    assert setting(papp, remote.CLASS_SESSION) is None


def test_unlinking_forgets_the_class(papp: Flask, class_server: ClassServer) -> None:
    client = papp.test_client()
    Person(client).sign_up()
    link(papp, class_server.url)
    class_server.body = class_body(messages.STATION, seq=3)
    client.get("/api/class")
    heard(client, 3)
    assert "Show my name and count" in client.get("/settings").get_data(as_text=True)
    client.post("/settings", data={"action": "forget"})

    def gone() -> bool:
        got = client.get("/api/class").get_json()
        return got["class"] is None and not got["fresh"]

    until(gone, "the class is forgotten once unlinked")
    assert "class-live" not in client.get("/").get_data(as_text=True)


# -- live updates: share and the heartbeat -------------------------------------


def test_sharing_is_off_by_default_and_the_class_session_has_a_heartbeat(
    papp: Flask, class_server: ClassServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "HEARTBEAT_S", 0.3)
    client = papp.test_client()
    person = Person(client)
    person.sign_up()
    link(papp, class_server.url)

    # Alone (no class session): one update per change, no heartbeat.
    solo = person.start_session()
    until(lambda: class_server.live, "the joined update")
    time.sleep(1.5)
    assert [b["state"] for b in class_server.live] == ["joined"]
    assert class_server.live[0]["share"] is False
    client.post(f"/session/{solo}/close")
    until(lambda: len(class_server.live) == 2, "the left update")

    class_server.body = class_body(messages.GATHERING, seq=1)
    client.get("/api/class")
    heard(client, 1)
    join(client)
    n = len(class_server.live)

    def beats() -> bool:
        client.get("/api/class")  # the session page looks on
        return len(class_server.live) >= n + 3

    until(beats, "the joined state sent again while the class is on")
    again = class_server.live[n:]
    assert {b["state"] for b in again} == {"joined"}
    assert all(b["share"] is False for b in again)

    # Saying yes in Settings: the next update shows the name and count.
    page = client.get("/settings").get_data(as_text=True)
    box = page.split('name="share" value="1"')[1].split(">")[0]
    assert "checked" not in box
    client.post("/settings", data={"action": "share", "share": "1"})
    assert setting(papp, remote.CLASS_SHARE) == "1"

    def shared() -> bool:
        client.get("/api/class")
        return class_server.live[-1]["share"] is True

    until(shared, "an update with share true")
    client.post("/settings", data={"action": "share"})  # box unticked
    assert setting(papp, remote.CLASS_SHARE) is None

    def unshared() -> bool:
        client.get("/api/class")
        return class_server.live[-1]["share"] is False

    until(unshared, "an update with share false again")

    # The class ends: the heartbeat stops.
    class_server.body = class_body(messages.ENDED, seq=2, exercise=None)
    heard(client, 2)
    time.sleep(0.5)
    n = len(class_server.live)
    for _ in range(20):
        client.get("/api/class")
        time.sleep(0.05)
    assert len(class_server.live) == n


# -- with the real instructor server --------------------------------------------


def test_the_app_follows_a_class_on_the_real_server(
    tmp_path: Path, instructor_server: tuple[str, str, Flask]
) -> None:
    from sqlalchemy import select

    from escape_home.instructor import db as idb
    from escape_home.instructor import live_class
    from escape_home.instructor.models import Cohort, LiveStatus

    url, code, server = instructor_server
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "p.sqlite3"),
            "REMOTE_RETRY_S": 3600.0,
        }
    )
    try:
        client = app.test_client()
        Person(client).sign_up()
        Person(client).link(url, code)
        got = client.get("/api/class").get_json()
        until(
            lambda: client.get("/api/class").get_json()["fresh"],
            "the server's answer",
        )
        got = client.get("/api/class").get_json()
        assert got["class"]["phase"] == "none"

        with server.app_context():
            cohort = idb.session().scalars(select(Cohort)).one()
            cohort_id = cohort.id
            run = live_class.start(cohort, "Alice", 1)

        def phase(name: str) -> dict[str, Any]:
            def look() -> Any:
                g = client.get("/api/class").get_json()
                return g if g["fresh"] and g["class"]["phase"] == name else None

            found: dict[str, Any] = until(look, f"the app hears {name}")
            return found

        got = phase(messages.GATHERING)
        assert got["line"] == "Class with Alice: no one else here yet"
        assert got["class"]["stations"] == load_programme().session(1)["circuit"]
        sid = join(client, got["class"]["class_id"])
        steps = plan_on_page(client, sid)
        stations = got["class"]["stations"]
        assert exercises(steps) == [(ex, i) for i, ex in enumerate(stations)]

        with server.app_context():
            live_class.move(idb.session().get(Cohort, cohort_id), "next")
        got = phase(messages.STATION)
        assert got["class"]["station"] == 0 and got["session"] == sid
        assert got["class"]["seq"] == run.seq + 1

        def share_is(value: bool) -> bool:
            client.get("/api/class")
            with server.app_context():
                row = idb.session().scalars(select(LiveStatus)).first()
                return row is not None and row.share is value

        until(lambda: share_is(False), "the board row, not sharing")
        client.post("/settings", data={"action": "share", "share": "1"})
        # The heartbeat (every 10 s at most) carries the new choice.
        until(lambda: share_is(True), "the board row, sharing", timeout=25.0)

        with server.app_context():
            live_class.move(idb.session().get(Cohort, cohort_id), "end")
        phase(messages.ENDED)
    finally:
        app.extensions["escape_home.remote"].stop()
        app.extensions["escape_home.writer"].close()
