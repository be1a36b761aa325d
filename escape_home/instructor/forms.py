"""Web forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange

from escape_home.instructor.text import clean_optional


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class PasswordForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=200)]
    )
    new = PasswordField(
        "New password (at least 10 characters)",
        validators=[DataRequired(), Length(min=10, max=200)],
    )
    again = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new", message="the two differ")],
    )


class CohortForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        "Class name",
        filters=[clean_optional],
        validators=[DataRequired(), Length(max=120)],
    )
    start_date = DateField("First session", validators=[DataRequired()])
    schedule = StringField(
        "When it meets",
        filters=[clean_optional],
        validators=[Length(max=200)],
        description="For example: Tuesdays and Fridays, 10:00",
    )
    sessions_per_week = IntegerField(
        "Sessions per week", default=2, validators=[NumberRange(min=1, max=7)]
    )


class UploadForm(FlaskForm):  # type: ignore[misc]
    nickname = StringField(
        "Participant's name in this class",
        filters=[clean_optional],
        validators=[Length(max=60)],
        description="Used only if this file's participant is new to the class.",
    )
    log_file = FileField("Progress log file (.json)", validators=[FileRequired()])


class RenameForm(FlaskForm):  # type: ignore[misc]
    nickname = StringField(
        "New name",
        filters=[clean_optional],
        validators=[DataRequired(), Length(max=60)],
    )


class MergeForm(FlaskForm):  # type: ignore[misc]
    into = StringField("Merge into", validators=[DataRequired(), Length(max=36)])


class RemoveForm(FlaskForm):  # type: ignore[misc]
    confirm = BooleanField("Yes, remove this participant and all their data")


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something (sign out, revoke, new code): CSRF only."""
