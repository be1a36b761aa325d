"""The session: pain before, camera check, the player, pain after, next levels."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from escape_home import messages
from escape_home.participant import (
    plan_store,
    progress_store,
    progression,
    replay_store,
    store,
    views_class,
)
from escape_home.participant.db import get_db, get_writer
from escape_home.participant.plan_news import template_globals as plan_globals
from escape_home.participant.views_setup import programme, red_flag, score

bp = Blueprint("session", __name__)
bp.app_context_processor(plan_globals)  # Home's plan news (issue 12)


def get_session(sid: str, open_only: bool = False) -> Any:
    """Load a session or abort 404 (409 if it is closed and `open_only`).

    A session cut off by an app restart (interrupted, never closed) is carried on
    where it stood: the person reloaded the page or went on with it.
    """
    row = store.get_session(get_db(), sid)
    if row is None:
        abort(404, f"There is no session {sid}.")
    if open_only and cut_off(row):
        get_writer().call(lambda c: store.resume_session(c, sid))
        row = store.get_session(get_db(), sid) or row
    if open_only and row["status"] != "in_progress":
        abort(409, "This session has already ended.")
    return row


def cut_off(row: Any) -> bool:
    """Interrupted by a crash or restart, and not closed by the person."""
    return bool(row["status"] == "interrupted" and row["ended_at"] is None)


def ended_page(sid: str) -> Response | None:
    """A page of a session that has ended: its summary (if finished) or Home,
    never an error page."""
    row = store.get_session(get_db(), sid)
    if row is None or row["status"] == "in_progress" or cut_off(row):
        return None
    if row["status"] == "completed" or row["pain_after"] is not None:
        return redirect(url_for("session.summary", sid=sid))
    flash("That session has ended. What you did is saved.")
    return redirect(url_for("setup.home"))


def no_camera(sid: str) -> bool:
    """The person chose "Carry on without the camera" for this session."""
    return store.get_setting(get_db(), "no_camera_session") == sid


def live() -> Any:
    return current_app.extensions.get("escape_home.live")


def needs_pain_before(row: Any) -> Response | None:
    """A session never starts its exercise without a pain-before score: send the
    person to the question if it is missing (e.g. they left for Home and came back).
    """
    if row["pain_before"] is None:
        return redirect(url_for("session.pain_before", sid=row["id"]))
    return None


def plan_of(row: Any) -> list[dict[str, Any]]:
    # The instructor's plan followed, if one is kept (issue 12); else the programme.
    # A session joined to a class led live does the class's stations (issue 12
    # item 4), with the person's own session number, levels, plan and targets.
    joined = views_class.class_of(get_db(), row["id"])
    circuit = joined["stations"] if joined is not None else None
    return plan_store.steps(get_db(), programme(), row["number"], circuit)


@bp.route("/session/<sid>/pain-before", methods=("GET", "POST"))
def pain_before(sid: str) -> Any:
    if (gone := ended_page(sid)) is not None:
        return gone
    row = get_session(sid, open_only=True)
    if request.method == "POST":
        value = score("pain")
        if value is None:
            flash("Please choose a number from 0 to 10.")
        else:
            get_writer().call(lambda c: store.update_session(c, sid, pain_before=value))
            current_app.extensions["escape_home.remote"].announce(
                messages.JOINED, None, 0
            )
            return redirect(url_for("session.camera", sid=sid))
    return render_template(
        "participant/pain_before.html", session=row, joint=joint_words()
    )


@bp.route("/session/<sid>/camera")
def camera(sid: str) -> Any:
    if (gone := ended_page(sid)) is not None:
        return gone
    row = get_session(sid, open_only=True)
    if (ask := needs_pain_before(row)) is not None:
        return ask
    if no_camera(sid):  # back at the camera check: the camera is wanted again
        get_writer().call(lambda c: store.set_setting(c, "no_camera_session", None))
    plan = plan_of(row)
    first = next((s for s in plan if s["kind"] == "exercise"), None)
    return render_template(
        "participant/camera.html",
        session=row,
        want_view=first["view"] if first else None,
        has_camera=live() is not None,
    )


@bp.route("/session/<sid>/play")
def play(sid: str) -> Any:
    if (gone := ended_page(sid)) is not None:
        return gone
    row = get_session(sid, open_only=True)
    if (ask := needs_pain_before(row)) is not None:
        return ask
    if request.args.get("camera") == "off":  # "Carry on without the camera"
        get_writer().call(lambda c: store.set_setting(c, "no_camera_session", sid))
    plan = plan_of(row)
    get_writer().call(plan_store.seen)  # told on Home; now it is being followed
    return render_template(
        "participant/play.html",
        session=row,
        plan=plan,
        has_camera=live() is not None and not no_camera(sid),
        finish_offer_s=float(current_app.config["FINISH_OFFER_S"]),
        resume=set_to_resume(row, plan),
        joined=views_class.class_of(get_db(), sid),
    )


def set_to_resume(row: Any, plan: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The set the session's current step left unfinished (a reload, Back, a
    closed window or an app restart), with its reps: `live` if the camera is
    still counting it, so the page carries on with the same set."""
    index = row["step"]
    if not 0 <= index < len(plan) or plan[index]["kind"] != "exercise":
        return None
    sets = store.session_sets(get_db(), row["id"])
    last = sets[-1] if sets else None
    if (
        last is None
        or last["exercise"] != plan[index]["exercise"]
        or last["outcome"] in ("done", "skipped")
    ):
        return None
    worker = live()
    counting = (
        last["outcome"] is None
        and worker is not None
        and worker.state().set_id == last["id"]
    )
    done = len(last["reps"])
    if not counting and done == 0:
        return None
    target = last["target_reps"]
    return {"set_id": last["id"], "reps": done, "live": counting, "target": target}


@bp.post("/api/session/<sid>/step")
def step(sid: str) -> Response:
    get_session(sid, open_only=True)
    index = request.get_json(silent=True, force=True) or {}
    value = index.get("step")
    if not isinstance(value, int) or value < 0:
        abort(400, "step must be a whole number")
    get_writer().submit(lambda c: store.update_session(c, sid, step=value))
    return jsonify(ok=True)


@bp.post("/api/session/<sid>/set/start")
def set_start(sid: str) -> Response:
    row = get_session(sid, open_only=True)
    if row["pain_before"] is None:
        abort(409, "Please say how your pain is before you start.")
    body = request.get_json(silent=True, force=True) or {}
    index = body.get("step")
    plan = plan_of(row)
    if (
        not isinstance(index, int)
        or not 0 <= index < len(plan)
        or plan[index]["kind"] != "exercise"
    ):
        abort(400, "step must point at an exercise of this session")
    s = plan[index]
    worker = None if no_camera(sid) else live()
    again = body.get("resume")
    if (
        isinstance(again, int)
        and worker is not None
        and worker.state().set_id == again
        and any(
            x["id"] == again and x["outcome"] is None
            for x in store.session_sets(get_db(), sid)
        )
    ):  # the page was reloaded (or left and opened again) mid-set: same set
        return jsonify(set_id=again, tracking=worker.state().tracking)
    # The rest of a set cut short earlier: its reps stay logged on that set.
    before = body.get("done_before")
    target = s["target_reps"]
    if isinstance(before, int) and target and 0 < before < target:
        target -= before
    set_id = get_writer().call(lambda c: plan_store.start_set(c, sid, s, target))
    if worker is not None and worker.state().set_id is not None:
        old = int(worker.state().set_id)
        worker.end()  # a set the page left behind
        get_writer().call(lambda c: store.end_set(c, old, "stopped"))
    share = replay_store.consented(get_db())
    tracking = bool(
        worker
        and worker.begin(
            "exercise", s["exercise"], set_id, want_view=s["view"], replay=share
        )
    )
    return jsonify(set_id=set_id, tracking=tracking)


@bp.post("/api/session/<sid>/set/<int:set_id>/end")
def set_end(sid: str, set_id: int) -> Response:
    get_session(sid)
    body = request.get_json(silent=True, force=True) or {}
    outcome = body.get("outcome")
    if outcome not in ("done", "skipped", "stopped"):
        abort(400, "outcome must be done, skipped or stopped")
    worker = live()
    summary: dict[str, Any] = {}
    # Checked and ended under one hold of the worker's lock.
    ended = worker.end_set(set_id) if worker is not None else None
    if ended is not None:
        st, summary = ended
        current_app.extensions["escape_home.remote"].announce(
            messages.RESTING, st.exercise, st.reps
        )
    partial = summary.get("partial_reps")
    partial_n = len(partial) if isinstance(partial, list) else partial
    warnings = [str(w) for w in summary.get("warnings", [])]
    get_writer().call(lambda c: store.end_set(c, set_id, outcome, partial_n, warnings))
    return jsonify(ok=True)


@bp.post("/api/live/pause")
def pause() -> Response:
    body = request.get_json(silent=True, force=True) or {}
    worker = live()
    if worker is not None:
        worker.pause(bool(body.get("paused")))
    return jsonify(ok=True)


@bp.route("/session/<sid>/after", methods=("GET", "POST"))
def after(sid: str) -> Any:
    row = get_session(sid)
    if request.method == "POST":
        pain, effort = score("pain"), score("exertion")
        if pain is None or effort is None:
            flash("Please choose a number from 0 to 10 for both questions.")
        else:
            finish(sid, pain, effort, stopped=request.form.get("stopped") == "1")
            return redirect(url_for("session.summary", sid=sid))
    worker = live()
    if worker is not None:
        worker.end()
    return render_template(
        "participant/after.html",
        session=row,
        stopped=request.args.get("stopped") == "1",
        joint=joint_words(),
    )


def joint_words() -> str:
    """The joint the person named on their profile, in plain words."""
    profile = store.get_profile(get_db())
    joint = profile["joint"] if profile is not None else None
    words = {"knee": "knee", "hip": "hip", "both": "knee and hip"}
    return words.get(str(joint), "knee or hip")


def finish(sid: str, pain: int, effort: int, stopped: bool = False) -> None:
    """Close the session, work out level suggestions, queue the upload. A session
    the person stopped early is logged as not finished ("interrupted"): it does
    not count as done."""
    row = store.get_session(get_db(), sid)
    prog = programme()
    levels = plan_store.levels(get_db())
    sets = store.session_sets(get_db(), sid)
    suggestions: dict[str, tuple[str, str]] = {}
    for s in sets:  # the last set of each exercise decides
        ex = s["exercise"]
        if ex in prog.exercises:
            suggestions[ex] = progression.suggest(
                s,
                levels.get(ex, 1),
                prog.max_level(ex),
                pain,
                row["pain_before"] if row else None,
            )

    def write(c: Any) -> None:
        store.update_session(c, sid, pain_after=pain, exertion=effort)
        store.finish_session(c, sid, "interrupted" if stopped else "completed")
        progress_store.save_suggestions(c, sid, suggestions)

    get_writer().call(write)
    client = current_app.extensions["escape_home.remote"]
    # Stopped early is "left": the board shows it apart from a finished session.
    client.announce(messages.LEFT if stopped else messages.FINISHED, None, 0)
    client.upload_soon()


@bp.route("/session/<sid>/summary", methods=("GET", "POST"))
def summary(sid: str) -> Any:
    row = get_session(sid)
    prog = programme()
    conn = get_db()
    levels = plan_store.levels(conn)
    if request.method == "POST":
        chosen: list[tuple[str, str, int]] = []
        for sug in progress_store.suggestions(conn, sid):
            ex = sug["exercise"]
            choice = request.form.get(f"choice_{ex}", sug["suggestion"])
            if choice in ("up", "stay", "back"):
                level = progression.new_level(
                    choice, levels.get(ex, 1), prog.max_level(ex)
                )
                chosen.append((ex, choice, level))

        def save(c: Any) -> None:
            for ex, choice, level in chosen:
                progress_store.choose_progression(c, sid, ex, choice, level)
            plan_store.chosen(c, {ex: (ch, lv) for ex, ch, lv in chosen})

        get_writer().call(save)
        flash("Saved. Your next session will use these levels.")
        return redirect(url_for("setup.home"))
    items = []
    for sug in progress_store.suggestions(conn, sid):
        ex = sug["exercise"]
        lv = levels.get(ex, 1)
        items.append(
            {
                "exercise": ex,
                "name": prog.exercises[ex]["name"],
                "suggestion": sug["suggestion"],
                "reason": sug["reason"],
                "level": prog.level(ex, lv),
                "up": prog.level(ex, lv + 1) if lv < prog.max_level(ex) else None,
                "back": prog.level(ex, lv - 1) if lv > 1 else None,
            }
        )
    sets = store.session_sets(conn, sid)
    for s in sets:  # the form tip heard most often in this set, if any
        cues = Counter(f["cue"] for r in s["reps"] for f in r["faults"])
        s["tip"] = cues.most_common(1)[0][0] if cues else None
    return render_template(
        "participant/summary.html",
        session=row,
        items=items,
        sets=sets,
        names={k: v["name"] for k, v in prog.exercises.items()},
        advice=progression.pain_advice(row["pain_before"], row["pain_after"]),
    )


@bp.post("/session/<sid>/resume")
def resume(sid: str) -> Response:
    row = get_session(sid)
    if red_flag(get_db()) is not None:  # a "yes" at the last safety check stands
        flash(
            "Please get advice before you carry on. When you have, press "
            "\u201cI have had advice, or it has passed\u201d."
        )
        return redirect(url_for("setup.home"))
    get_writer().call(lambda c: store.resume_session(c, sid))
    return needs_pain_before(row) or redirect(url_for("session.camera", sid=sid))


@bp.post("/session/<sid>/close")
def close(sid: str) -> Response:
    get_session(sid)
    get_writer().call(lambda c: store.finish_session(c, sid, "interrupted"))
    current_app.extensions["escape_home.remote"].announce(messages.LEFT, None, 0)
    flash("That session is closed. It stays in your log as not finished.")
    return redirect(url_for("setup.home"))
