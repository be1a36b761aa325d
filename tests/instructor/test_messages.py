"""The app-server contract (data/messages): one versioned schema per message, the
server refusing what does not match with a 400 naming the field, and its replies
matching the reply schemas (issue 11 item 9)."""

from __future__ import annotations

import time
from importlib import resources

import pytest
from flask import Flask
from instructor_support import Web, bearer, enrol
from jsonschema import Draft202012Validator

from escape_home import messages, progress_log
from escape_home.instructor.sample import make_log
from escape_home.participant import remote


@pytest.mark.parametrize("name", messages.NAMES)
def test_each_message_schema_is_valid_and_versioned(name: str) -> None:
    Draft202012Validator.check_schema(messages.schema(name))
    assert messages.schema(name)["$id"].endswith(f"/{name}/v{messages.VERSION}.json")
    path = f"data/messages/{name}.v{messages.VERSION}.schema.json"
    assert resources.files("escape_home").joinpath(path).is_file()


def test_every_live_state_of_the_schema_is_accepted_and_nothing_else(
    app: Flask, web: Web
) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code)
    c = app.test_client()
    for state in messages.live_states():
        body = {"exercise": None, "reps": 0, "cue": None, "state": state, "ts": 1.0}
        r = c.post(
            "/api/live", json=messages.validate("live", body), headers=bearer(token)
        )
        assert r.status_code == 204, (state, r.get_json())
        (card,) = web.client.get(f"/cohorts/{cohort_id}/live.json").get_json()[
            "participants"
        ]
        assert card["state"] == state
    # What the app sent at the end of a session before the schema: refused, named.
    r = c.post("/api/live", json={"state": "done"}, headers=bearer(token))
    assert r.status_code == 400
    messages.validate("error", r.get_json())
    assert r.get_json()["error"].startswith("state: 'done' is not one of")
    assert "finished" in r.get_json()["error"]
    with pytest.raises(messages.InvalidMessage, match=r"^state:"):
        messages.validate("live", {"state": "done"})


def test_the_constants_are_the_schema_states() -> None:
    constants = {
        messages.JOINED,
        messages.EXERCISING,
        messages.PAUSED,
        messages.RESTING,
        messages.FINISHED,
        messages.LEFT,
    }
    assert constants == set(messages.live_states())
    with pytest.raises(ValueError, match="not a live state"):
        messages.live_state("done")


@pytest.mark.parametrize(
    "body,start",
    [
        ({"code": "ABCD-1234"}, "nickname: missing"),
        ({"nickname": "Ann"}, "code: missing"),
        ({"code": "ABCD-1234", "nickname": "Ann", "age": 70}, "'age': unexpected"),
        ({"code": 12, "nickname": "Ann"}, "code: must be a string"),
        ({"code": "   ", "nickname": "Ann"}, "code:"),
        ({"code": "ABCD-1234", "nickname": ""}, "nickname: too short"),
    ],
)
def test_enrol_refusals_name_the_field(
    app: Flask, web: Web, body: dict[str, object], start: str
) -> None:
    web.create_cohort()
    r = app.test_client().post("/api/enrol", json=body)
    assert r.status_code == 400, r.get_json()
    messages.validate("error", r.get_json())
    assert r.get_json()["error"].startswith(start), r.get_json()


def test_server_replies_match_their_schemas(app: Flask, web: Web) -> None:
    _, code = web.create_cohort()
    c = app.test_client()
    r = c.post("/api/enrol", json={"code": code, "nickname": "Ann"})
    assert r.status_code == 201
    reply = messages.validate("enrol-reply", r.get_json())
    log = make_log(sessions=2, seed=3)
    log["participant"]["id"] = reply["participant_id"]
    for _ in range(2):  # new, then the same again
        r = c.post(
            "/api/logs",
            data=progress_log.dumps(log).encode(),
            headers=bearer(reply["token"]),
            content_type="application/json",
        )
        assert r.status_code in (200, 201), r.get_json()
        messages.validate("upload-reply", r.get_json())
    r = c.post("/api/live", json={"reps": -1}, headers=bearer(reply["token"]))
    assert r.status_code == 400
    messages.validate("error", r.get_json())


def test_the_app_checks_what_it_sends_before_sending() -> None:
    # Nothing listens on port 1: a refusal here comes from the schema, not the network.
    with pytest.raises(remote.RemoteError, match="code"):
        remote.enrol("http://127.0.0.1:1", "", "Ann")
    with pytest.raises(remote.RemoteError, match="nickname"):
        remote.enrol("http://127.0.0.1:1", "ABCD-1234", "x" * 201)
    body = {
        "exercise": None,
        "reps": 0,
        "cue": None,
        "state": "done",
        "ts": time.time(),
    }
    with pytest.raises(messages.InvalidMessage):
        messages.validate("live", body)
