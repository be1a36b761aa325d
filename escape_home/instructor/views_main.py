"""Sign-in and the instructor's home page (their classes)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from escape_home.instructor import db
from escape_home.instructor.forms import (
    ActionForm,
    CohortForm,
    LoginForm,
    PasswordForm,
)
from escape_home.instructor.models import Cohort, Instructor
from escape_home.instructor.security import (
    check_password,
    end_all_login_sessions,
    end_login_session,
    find_instructor,
    hash_password,
    local_next,
    new_enrol_code,
    start_login_session,
)

bp = Blueprint("auth", __name__)

# A real scrypt hash to compare against when the user does not exist, so a login
# attempt takes the same time whether or not the name is known.
_DUMMY_HASH = (
    "scrypt:32768:8:1$H5tW15wnPbDhsCv1$c1e060c717d584a776af835bcc68b93d509e63a736dee"
    "733469decd17950589b5db9232cb3c638718f42921779cbdc1fe2b172d386adf405273c7b49ba8555c6"
)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    # Where Flask-Login was sending the instructor before sign-in: this site only.
    next_path = local_next(request.args.get("next"))
    if form.validate_on_submit():
        user = find_instructor(form.username.data or "")
        stored = user.password_hash if user else _DUMMY_HASH
        if check_password(stored, form.password.data or "") and user is not None:
            if not user.is_active:
                flash("This account is disabled: ask whoever runs the server.", "error")
                return render_template(
                    "instructor/login.html", form=form, next_path=next_path
                )
            session.clear()  # no session fixation
            with db.writing():
                start_login_session(user)
            login_user(user)
            session.permanent = True
            return redirect(next_path or url_for("auth.index"))
        flash("That username and password do not match.", "error")
    return render_template("instructor/login.html", form=form, next_path=next_path)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    if ActionForm().validate_on_submit():
        with db.writing():
            end_login_session()  # a copy of the cookie stops working too
        logout_user()
        session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    """Change one's password; every other signed-in browser is signed out."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not check_password(current_user.password_hash, form.current.data or ""):
            flash("The current password is not right.", "error")
        else:
            try:
                hashed = hash_password(form.new.data or "")
            except ValueError as exc:
                flash(f"New password: {exc}.", "error")
                return render_template("instructor/account.html", form=form)
            uid = current_user.id
            with db.writing() as s:
                user = s.get(Instructor, uid)
                assert user is not None
                user.password_hash = hashed
                end_all_login_sessions(uid)
                start_login_session(user)  # this browser stays signed in
            flash("Password changed. Other browsers have been signed out.", "ok")
            return redirect(url_for("auth.account"))
    for field, errors in form.errors.items():
        if field != "csrf_token":
            flash(f"{getattr(form, field).label.text}: {'; '.join(errors)}", "error")
    return render_template("instructor/account.html", form=form)


@bp.route("/", methods=["GET"])
@login_required
def index() -> Any:
    cohorts = (
        db.session()
        .scalars(
            select(Cohort)
            .where(Cohort.instructor_id == current_user.id)
            .order_by(Cohort.start_date.desc())
        )
        .all()
    )
    return render_template("instructor/index.html", cohorts=cohorts, form=CohortForm())


@bp.route("/cohorts", methods=["POST"])
@login_required
def create_cohort() -> Any:
    form = CohortForm()
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{getattr(form, field).label.text}: {'; '.join(errors)}", "error")
        return redirect(url_for("auth.index"))
    for _attempt in range(5):  # a code collision is astronomically rare, but cheap
        try:
            with db.writing() as s:
                cohort = Cohort(
                    instructor_id=current_user.id,
                    name=form.name.data,
                    start_date=form.start_date.data,
                    schedule=form.schedule.data or "",
                    sessions_per_week=form.sessions_per_week.data or 2,
                    enrol_code=new_enrol_code(),
                )
                s.add(cohort)
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - five random 40-bit codes all taken
        flash("Could not make an enrolment code; try again.", "error")
        return redirect(url_for("auth.index"))
    flash(f"Class created. Enrolment code: {cohort.enrol_code}", "ok")
    return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))
