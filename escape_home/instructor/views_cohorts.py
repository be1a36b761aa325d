"""Cohort and participant pages, exports, the web upload and the live class board.

Every view here needs a signed-in instructor and goes through `owned_cohort` /
`owned_participant`, which answer 404 for anything not theirs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.utils import secure_filename

from escape_home import progress_log
from escape_home.errors import InvalidProgressLog
from escape_home.instructor import (
    db,
    education,
    live_board,
    live_class,
    self_management,
    views_dashboard,
)
from escape_home.instructor.alerts import reviews_for, summarise_participant, triage
from escape_home.instructor.exports import chart_data, cohort_csv, participant_fhir
from escape_home.instructor.forms import (
    ActionForm,
    MergeForm,
    RemoveForm,
    RenameForm,
    UploadForm,
)
from escape_home.instructor.ingest import store_log
from escape_home.instructor.models import (
    Base,
    LiveStatus,
    Participant,
    SessionRecord,
    TestResult,
    Token,
    Upload,
)
from escape_home.instructor.security import (
    new_enrol_code,
    new_relink_code,
    owned_cohort,
    owned_participant,
    revoke_tokens,
)
from escape_home.instructor.text import clean_name

bp = Blueprint("cohorts", __name__)


@bp.route("/cohorts/<int:cohort_id>", methods=["GET"])
@login_required
def cohort(cohort_id: int) -> Any:
    c = owned_cohort(cohort_id)
    today = datetime.now(UTC).date()
    reviews = reviews_for(db.session(), [p.id for p in c.participants])
    rows = [summarise_participant(p, c, today, reviews[p.id]) for p in c.participants]
    return render_template(
        "instructor/cohort.html",
        cohort=c,
        rows=rows,
        triage=triage(rows),
        thresholds=views_dashboard.thresholds_form(c),
        upload=UploadForm(),
        action=ActionForm(),
    )


@bp.route("/cohorts/<int:cohort_id>/export.csv", methods=["GET"])
@login_required
def export_csv(cohort_id: int) -> Any:
    c = owned_cohort(cohort_id)
    name = secure_filename(c.name) or "cohort"
    return Response(
        cohort_csv(c),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@bp.route("/cohorts/<int:cohort_id>/code", methods=["POST"])
@login_required
def new_code(cohort_id: int) -> Any:
    c = owned_cohort(cohort_id)
    if ActionForm().validate_on_submit():
        try:
            with db.writing():
                c.enrol_code = new_enrol_code()
            flash(
                f"New enrolment code: {c.enrol_code}. The old one no longer works.",
                "ok",
            )
        except IntegrityError:
            flash("Could not make a new code; try again.", "error")
    return redirect(url_for("cohorts.cohort", cohort_id=c.id))


@bp.route("/cohorts/<int:cohort_id>/upload", methods=["POST"])
@login_required
def upload(cohort_id: int) -> Any:
    """An instructor uploads a log file a participant handed over."""
    c = owned_cohort(cohort_id)
    form = UploadForm()
    back = redirect(url_for("cohorts.cohort", cohort_id=c.id))
    if not form.validate_on_submit():
        flash("Choose a progress log file to upload.", "error")
        return back
    raw = form.log_file.data.read(current_app.config["MAX_LOG_BYTES"] + 1)
    try:
        with current_app.extensions["escape_home_upload_slots"]:
            log = progress_log.parse(raw, max_bytes=current_app.config["MAX_LOG_BYTES"])
        with db.writing() as s:
            app_uuid = log["participant"]["id"]
            p = s.scalar(select(Participant).where(Participant.app_uuid == app_uuid))
            if p is not None and p.cohort_id != c.id:
                raise InvalidProgressLog("participant.id: belongs to another class")
            if p is None:
                nickname = clean_name(form.nickname.data)  # the form cleans it too
                if not nickname:
                    raise InvalidProgressLog(
                        "this participant is new to the class: enter their name"
                    )
                p = Participant(
                    public_id=progress_log.new_id(), cohort_id=c.id, nickname=nickname
                )
                s.add(p)
                s.flush()
            summary = store_log(s, p, log, raw=raw, via="web")
    except InvalidProgressLog as exc:
        flash(f"Upload refused, nothing was stored. {exc}", "error")
        return back
    flash(
        f"Stored {summary['sessions_new']} new and {summary['sessions_updated']} "
        f"updated sessions for {p.nickname}.",
        "ok",
    )
    return redirect(url_for("cohorts.participant", public_id=p.public_id))


@bp.route("/cohorts/<int:cohort_id>/live", methods=["GET"])
@login_required
def live(cohort_id: int) -> Any:
    c = owned_cohort(cohort_id)
    return _live_page(c, confirm_end=request.args.get("confirm") == "end")


def _live_page(
    c: Any,
    *,
    confirm_end: bool = False,
    error: str | None = None,
    leader: str | None = None,
    number: int | None = None,
    status: int = 200,
) -> Any:
    run = live_class.current(c)
    return render_template(
        "instructor/live.html",
        cohort=c,
        server_address=request.host_url.rstrip("/"),
        spelled=live_board.spell_code(c.enrol_code),
        run=live_class.board_view(run),
        confirm_end=confirm_end and run is not None and run.live,
        class_error=error,
        leader=leader
        if leader is not None
        else live_class.default_leader(current_user),
        number=number or live_class.default_number(c),
        sessions=live_class.SESSIONS,
        leader_max=live_class.LEADER_MAX,
    ), status


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/cohorts/<int:cohort_id>/class", methods=["POST"])
@login_required
def lead_class(cohort_id: int) -> Any:
    """The "Lead the class" panel's buttons (field ``action``: start, next, rest or
    end; ``seq``: the move the page showed). Without JS: back to the live board, or
    the board again with the problem in the panel (400 for what the form cannot
    send, 409 for a class that is not where the page thought). live.js asks for
    JSON: ``{"message", "class"}`` or ``{"error", "class"}``."""
    c = owned_cohort(cohort_id)
    ActionForm().validate_on_submit()  # CSRF is checked before this (CSRFProtect)
    action = request.form.get("action", "")
    leader = request.form.get("leader")
    number_text = request.form.get("number")
    status = 400
    try:
        if action == "start":
            number = (
                live_class.parse_number(number_text)
                if number_text
                else live_class.default_number(c)
            )
            if leader is None or not leader.strip():
                leader = live_class.default_leader(current_user)
            live_class.clean_leader(leader)
            status = 409
            run = live_class.start(c, leader, number)
            message = (
                f"The class has started: session {run.number}, led by {run.leader}. "
                "Participants who open their app join it."
            )
        elif action in live_class.ACTIONS:
            seq = _seq(request.form.get("seq"))
            status = 409
            run = live_class.move(c, action, seq=seq)
            message = (
                "The class has ended. Each app goes on to its own cool-down."
                if action == "end"
                else f"{live_class.describe(run)}. Every app follows."
            )
        else:
            raise live_class.ClassError(
                "action: choose Start the class, Next station, Rest or End the class."
            )
    except live_class.ClassError as exc:
        if _wants_json():
            now = live_class.board_view(live_class.current(c))
            return jsonify(error=str(exc), **{"class": now}), status
        if len(leader or "") > 1000:
            leader = None  # not worth showing again
        return _live_page(
            c,
            error=str(exc),
            leader=leader,
            number=_number_or_none(number_text),
            status=status,
        )
    if _wants_json():
        return jsonify(message=message, **{"class": live_class.board_view(run)})
    flash(message, "ok")
    return redirect(url_for("cohorts.live", cohort_id=c.id), code=303)


def _seq(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        raise live_class.ClassError("seq: reload the page and try again.") from None


def _number_or_none(text: str | None) -> int | None:
    try:
        return live_class.parse_number(text)
    except live_class.ClassError:
        return None


@bp.route("/cohorts/<int:cohort_id>/live.json", methods=["GET"])
@login_required
def live_json(cohort_id: int) -> Any:
    return jsonify(live_board.board(owned_cohort(cohort_id)))


@bp.route("/participants/<public_id>", methods=["GET"])
@login_required
def participant(public_id: str) -> Any:
    p = owned_participant(public_id)
    today = datetime.now(UTC).date()
    sessions = sorted(p.sessions, key=lambda s: (s.started_at, s.number))
    return render_template(
        "instructor/participant.html",
        p=p,
        row=summarise_participant(
            p, p.cohort, today, reviews_for(db.session(), [p.id])[p.id]
        ),
        review_form=views_dashboard.AlertReviewForm(formdata=None),
        session_links={x.number: x.uuid for x in sessions},
        levels=views_dashboard.current_levels(sessions),
        note_form=views_dashboard.NoteForm(formdata=None, note=p.note or ""),
        sessions=sessions,
        summaries={s.uuid: json.loads(s.summary) for s in sessions},
        tests=[(t, json.loads(t.data).get("norm") or {}) for t in p.tests],
        action=ActionForm(),
        rename=RenameForm(formdata=None, nickname=p.nickname),
        merge=MergeForm(formdata=None),
        remove=RemoveForm(formdata=None),
        others=[o for o in p.cohort.participants if o.id != p.id],
        live_tokens=sum(t.revoked_at is None for t in p.tokens),
        tools=self_management.tools(p),
    )


@bp.route("/participants/<public_id>/data.json", methods=["GET"])
@login_required
def participant_data(public_id: str) -> Any:
    return jsonify(chart_data(owned_participant(public_id)))


@bp.route("/participants/<public_id>/fhir.json", methods=["GET"])
@login_required
def participant_fhir_json(public_id: str) -> Any:
    p = owned_participant(public_id)
    body = json.dumps(participant_fhir(p), indent=1)
    return Response(
        body,
        mimetype="application/fhir+json",
        headers={
            "Content-Disposition": f'attachment; filename="{p.public_id}.fhir.json"'
        },
    )


@bp.route("/participants/<public_id>/revoke", methods=["POST"])
@login_required
def revoke(public_id: str) -> Any:
    p = owned_participant(public_id)
    if ActionForm().validate_on_submit():
        with db.writing():
            n = revoke_tokens(p)
        flash(
            f"Upload access revoked ({n} token(s)). Their app must enrol again.", "ok"
        )
    return redirect(url_for("cohorts.participant", public_id=p.public_id))


@bp.route("/participants/<public_id>/relink", methods=["POST"])
@login_required
def relink_code(public_id: str) -> Any:
    """Issue a one-use code that links a (new) device's app to this participant."""
    p = owned_participant(public_id)
    if ActionForm().validate_on_submit():
        with db.writing():
            code = new_relink_code(p)
        flash(
            f"Re-link code for {p.nickname}: {code}. They type it in their app instead "
            "of the class code, within 7 days; it works once, and their old device "
            "stops uploading.",
            "ok",
        )
    return redirect(url_for("cohorts.participant", public_id=p.public_id))


@bp.route("/participants/<public_id>/rename", methods=["POST"])
@login_required
def rename(public_id: str) -> Any:
    p = owned_participant(public_id)
    form = RenameForm()
    if form.validate_on_submit() and form.nickname.data:
        with db.writing():
            p.nickname = form.nickname.data
        flash(f"Renamed to {p.nickname}.", "ok")
    else:
        flash("New name: give a name of 1 to 60 characters.", "error")
    return redirect(url_for("cohorts.participant", public_id=p.public_id))


@bp.route("/participants/<public_id>/merge", methods=["POST"])
@login_required
def merge(public_id: str) -> Any:
    """Move everything of this participant into another of the same class (the
    same person enrolled twice, or uploaded by hand and by their app), then remove
    this one."""
    p = owned_participant(public_id)
    back = redirect(url_for("cohorts.participant", public_id=p.public_id))
    form = MergeForm()
    if not form.validate_on_submit():
        flash("Merge: choose the participant to merge into.", "error")
        return back
    target = db.session().scalar(
        select(Participant).where(Participant.public_id == (form.into.data or ""))
    )
    if target is None or target.cohort_id != p.cohort_id or target.id == p.id:
        flash("Merge: choose another participant of this class.", "error")
        return back
    if p.app_uuid and target.app_uuid and p.app_uuid != target.app_uuid:
        flash(
            "Merge refused: both have their own app linked. Give the person a "
            f"re-link code for {target.nickname} instead, then remove this one.",
            "error",
        )
        return back
    src, dst, app_uuid, name = p.id, target.id, p.app_uuid, p.nickname
    with db.writing() as s:
        for model in (SessionRecord, TestResult, Upload, Token):
            s.execute(
                update(model)
                .where(model.participant_id == src)
                .values(participant_id=dst)
            )
        s.execute(delete(LiveStatus).where(LiveStatus.participant_id == src))
        if p.self_management_at and (
            target.self_management_at is None
            or target.self_management_at < p.self_management_at
        ):  # the newer flare-up plan, pacing plans and questions
            s.execute(
                update(Participant)
                .where(Participant.id == dst)
                .values(
                    self_management=p.self_management,
                    self_management_at=p.self_management_at,
                )
            )
        education.merge(s, p, target)  # the newer beliefs checks and lessons read
        s.execute(
            update(Participant).where(Participant.id == src).values(app_uuid=None)
        )
        s.flush()
        if app_uuid:
            s.execute(
                update(Participant)
                .where(Participant.id == dst, Participant.app_uuid.is_(None))
                .values(app_uuid=app_uuid)
            )
        s.execute(delete(Participant).where(Participant.id == src))
    flash(f"{name} merged into {target.nickname}.", "ok")
    return redirect(url_for("cohorts.participant", public_id=target.public_id))


@bp.route("/participants/<public_id>/remove", methods=["POST"])
@login_required
def remove(public_id: str) -> Any:
    """Delete the participant and all their data (the right to erasure)."""
    p = owned_participant(public_id)
    form = RemoveForm()
    if not (form.validate_on_submit() and form.confirm.data):
        flash("Tick the box to confirm removing this participant.", "error")
        return redirect(url_for("cohorts.participant", public_id=p.public_id))
    cohort_id, name, pid = p.cohort_id, p.nickname, p.id
    with db.writing() as s:
        # Every table that holds something of a participant, including ones added
        # later (alert reviews, plans...), not a list kept by hand.
        for table in reversed(Base.metadata.sorted_tables):
            if "participant_id" in table.c and table.name != "participant":
                s.execute(delete(table).where(table.c.participant_id == pid))
        s.execute(delete(Participant).where(Participant.id == pid))
    flash(f"{name} and all their data were removed.", "ok")
    return redirect(url_for("cohorts.cohort", cohort_id=cohort_id))
