"""Database tables of the instructor server (SQLAlchemy 2 declarative models).

The schema itself is created and changed only by the Alembic migrations in
``migrations/versions``; keep the two in step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC, hand back aware UTC: SQLite has no time zones."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        result: datetime = value.replace(tzinfo=UTC)
        return result


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Instructor(Base):
    __tablename__ = "instructor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set by an administrator (`escape-home instructor disable-user`): no sign-in."""

    cohorts: Mapped[list[Cohort]] = relationship(back_populates="instructor")

    # Flask-Login protocol.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    def get_id(self) -> str:
        return str(self.id)


class LoginSession(Base):
    """A signed-in browser. The cookie carries a random 256-bit ID; only its SHA-256
    is stored. Sign-out revokes the row; a password change or a disabled account
    revokes every row of the instructor, so a copied cookie stops working."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instructor_id: Mapped[int] = mapped_column(
        ForeignKey("instructor.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    instructor: Mapped[Instructor] = relationship()


class Cohort(Base):
    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instructor_id: Mapped[int] = mapped_column(
        ForeignKey("instructor.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[date] = mapped_column(Date)
    schedule: Mapped[str] = mapped_column(String(200), default="")
    sessions_per_week: Mapped[int] = mapped_column(Integer, default=2)
    enrol_code: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Alert thresholds of this class (`instructor.alerts`; defaults from the pain
    # rules of docs/escape-pain.md §1.6, heuristics needing clinical sign-off).
    alert_pain_above: Mapped[int] = mapped_column(
        Integer, default=5, server_default="5"
    )
    """Alert when pain after exercise is above this (0-10)."""
    alert_pain_rise: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    """...or at least this many points above the pain before."""
    alert_next_day_sessions: Mapped[int] = mapped_column(
        Integer, default=2, server_default="2"
    )
    """Next-day pain above the pre-session pain on this many sessions in a row."""
    alert_behind: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    """Sessions behind the schedule."""
    alert_fault_percent: Mapped[int] = mapped_column(
        Integer, default=50, server_default="50"
    )
    """A form fault on at least this share of an exercise's reps in a session."""

    instructor: Mapped[Instructor] = relationship(back_populates="cohorts")
    participants: Mapped[list[Participant]] = relationship(
        back_populates="cohort", order_by="Participant.nickname"
    )


class Participant(Base):
    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohort.id", ondelete="CASCADE"), index=True
    )
    nickname: Mapped[str] = mapped_column(String(60))
    app_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    joint: Mapped[str | None] = mapped_column(String(8))
    age_band: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_upload_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    relink_code_hash: Mapped[str | None] = mapped_column(
        String(64), unique=True, index=True
    )
    """SHA-256 of a one-use code the instructor issued: an app that enrols with it
    is linked to this participant (a new or reset device), not to a new one."""
    relink_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    self_management: Mapped[str | None] = mapped_column(Text)
    """JSON: the flare-up plan, pacing plans and class questions of the newest log
    that had them (log minor version 1; see `instructor.self_management`)."""
    self_management_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """`exported_at` of the log `self_management` came from (older ones are skipped)."""
    note: Mapped[str | None] = mapped_column(Text)
    """The instructor's own free-text note (never sent to the app)."""
    education: Mapped[str | None] = mapped_column(Text)
    """JSON: the beliefs checks and the lessons read of the newest log that had them
    (log minor version 2; see `instructor.education`)."""
    education_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """`exported_at` of the log `education` came from (older ones are skipped)."""

    cohort: Mapped[Cohort] = relationship(back_populates="participants")
    sessions: Mapped[list[SessionRecord]] = relationship(
        back_populates="participant", order_by="SessionRecord.started_at"
    )
    tests: Mapped[list[TestResult]] = relationship(order_by="TestResult.taken_at")
    tokens: Mapped[list[Token]] = relationship(back_populates="participant")


class AlertReview(Base):
    """An instructor's review of one alert of one participant: acknowledged (being
    followed up) or resolved, with a note. `evidence` is the JSON list of what the
    alert rested on when reviewed; the alert opens again only when it rests on
    something new (see `instructor.alerts`)."""

    __tablename__ = "alert_review"
    __table_args__ = (
        UniqueConstraint("participant_id", "key", name="uq_alert_review_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    instructor_id: Mapped[int | None] = mapped_column(
        ForeignKey("instructor.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Token(Base):
    """An upload token. Only its SHA-256 is stored: the token has 256 random bits,
    so a fast hash is enough (a slow password hash would only slow every upload)."""

    __tablename__ = "token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    participant: Mapped[Participant] = relationship(back_populates="tokens")


class SessionRecord(Base):
    """One exercise session; `uuid` (from the app) is the idempotency key."""

    __tablename__ = "exercise_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pain_before: Mapped[int | None] = mapped_column(Integer)
    pain_after: Mapped[int | None] = mapped_column(Integer)
    pain_next_day: Mapped[int | None] = mapped_column(Integer)
    exertion: Mapped[int | None] = mapped_column(Integer)
    safety_any_yes: Mapped[bool] = mapped_column(Boolean, default=False)
    total_reps: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[str] = mapped_column(Text)
    """The session exactly as uploaded (JSON): sets, reps, faults, safety answers."""
    summary: Mapped[str] = mapped_column(Text)
    """Small JSON made at upload for the dashboards (see `ingest.summarise`)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    participant: Mapped[Participant] = relationship(back_populates="sessions")


class TestResult(Base):
    """One standardised test result (chair stand, five-times sit-to-stand)."""

    __tablename__ = "test_result"
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    result: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(8))
    data: Mapped[str] = mapped_column(Text)


class LiveStatus(Base):
    """The latest live-class update of one participant (one row each, upserted)."""

    __tablename__ = "live_status"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohort.id", ondelete="CASCADE"), index=True
    )
    exercise: Mapped[str | None] = mapped_column(String(32))
    reps: Mapped[int] = mapped_column(Integer, default=0)
    cue: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    client_ts: Mapped[float | None] = mapped_column(Float)
    share: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The participant chose to show their nickname and count to the others of a
    class led live (live update ``share``; off by default)."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Upload(Base):
    """Audit trail: one row per accepted upload."""

    __tablename__ = "upload"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    via: Mapped[str] = mapped_column(String(8))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    sessions_new: Mapped[int] = mapped_column(Integer)
    sessions_updated: Mapped[int] = mapped_column(Integer)


class ExercisePlan(Base):
    """The instructor's exercise plan of a class or of one participant (issue 12):
    exactly one of `cohort_id` and `participant_id` is set. `items` is the JSON of
    message ``plan``'s items (data/messages/plan.v1.schema.json); `revision` goes up
    at each save, so an app can tell a new plan (see `views_plan.plan_for`)."""

    __tablename__ = "exercise_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort.id", ondelete="CASCADE"), unique=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), unique=True
    )
    revision: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClassRun(Base):
    """A class led live (issue 12 item 4; see `instructor.live_class`): the instructor
    started it from the live board and moves everyone from station to station.
    `stations` is the JSON list of the circuit's exercise IDs of session `number`;
    `station` indexes it (null while gathering); `seq` goes up with every move, and
    on from the cohort's previous run, so an app never sees it go back."""

    __tablename__ = "class_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohort.id", ondelete="CASCADE"), index=True
    )
    leader: Mapped[str] = mapped_column(String(80))
    number: Mapped[int] = mapped_column(Integer)
    stations: Mapped[str] = mapped_column(Text)
    phase: Mapped[str] = mapped_column(String(16))
    station: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
