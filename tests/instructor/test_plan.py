"""The instructor's exercise plan (issue 12 item 1): the form per class and per
participant refuses what the app could not follow, with the problem beside the field
and nothing saved; GET /api/plan sends the class plan with the participant's own
items over it, as message ``plan``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from instructor_support import Web, bearer, enrol

from escape_home import messages, plans
from escape_home.instructor.views_plan import programme


def _plan(app: Flask, token: str) -> dict[str, Any]:
    r = app.test_client().get("/api/plan", headers=bearer(token))
    assert r.status_code == 200, r.get_data(as_text=True)
    body = messages.validate("plan", r.get_json())
    plans.check(body, programme())  # what the app checks too
    return body


def _participant_page(web: Web, cohort_id: int) -> str:
    page = web.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    m = re.search(r'href="/participants/([0-9a-f-]+)"', page)
    assert m is not None
    return f"/participants/{m.group(1)}"


def test_no_plan_is_an_empty_plan(app: Flask, web: Web) -> None:
    _, code = web.create_cohort()
    _, token = enrol(app, code)
    assert _plan(app, token) == {"version": 0, "updated_at": None, "items": {}}
    r = app.test_client().get("/api/plan")
    assert r.status_code == 401
    messages.validate("error", r.get_json())


def test_class_plan_then_participant_plan_item_by_item(app: Flask, web: Web) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code)
    page = web.client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert f'href="/cohorts/{cohort_id}/plan"' in page  # reachable from the class
    r = web.post(
        f"/cohorts/{cohort_id}/plan",
        {
            "squat.target_reps": "10",
            "squat.note": "  keep the chair   against the wall ",
            "marching.target_s": "60",
        },
    )
    assert r.status_code == 302
    plan = _plan(app, token)
    assert plan["version"] == 1
    assert plan["items"] == {
        "squat": {"target_reps": 10, "note": "keep the chair against the wall"},
        "marching": {"target_s": 60},
    }
    who = _participant_page(web, cohort_id)
    assert f'href="{who}/plan"' in web.client.get(who).get_data(as_text=True)
    form = web.client.get(f"{who}/plan").get_data(as_text=True)
    assert "Class plan: 10 repetitions, note: keep the chair against the wall" in form
    r = web.post(
        f"{who}/plan",
        {"squat.swap": "sit_to_stand", "squat.level": "2", "step_up.sets": "2"},
    )
    assert r.status_code == 302
    plan = _plan(app, token)
    assert plan["version"] == 2  # class revision 1 + their revision 1
    assert plan["items"] == {
        "squat": {"swap": "sit_to_stand", "level": 2},  # their item, whole
        "marching": {"target_s": 60},  # the class's
        "step_up": {"sets": 2},
    }
    assert plan["updated_at"] is not None


@pytest.mark.parametrize(
    "data,field,text",
    [
        (
            {"squat.target_reps": "500"},
            "squat-target_reps",
            "500 is not possible; give 1 to 50",
        ),
        ({"squat.target_reps": "0"}, "squat-target_reps", "0 is not possible"),
        ({"squat.target_reps": "ten"}, "squat-target_reps", "give a whole number"),
        (
            {"squat.level": "7"},
            "squat-level",
            "Mini squat has levels 1 to 4; level 7 does not exist",
        ),
        (
            {"marching.target_reps": "10"},
            "marching-target_reps",
            "is timed: give seconds",
        ),
        ({"squat.target_s": "30"}, "squat-target_s", "counted in repetitions"),
        ({"squat.swap": "hamstring_curl"}, "squat-swap", "not in the programme"),
        (
            {"squat.swap": "dancing"},
            "squat-swap",
            "dancing&#39; is not an exercise of the catalogue",
        ),
        ({"squat.sets": "9"}, "squat-sets", "give 1 to 5"),
        ({"squat.note": "x" * 201}, "squat-note", "keep it to 200 characters"),
    ],
)
def test_impossible_plans_are_refused_beside_the_field(
    app: Flask, web: Web, data: dict[str, str], field: str, text: str
) -> None:
    cohort_id, code = web.create_cohort()
    _, token = enrol(app, code)
    r = web.post(f"/cohorts/{cohort_id}/plan", {**data, "heel_raise.target_reps": "12"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "The plan was not saved" in page
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(text)}', page), page[-3000:]
    assert 'value="12"' in page  # what was typed is kept
    assert _plan(app, token)["version"] == 0  # nothing saved


def test_the_plan_pages_are_the_instructors_own(app: Flask, web: Web) -> None:
    from instructor_support import add_instructor, login

    cohort_id, _ = web.create_cohort()
    add_instructor(app, "bob")
    other = login(app, "bob")
    assert other.client.get(f"/cohorts/{cohort_id}/plan").status_code == 404
    assert app.test_client().get(f"/cohorts/{cohort_id}/plan").status_code in (302, 401)


def test_the_session_row_says_plan_followed_and_stepped_back() -> None:
    from escape_home.instructor.views_plan import session_plan_notes

    data = (
        '{"sets": [{"exercise": "squat", "level": 2, "plan_version": 3,'
        ' "stepped_back_from": 3}, {"exercise": "sit_to_stand", "level": 1,'
        ' "plan_version": 3, "swapped_from": "step_up"}, {"exercise": "marching",'
        ' "level": 1}]}'
    )
    assert session_plan_notes(data) == [
        "Mini squat: stepped back from level 3 to 2 (pain)",
        "Sit to stand: plan followed (instead of Step ups)",
    ]
