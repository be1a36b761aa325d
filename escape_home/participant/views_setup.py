"""Home page, profile, safety check, next-day pain and settings."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from escape_home.participant import progress_store, remote, store, views_class
from escape_home.participant.dates import plain_day
from escape_home.participant.db import get_db, get_writer
from escape_home.participant.programme import Programme

bp = Blueprint("setup", __name__)

AGE_BANDS = (
    "45-49",
    "50-54",
    "55-59",
    "60-64",
    "65-69",
    "70-74",
    "75-79",
    "80-84",
    "85-89",
    "90+",
)
JOINTS = {
    "knee": "My knee (or knees)",
    "hip": "My hip (or hips)",
    "both": "Both knee and hip",
}
SEXES = {"female": "Female", "male": "Male", "": "I'd rather not say"}


def programme() -> Programme:
    prog: Programme = current_app.extensions["escape_home.programme"]
    return prog


def score(name: str) -> int | None:
    """Read a 0-10 score from the form; None if missing or out of range."""
    raw = request.form.get(name, "")
    if not raw.isdigit() or not 0 <= int(raw) <= 10:
        return None
    return int(raw)


#: Rough seconds per part of a session, for "It takes about N minutes": a topic,
#: the card and countdown before each part, one repetition, a strength check.
TOPIC_S, CARD_S, REP_S, CHECK_S = 60, 20, 4, 120


def session_minutes(plan: list[dict[str, Any]]) -> int:
    """About how long a session's plan takes, in minutes (to the nearest 5)."""
    total = 0.0
    for step in plan:
        kind = step["kind"]
        if kind == "education":
            total += TOPIC_S
        elif kind == "test":
            total += CHECK_S
        elif kind == "exercise":
            work = step.get("target_s") or REP_S * (step.get("target_reps") or 0)
            total += CARD_S + float(work) + (float(step.get("rest_s") or 0))
        else:
            total += CARD_S + float(step.get("seconds") or 0)
    return max(5, 5 * round(total / 300))


@bp.route("/")
def home() -> Any:
    conn = get_db()
    profile = store.get_profile(conn)
    if profile is None:
        return redirect(url_for("setup.profile"))
    hours = float(current_app.config["NEXT_DAY_HOURS"])
    number = store.next_session_number(conn)
    plan = programme().plan(number, progress_store.levels(conn))
    is_linked = linked(conn)
    return render_template(
        "participant/home.html",
        profile=profile,
        minutes=session_minutes(plan),
        next_number=number,
        done=store.completed_count(conn),
        interrupted=store.interrupted_session(conn),
        next_day=store.needs_next_day_pain(conn, hours),
        red_flag=red_flag(conn),
        class_linked=is_linked,
        class_card=views_class.home_card() if is_linked else None,
    )


def linked(conn: Any) -> bool:
    """This computer is linked to an instructor."""
    return bool(store.get_setting(conn, "server") and store.get_setting(conn, "token"))


@bp.route("/profile", methods=("GET", "POST"))
def profile() -> Any:
    conn = get_db()
    current = store.get_profile(conn)
    if request.method == "POST":
        nickname = request.form.get("nickname", "").strip()
        joint = request.form.get("joint", "")
        age_band = request.form.get("age_band", "")
        sex = request.form.get("sex", "")
        error = None
        if not nickname or len(nickname) > 40:
            error = "Please type a first name or nickname (up to 40 letters)."
        elif joint not in JOINTS:
            error = "Please choose which joint troubles you."
        elif age_band not in AGE_BANDS:
            error = "Please choose your age group."
        elif sex not in SEXES:
            error = "Please choose one of the answers for sex, or 'I'd rather not say'."
        if error is None:
            get_writer().call(
                lambda c: store.save_profile(c, nickname, joint, age_band, sex or None)
            )
            return redirect(url_for("setup.home"))
        flash(error)
    return render_template(
        "participant/profile.html",
        profile=current,
        form=request.form,
        age_bands=AGE_BANDS,
        joints=JOINTS,
        sexes=SEXES,
    )


@bp.route("/safety", methods=("GET", "POST"))
def safety() -> Any:
    conn = get_db()
    if store.get_profile(conn) is None:
        return redirect(url_for("setup.profile"))
    # The full check until one has been passed; after that the brief one.
    first = not any(not row["any_yes"] for row in store.sessions(conn))
    prog = programme()
    questions = prog.safety_questions if first else prog.brief_safety_questions()
    # "Join the class" (issue 12 item 4): the same check, then the class session.
    class_id = request.args.get("class")
    if class_id is not None:
        views_class.follower().touch()
    if request.method == "POST":
        answers: dict[str, bool] = {}
        for q in questions:
            value = request.form.get(q["key"])
            if value not in ("yes", "no"):
                flash("Please answer every question with Yes or No.")
                return render_template(
                    "participant/safety.html",
                    questions=questions,
                    first=first,
                    form=request.form,
                    joining=joining(class_id),
                )
            answers[q["key"]] = value == "yes"
        number = store.next_session_number(conn)
        sid = get_writer().call(lambda c: store.start_session(c, number, answers))
        if any(answers.values()):
            emergency = any(answers[q["key"]] for q in questions if q.get("emergency"))
            return render_template("participant/stop.html", emergency=emergency)
        if class_id is not None:
            views_class.ask_now()  # where the class is now (a moment at most)
            message = views_class.live_message(class_id)
            if message is not None:
                get_writer().call(lambda c: views_class.join(c, sid, message))
            else:
                flash(
                    "The class is not on any more, so this session is your own, "
                    "at your own pace."
                )
        return redirect(url_for("session.pain_before", sid=sid))
    return render_template(
        "participant/safety.html",
        questions=questions,
        first=first,
        form={},
        joining=joining(class_id),
    )


def joining(class_id: str | None) -> str | None:
    """ "You are joining the class with Alice." on the safety check, if so."""
    if class_id is None:
        return None
    message = views_class.live_message(class_id)
    if message is None:
        return None
    leader = message.get("leader")
    return f"You are joining the class{f' with {leader}' if leader else ''}."


#: Setting: the session whose "yes" in the safety check the person has said is
#: dealt with (they were seen, or it has passed). No schema change for one value.
RED_FLAG_SEEN = "red_flag_seen"


def red_flag(conn: Any) -> dict[str, Any] | None:
    """The last safety check, if it had a "yes" the person has not yet said is
    dealt with: the advice is shown again at every launch until they do (a later
    check answered all "no" also ends it)."""
    rows = store.sessions(conn)
    if not rows or not rows[-1]["any_yes"]:
        return None
    last = rows[-1]
    if store.get_setting(conn, RED_FLAG_SEEN) == last["id"]:
        return None
    answers = json.loads(last["safety_answers"] or "{}")
    asked = {q["key"]: q for q in programme().safety_questions}
    return {
        "id": last["id"],
        "when": plain_day(last["started_at"]),
        "emergency": any(
            v and asked.get(k, {}).get("emergency") for k, v in answers.items()
        ),
        "said_yes": [asked[k]["text"] for k, v in answers.items() if v and k in asked],
    }


@bp.post("/safety/seen")
def red_flag_seen() -> Response:
    sid = request.form.get("session_id", "")
    if store.get_session(get_db(), sid) is None:
        flash("That safety check was not found. Nothing was changed.")
    else:
        get_writer().call(lambda c: store.set_setting(c, RED_FLAG_SEEN, sid))
        flash("Thank you. Remember: if the problem comes back, get advice first.")
    return redirect(url_for("setup.home"))


@bp.post("/next-day-pain")
def next_day_pain() -> Response:
    sid = request.form.get("session_id", "")
    value = score("pain")
    if value is None:
        flash("Please choose a number from 0 to 10.")
    else:
        get_writer().call(lambda c: store.record_next_day_pain(c, sid, value))
        current_app.extensions["escape_home.remote"].upload_soon()
        flash("Thank you. Your answer is saved.")
    return redirect(url_for("setup.home"))


@bp.route("/settings", methods=("GET", "POST"))
def settings() -> Any:
    conn = get_db()
    client: remote.RemoteClient = current_app.extensions["escape_home.remote"]
    if request.method == "POST":
        action = request.form.get("action")
        if action == "enrol":
            typed = request.form.get("server", "").strip()
            try:
                server = remote.check_server(typed)
                code = request.form.get("code", "").strip()
                if not code:
                    raise remote.RemoteError(
                        "Please type the code your instructor gave you."
                    )
                profile = store.get_profile(conn)
                nickname = profile["nickname"] if profile else ""
                pid, token = remote.enrol(server, code, nickname)
            except remote.RemoteError as exc:
                flash(plain_link_error(str(exc), typed))
                # What the person typed stays in the boxes, to correct it.
                return settings_page(conn, client, typed, request.form.get("code"))
            else:

                def save(c: Any) -> None:
                    store.set_setting(c, "server", server)
                    store.set_setting(c, "participant_id", pid)
                    store.set_setting(c, "token", token)

                get_writer().call(save)
                client.upload_soon()
                flash("You are now linked to your instructor.")
        elif action == "forget":

            def forget(c: Any) -> None:
                for key in ("server", "participant_id", "token", remote.CLASS_SHARE):
                    store.set_setting(c, key, None)

            get_writer().call(forget)
            client.classes.forget()
            flash("This computer is no longer linked to an instructor.")
        elif action == "share" and linked(conn):
            # A class led live (issue 12 item 4): off unless the box is ticked.
            share = request.form.get("share") == "1"
            value = "1" if share else None
            get_writer().call(lambda c: store.set_setting(c, remote.CLASS_SHARE, value))
            flash(
                "The others in your class will see your name and count."
                if share
                else "The others in your class will not see your name or count. "
                "Your instructor still sees how you are doing."
            )
        return redirect(url_for("setup.settings"))
    return settings_page(conn, client)


def settings_page(
    conn: Any,
    client: remote.RemoteClient,
    typed_server: str | None = None,
    typed_code: str | None = None,
) -> str:
    return render_template(
        "participant/settings.html",
        server=store.get_setting(conn, "server"),
        enrolled=store.get_setting(conn, "token") is not None,
        pending=store.get_setting(conn, "upload_pending") is not None,
        last_error=client.last_error,
        last_upload=client.last_upload,
        share=store.get_setting(conn, remote.CLASS_SHARE) == "1",
        typed_server=typed_server or "",
        typed_code=typed_code or "",
    )


def plain_link_error(message: str, typed: str) -> str:
    """A linking error in plain words: never a raw TLS or socket message."""
    if "could not be reached" not in message:
        return message
    raw = message.lower()
    if "://" not in typed and any(w in raw for w in ("ssl", "tls", "certificate")):
        return (
            f"{typed} did not answer securely. If the address your instructor "
            "gave you starts with http://, type it in full, with http:// at the "
            "start."
        )
    return (
        f"I could not reach {typed or 'that address'}. Check the web address "
        "with your instructor and that this computer is online, then try again."
    )
