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

    cohort: Mapped[Cohort] = relationship(back_populates="participants")
    sessions: Mapped[list[SessionRecord]] = relationship(
        back_populates="participant", order_by="SessionRecord.started_at"
    )
    tests: Mapped[list[TestResult]] = relationship(order_by="TestResult.taken_at")
    tokens: Mapped[list[Token]] = relationship(back_populates="participant")


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
