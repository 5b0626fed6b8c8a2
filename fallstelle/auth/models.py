"""Tables of the accounts room: offices, users, roles, memberships, enrolment links,
failed logins (throttling) and server-side sessions.

Imports only ``fallstelle.db`` and SQLAlchemy. No plaintext secret is stored: passwords as
bcrypt hashes of a peppered pre-hash, TOTP secrets encrypted (``auth.totp``), enrolment
links and session ids only as SHA-256 digests of the random value the user holds.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fallstelle.db import Base, UTCDateTime, utcnow

TZ = DateTime(timezone=True)
VISIBILITY_OFFICE = "office"  # counsellors see every case of the office
VISIBILITY_OWN = "own"  # counsellors see their own cases and those shared with them


def new_user_id() -> str:
    return str(uuid.uuid4())


class Office(Base):
    """A counselling office (Beratungsstelle); one installation may host several."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200), default="")
    case_visibility: Mapped[str] = mapped_column(String(16), default=VISIBILITY_OFFICE)
    counsellors_may_report: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: Moves with every change of the office's staff list (``auth.staff``); not the
    #: optimistic lock of the office's own fields (``version``). Only the database sets it
    #: (an ORM insert leaves it out, so the code runs against older revisions too).
    staff_version: Mapped[int] = mapped_column(Integer, server_default="0")

    #: ``eager_defaults`` off: an insert does not read ``staff_version`` back (RETURNING).
    __mapper_args__ = {"version_id_col": version, "eager_defaults": False}  # noqa: RUF012


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_user_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(80), default=None)
    totp_secret: Mapped[bytes | None] = mapped_column(default=None)
    #: Last accepted TOTP time step: a code is accepted once only (SD-5).
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(TZ, default=None)
    #: Set when the enrolment (password + confirmed 2FA code) is complete; login needs it.
    enrolled_at: Mapped[dt.datetime | None] = mapped_column(TZ, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)

    roles: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )
    memberships: Mapped[list[Membership]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API

    @property
    def enrolled(self) -> bool:
        return self.enrolled_at is not None and self.password_hash is not None


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class Membership(Base):
    __tablename__ = "memberships"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    office: Mapped[Office] = relationship(lazy="joined")


class EnrolmentToken(Base):
    """A one-time link: set password and 2FA (``enrol``), or create the first admin."""

    __tablename__ = "enrolment_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    purpose: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    expires_at: Mapped[UTCDateTime]
    used_at: Mapped[dt.datetime | None] = mapped_column(TZ, default=None)


class LoginFailure(Base):
    """One failed attempt, keyed by account or by client address (throttling, SD-6)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[UTCDateTime]


class WebSession(Base):
    """A server-side session; the browser holds only the random id (SD-8)."""

    __tablename__ = "web_sessions"
    __table_args__ = (UniqueConstraint("id_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None, index=True
    )
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[UTCDateTime] = mapped_column(default=utcnow)


__all__ = [
    "EnrolmentToken",
    "LoginFailure",
    "Membership",
    "Office",
    "User",
    "UserRole",
    "WebSession",
]
