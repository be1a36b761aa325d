"""An attacker's logs using the progress log's minor-version-2 fields (goals, movement
replays, lessons), against the real server: each bad one is a plain 422 naming the
field with nothing stored, and hostile text that is allowed is shown escaped and
without the bidi or control characters names are cleaned of. Also: the round's new
instructor routes answer 404, never 500, for IDs beyond the database's range, lone
surrogates and very long strings."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from instructor_support import Web, add_instructor, bearer, enrol, login

from escape_home import progress_log
from escape_home.instructor.sample import make_log
from escape_home.replay import JOINT_NAMES

XSS = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
RLO = "\u202e"


def _replay(exercise: str, kind: str = "flagged") -> dict[str, Any]:
    frames = [[i * 66] + [400 + i] * (2 * len(JOINT_NAMES)) for i in range(6)]
    fault = {
        "key": "knee_valgus",
        "cue": "Keep your knees over your toes",
        "value": 12.5,
        "threshold": 10.0,
        "unit": "deg",
        "op": ">",
        "joints": ["left_hip", "left_knee", "left_ankle"],
        "reference": "joint",
    }
    return {
        "exercise": exercise,
        "kind": kind,
        "rep_index": 1,
        "side": "left",
        "fps": 15.0,
        "aspect": 1.333,
        "joints": list(JOINT_NAMES),
        "frames": frames,
        "fault": fault if kind == "flagged" else None,
    }


def _log() -> dict[str, Any]:
    log = make_log(sessions=2)
    log["minor_version"] = 2
    ses = log["sessions"][0]
    ex = ses["sets"][0]["exercise"]
    ses["replays"] = [_replay(ex), _replay(ex, "good")]
    return log


@pytest.fixture
def ann(sqlite_app: Flask) -> tuple[Flask, Web, str, str]:
    add_instructor(sqlite_app, "alice")
    web = login(sqlite_app, "alice")
    _, code = web.create_cohort()
    pid, token = enrol(sqlite_app, code, "Ann")
    return sqlite_app, web, pid, token


def _send(app: Flask, token: str, body: dict[str, Any] | bytes) -> Any:
    data = body if isinstance(body, bytes) else progress_log.dumps(body)
    return app.test_client().post("/api/logs", data=data, headers=bearer(token))


Edit = Callable[[dict[str, Any]], None]


def _rp(log: dict[str, Any]) -> dict[str, Any]:
    replay: dict[str, Any] = log["sessions"][0]["replays"][0]
    return replay


def _short_frames(log: dict[str, Any]) -> None:
    _rp(log)["frames"] = [f[:9] for f in _rp(log)["frames"]]  # 4 of 17 joints


def _one_short_frame(log: dict[str, Any]) -> None:
    _rp(log)["frames"][3] = _rp(log)["frames"][3][:-2]


def _fewer_joints_named(log: dict[str, Any]) -> None:
    _rp(log)["joints"] = list(JOINT_NAMES[:12])  # frames still hold 17


def _time_going_back(log: dict[str, Any]) -> None:
    _rp(log)["frames"][4][0] = 10


def _negative_time(log: dict[str, Any]) -> None:
    _rp(log)["frames"][0][0] = -1


def _off_the_picture(log: dict[str, Any]) -> None:
    _rp(log)["frames"][2][5] = 59000


def _joint_twice(log: dict[str, Any]) -> None:
    _rp(log)["joints"][1] = _rp(log)["joints"][0]


def _fault_joint_not_kept(log: dict[str, Any]) -> None:
    rp = _rp(log)
    rp["joints"] = [j for j in JOINT_NAMES if j != "left_knee"]
    rp["frames"] = [f[: 1 + 2 * len(rp["joints"])] for f in rp["frames"]]


def _one_joint_for_an_upright_line(log: dict[str, Any]) -> None:
    # replay.js took the second joint of a "vertical" reference without looking
    _rp(log)["fault"].update(joints=["left_hip"], reference="vertical")


def _unknown_exercise(log: dict[str, Any]) -> None:
    _rp(log)["exercise"] = "backflip"


def _stepped_back_up(log: dict[str, Any]) -> None:
    st = log["sessions"][0]["sets"][0]
    st.update(level=3, stepped_back_from=2, plan_version=4)


def _swapped_from_itself(log: dict[str, Any]) -> None:
    st = log["sessions"][0]["sets"][0]
    st.update(swapped_from=st["exercise"], plan_version=4)


def _no_such_question(log: dict[str, Any]) -> None:
    log["lessons"] = [_lesson(1, questions=[1, 3])]


def _lesson_twice(log: dict[str, Any]) -> None:
    log["lessons"] = [_lesson(2), _lesson(2)]


def _lesson(number: int, questions: list[int] | None = None) -> dict[str, Any]:
    when = "2026-01-05T10:00:00+00:00"
    return {
        "number": number,
        "first_opened_at": when,
        "times_opened": 1,
        "finished_at": when,
        "answers": [
            {"question": q, "answer": True, "correct": True, "answered_at": when}
            for q in questions or [1]
        ],
    }


BAD: dict[str, tuple[Edit, str, str]] = {
    # name: (edit, the field named, words in the message)
    "frames shorter than the joints": (
        _short_frames,
        "sessions[0].replays[0].frames[0]",
        "17 joints need 35",
    ),
    "one frame two numbers short": (
        _one_short_frame,
        "sessions[0].replays[0].frames[3]",
        "has 33 numbers",
    ),
    "fewer joints named than the frames hold": (
        _fewer_joints_named,
        "sessions[0].replays[0].frames[0]",
        "12 joints need 25",
    ),
    "time going back": (
        _time_going_back,
        "sessions[0].replays[0].frames[4]",
        "back in time",
    ),
    "negative time": (
        _negative_time,
        "sessions[0].replays[0].frames[0][0]",
        "below the minimum of 0",
    ),
    "a point far off the picture": (
        _off_the_picture,
        "sessions[0].replays[0].frames[2][5]",
        "above the maximum of 1000",
    ),
    "a joint named twice": (
        _joint_twice,
        "sessions[0].replays[0].joints",
        "the same item twice",
    ),
    "the fault's joint not kept": (
        _fault_joint_not_kept,
        "sessions[0].replays[0].fault.joints",
        "'left_knee' is not in joints",
    ),
    "one joint for an upright line": (
        _one_joint_for_an_upright_line,
        "sessions[0].replays[0].fault.joints",
        "a 'vertical' reference is drawn with 2 joints, not 1",
    ),
    "an exercise not in the catalogue": (
        _unknown_exercise,
        "sessions[0].replays[0].exercise",
        "'backflip' is not one of",
    ),
    "stepped back to a higher level": (
        _stepped_back_up,
        "sessions[0].sets[0].stepped_back_from",
        "level 2 is not above the level done (3)",
    ),
    "swapped from itself": (
        _swapped_from_itself,
        "sessions[0].sets[0].swapped_from",
        "is the exercise done itself",
    ),
    "an answer to a question the lesson lacks": (
        _no_such_question,
        "lessons[0].answers[1].question",
        "lesson 1 has 2 questions, not 3",
    ),
    "a lesson twice": (_lesson_twice, "lessons[1].number", "lesson 2 appears twice"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_a_bad_minor_2_log_is_422_naming_the_field_and_nothing_is_stored(
    ann: tuple[Flask, Web, str, str], case: str
) -> None:
    app, web, pid, token = ann
    edit, field, words = BAD[case]
    log = _log()
    edit(log)
    r = _send(app, token, log)
    assert r.status_code == 422, r.get_data(as_text=True)[:300]
    error = r.get_json()["error"]
    assert error.startswith(f"{field}:") and words in error, error
    assert len(error) < 300
    assert (
        web.client.get(f"/participants/{pid}/movement.json").get_json()["sessions"]
        == []
    )
    # The same log without the fault goes in, and its replays are on the page.
    assert _send(app, token, _log()).status_code == 201
    page = web.client.get(f"/participants/{pid}/movement")
    assert page.status_code == 200
    assert "Keep your knees over your toes" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "raw",
    [b"NaN", b"Infinity", b"-Infinity", b"1e999"],
    ids=["nan", "inf", "-inf", "1e999"],
)
def test_non_finite_numbers_in_a_replay_are_refused(
    ann: tuple[Flask, Web, str, str], raw: bytes
) -> None:
    app, web, pid, token = ann
    text = progress_log.dumps(_log()).encode()
    value = b'"value":12.5'
    assert text.count(value) == 1
    r = _send(app, token, text.replace(value, b'"value":' + raw))
    assert r.status_code in (400, 422), r.get_data(as_text=True)[:300]
    error = r.get_json()["error"]
    assert "finite number" in error or "out of range" in error, error
    assert (
        web.client.get(f"/participants/{pid}/movement.json").get_json()["sessions"]
        == []
    )


def test_hostile_goal_and_cue_text_is_escaped_and_cleaned(
    ann: tuple[Flask, Web, str, str],
) -> None:
    app, web, pid, token = ann
    log = _log()
    when = log["sessions"][0]["started_at"]
    cue = f"{RLO}{XSS}\u2066 knees\x07\nout\u200b"
    _rp(log)["fault"]["cue"] = cue
    _rp(log)["fault"]["unit"] = "</script>"
    log["goals"] = [
        {
            "id": "11111111-1111-4111-8111-111111111111",
            "set_at": when,
            "text": f"Walk {RLO}to the shops{RLO}\u202c\tand back{XSS}",
            "done_at": None,
        },
        {  # nothing but invisible characters: no goal at all
            "id": "22222222-2222-4222-8222-222222222222",
            "set_at": when,
            "text": f"{RLO}\u200b\u2066",
            "done_at": None,
        },
    ]
    assert _send(app, token, log).status_code == 201
    pages = {
        path: web.client.get(f"/participants/{pid}{path}")
        for path in ("", "/movement", "/movement.json")
    }
    for path, r in pages.items():
        assert r.status_code == 200, path
        body = r.get_data(as_text=True)
        for ch in (RLO, "\u2066", "\u202c", "\u200b", "\x07"):
            assert ch not in body, f"{path}: {ch!r} shown"
        if path != "/movement.json":  # HTML: escaped, never a tag
            assert "<script>alert" not in body and "<img src=x" not in body, path
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, path
    page = pages[""].get_data(as_text=True)
    assert "Walk to the shops and back&lt;script&gt;" in page
    assert page.count("2222-4222") == 0  # the empty goal is not kept
    kept = pages["/movement.json"].get_json()["sessions"][0]["exercises"][0]
    assert kept["flagged"]["fault"]["cue"] == f"{XSS} knees out"
    # The JSON is served as JSON, not something a browser would run as a page.
    assert pages["/movement.json"].mimetype == "application/json"
    assert pages["/movement.json"].headers["X-Content-Type-Options"] == "nosniff"


def test_the_same_hostile_log_twice_is_unchanged_the_second_time(
    ann: tuple[Flask, Web, str, str],
) -> None:
    """Cleaning on the way in is the same each time, so a resent log (the app
    resends the whole log) does not count as changed."""
    app, _, _, token = ann
    log = _log()
    _rp(log)["fault"]["cue"] = f"knees {RLO}out"
    assert _send(app, token, copy.deepcopy(log)).status_code == 201
    r = _send(app, token, log)
    assert r.status_code == 200  # nothing new
    assert r.get_json()["sessions_unchanged"] == 2, r.get_json()


BIG = [str(2**63), str(10**40), "x" * 5000, "%ED%A0%80", "a%00b"]


@pytest.mark.parametrize("pid", BIG, ids=["2^63", "10^40", "long", "surrogate", "nul"])
def test_the_new_routes_are_404_for_odd_ids(
    ann: tuple[Flask, Web, str, str], pid: str
) -> None:
    app, web, real_pid, _ = ann
    assert _send(app, _token_of(ann), _log()).status_code == 201
    session = json.loads(
        web.client.get(f"/participants/{real_pid}/data.json").get_data(as_text=True)
    )
    assert session  # the participant's data is there for the real ID
    for path in (
        f"/participants/{pid}/plan",
        f"/participants/{pid}/movement",
        f"/participants/{pid}/movement.json",
        f"/participants/{real_pid}/sessions/{pid}",
    ):
        r = web.client.get(path)
        assert r.status_code == 404, f"GET {path[:80]}: {r.status_code}"
    r = web.post(f"/participants/{pid}/plan", {"squat.level": "2"})
    assert r.status_code == 404, f"POST plan: {r.status_code}"
    if pid.isdigit():
        for method in ("GET", "POST"):
            url = f"/cohorts/{pid}/plan"
            r = web.client.get(url) if method == "GET" else web.post(url, {})
            assert r.status_code == 404, f"{method} {url}: {r.status_code}"


def _token_of(ann: tuple[Flask, Web, str, str]) -> str:
    return ann[3]


def test_a_plan_note_is_cleaned_like_a_name_before_the_app_gets_it(
    ann: tuple[Flask, Web, str, str],
) -> None:
    """The note is shown on the participant's exercise card: an RLO in it would
    turn the text after it around there."""
    app, web, pid, token = ann
    note = f"{RLO}keep\u200b the chair\u2066 against\x07 the wall{XSS}"
    r = web.post(f"/participants/{pid}/plan", {"squat.note": note})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    sent = app.test_client().get("/api/plan", headers=bearer(token)).get_json()
    assert sent["items"]["squat"]["note"] == f"keep the chair against the wall{XSS}"
    # A note of nothing but invisible characters is no note.
    r = web.post(f"/participants/{pid}/plan", {"squat.note": f"{RLO}\u200b"})
    assert r.status_code == 302
    sent = app.test_client().get("/api/plan", headers=bearer(token)).get_json()
    assert "squat" not in sent["items"]
    page = web.client.get(f"/participants/{pid}/plan").get_data(as_text=True)
    assert RLO not in page and "<script>alert" not in page


def test_the_participants_other_words_are_cleaned_too(
    ann: tuple[Flask, Web, str, str],
) -> None:
    """Questions for class, pacing activities and the flare-up plan's notes are
    shown on the same participant page as the goals."""
    app, web, pid, token = ann
    log = _log()
    when = log["sessions"][0]["started_at"]
    log["class_questions"] = [
        {
            "id": "33333333-3333-4333-8333-333333333333",
            "asked_at": when,
            "text": f"Is {RLO}heat\u200b or ice\x07 better?",
        },
        {"id": "44444444-4444-4444-8444-444444444444", "asked_at": when, "text": RLO},
    ]
    log["pacing_plans"] = [
        {
            "id": "55555555-5555-4555-8555-555555555555",
            "created_at": when,
            "activity": f"Garden{RLO}ing",
            "usual_min": 60,
            "start_min": 20,
            "step_min": 5,
            "goal_min": None,
            "weeks": [20, 25],
        }
    ]
    log["flare_plan"] = {
        "updated_at": when,
        "step_back": [],
        "heat_or_ice": "heat",
        "do_less": f"less {RLO}walking",
        "ask": "gp",
        "note": "call\u2066 Sam",
    }
    assert _send(app, token, log).status_code == 201
    page = web.client.get(f"/participants/{pid}").get_data(as_text=True)
    for ch in (RLO, "\u2066", "\u200b", "\x07"):
        assert ch not in page, repr(ch)
    for words in ("Is heat or ice better?", "Gardening", "less walking", "call Sam"):
        assert words in page, words


@pytest.mark.parametrize(
    "spoil",
    [_short_frames, _one_joint_for_an_upright_line],
    ids=["short frames", "one joint for an upright line"],
)
def test_a_replay_stored_before_the_checks_is_left_out_not_played(
    ann: tuple[Flask, Web, str, str], spoil: Edit
) -> None:
    """A replay kept before the server checked their shape (this round's first
    version) is not handed to the page's script, which would fail on it."""
    from sqlalchemy import select

    from escape_home.instructor import db
    from escape_home.instructor.models import SessionRecord

    app, web, pid, token = ann
    log = _log()
    assert _send(app, token, log).status_code == 201
    spoiled = copy.deepcopy(log)
    spoil(spoiled)
    ses = spoiled["sessions"][0]
    with app.app_context(), db.writing() as s:
        rec = s.scalar(select(SessionRecord).where(SessionRecord.uuid == ses["id"]))
        assert rec is not None
        rec.data = json.dumps(ses)
    r = web.client.get(f"/participants/{pid}/movement.json")
    assert r.status_code == 200
    (entry,) = r.get_json()["sessions"][0]["exercises"]
    assert "good" in entry and "flagged" not in entry
    page = web.client.get(f"/participants/{pid}/movement")
    assert page.status_code == 200
    assert 'data-kind="flagged"' not in page.get_data(as_text=True)
    assert 'data-kind="good"' in page.get_data(as_text=True)
