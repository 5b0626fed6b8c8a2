"""Sign-in, enrolment and password change: every step checks, records its audit event and
flushes; the caller commits (so failures are counted and audited too).

Unknown, disabled and unenrolled users take the same path as known ones: the throttle is
consulted and a failure recorded under the typed name, and the password is checked against a
real dummy bcrypt hash (SD-7). Messages to the user never say which part was wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fallstelle.audit import Event, record
from fallstelle.auth import passwords, sessions, throttle, totp
from fallstelle.auth.errors import AuthRefused, Invalid
from fallstelle.auth.models import EnrolmentToken, User, UserRole
from fallstelle.auth.permissions import Role
from fallstelle.db import as_utc

LINK_VALIDITY = dt.timedelta(hours=24)
PURPOSE_ENROL = "enrol"
PURPOSE_FIRST_ADMIN = "first-admin"


@dataclass(frozen=True)
class Request:
    """What the accounts room needs to know about the caller's request."""

    pepper: bytes
    rounds: int
    now: dt.datetime
    client_key: str = ""
    request_id: str | None = None


def _event(req: Request, action: str, outcome: str = "ok", **fields: str | None) -> Event:
    return Event(
        action=action,
        outcome=outcome,
        request_id=req.request_id,
        client=req.client_key or None,
        **fields,
    )


def normalise_username(username: str) -> str:
    return username.strip().casefold()


def stored_cost(session: Session) -> int | None:
    """Return the most common bcrypt cost among the stored password hashes (ties: the higher)."""
    cost = func.substr(User.password_hash, 5, 2)
    rows = session.execute(
        select(cost, func.count()).where(User.password_hash.is_not(None)).group_by(cost)
    ).all()
    best = max(rows, key=lambda r: (r[1], r[0]), default=None)
    return int(best[0]) if best is not None and str(best[0]).isdigit() else None


def check_password(session: Session, req: Request, username: str, password: str) -> str:
    """First step: return the user id when name and password are right.

    Raises:
        AuthRefused: ``throttled``, ``wrong_password``, ``unknown_user``, ``disabled`` or
            ``not_enrolled`` (the user sees one message for all but ``throttled``).
    """
    name = normalise_username(username)[:64]
    keys = {throttle.account_key(req.pepper, name): throttle.ACCOUNT_LIMIT}
    if req.client_key:
        keys[req.client_key] = throttle.CLIENT_LIMIT
    # Columns only, one query whether or not the name exists: loading the User object would
    # also load its roles and offices, extra queries that tell known names from unknown ones.
    user = session.execute(
        select(User.id, User.password_hash, User.active, User.enrolled_at).where(
            User.username == name
        )
    ).one_or_none()
    actor = {"actor_id": user.id if user else None}
    if throttle.is_throttled(session, keys, req.now):
        record(session, _event(req, "auth.login", "denied", reason="throttled", **actor))
        raise AuthRefused("throttled")
    stored = user.password_hash if user is not None else None
    # The dummy for an unknown name costs what the stored hashes cost, not what is
    # configured: after a cost change they differ until every user signed in again. Asked on
    # every attempt, so the query itself tells nothing either.
    dummy_rounds = stored_cost(session) or req.rounds
    ok = passwords.verify_password(req.pepper, password, stored, dummy_rounds)
    reason = None
    if user is None:
        reason = "unknown_user"
    elif not ok:
        reason = "wrong_password"
    elif not user.active:
        reason = "disabled"
    elif user.enrolled_at is None:
        reason = "not_enrolled"
    if reason is not None:
        throttle.record_failure(session, list(keys), req.now)
        record(session, _event(req, "auth.login", "failed", reason=reason, **actor))
        raise AuthRefused(reason)
    assert user is not None and stored is not None  # noqa: S101 - narrowed above
    if passwords.needs_rehash(stored, req.rounds):
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(password_hash=passwords.hash_password(req.pepper, password, req.rounds))
        )
    record(session, _event(req, "auth.password", "ok", actor_id=user.id))
    return str(user.id)


def check_code(session: Session, req: Request, user_id: str, code: str) -> None:
    """Second step: accept a TOTP code once, within ±1 time step.

    Raises:
        AuthRefused: ``throttled``, ``wrong_code``, ``reused_code`` or ``disabled``.
    """
    user = session.get(User, user_id)
    if user is None or not user.active or user.totp_secret is None:
        record(session, _event(req, "auth.login", "failed", reason="disabled", actor_id=user_id))
        raise AuthRefused("disabled")
    keys = {throttle.account_key(req.pepper, user.username): throttle.ACCOUNT_LIMIT}
    if throttle.is_throttled(session, keys, req.now):
        record(session, _event(req, "auth.login", "denied", reason="throttled", actor_id=user_id))
        raise AuthRefused("throttled")
    secret = totp.unseal(req.pepper, user.id, user.totp_secret)
    step = totp.matching_step(secret, code, req.now.timestamp())
    reason = "wrong_code" if step is None else None
    if step is not None and not _consume_step(session, user.id, step):
        reason = "reused_code"
    if reason is not None:
        throttle.record_failure(session, list(keys), req.now)
        record(session, _event(req, "auth.login", "failed", reason=reason, actor_id=user_id))
        raise AuthRefused(reason)
    record(session, _event(req, "auth.login", "ok", actor_id=user_id))


def _consume_step(session: Session, user_id: str, step: int) -> bool:
    # One conditional UPDATE: of two concurrent requests with the same code, one wins.
    result = session.execute(
        update(User)
        .where(User.id == user_id, User.totp_last_step < step)
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- one-time enrolment links -------------------------------------------------------------


#: Path of the enrolment page (``web.auth.enrol``); links are ``FALLSTELLE_BASE_URL`` + this.
ENROL_PATH = "/einrichten/"


def enrolment_link(base_url: str, token: str) -> str:
    """Return the one-time link people open: always under ``base_url``, never a Host header."""
    return f"{base_url.rstrip('/')}{ENROL_PATH}{token}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(session: Session, now: dt.datetime, user_id: str | None, purpose: str) -> str:
    """Return a new one-time token (valid 24 h); earlier unused ones of the user end now."""
    for old in session.scalars(
        select(EnrolmentToken).where(
            EnrolmentToken.user_id == user_id,
            EnrolmentToken.purpose == purpose,
            EnrolmentToken.used_at.is_(None),
        )
    ):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    session.add(
        EnrolmentToken(
            token_hash=_hash(token),
            user_id=user_id,
            purpose=purpose,
            expires_at=now + LINK_VALIDITY,
        )
    )
    session.flush()
    return token


def open_link(session: Session, req: Request, token: str) -> EnrolmentToken:
    """Return the link's row if it can still be used.

    Raises:
        AuthRefused: ``unknown_link``, ``used_link`` or ``expired_link``.
    """
    row = session.get(EnrolmentToken, _hash(token))
    reason = None
    if row is None:
        reason = "unknown_link"
    elif row.used_at is not None:
        reason = "used_link"
    elif as_utc(row.expires_at) <= req.now:
        reason = "expired_link"
    if reason is not None:
        uid = row.user_id if row else None
        record(session, _event(req, "auth.enrol", "denied", reason=reason, actor_id=uid))
        raise AuthRefused(reason)
    assert row is not None  # noqa: S101
    return row


def set_password_from_link(
    session: Session,
    req: Request,
    token: str,
    password: str,
    *,
    username: str = "",
    display_name: str = "",
) -> str:
    """Enrolment step 1: set the password (and, for the first admin, create the account).

    Returns the new TOTP secret to show; it is stored sealed and takes effect when a code
    made from it is confirmed (:func:`confirm_enrolment`).

    Raises:
        AuthRefused: the link cannot be used.
        Invalid: the password (or the first admin's name) breaks a rule.
    """
    link = open_link(session, req, token)
    if link.purpose == PURPOSE_FIRST_ADMIN and link.user_id is None:
        name = normalise_username(username)
        validate_username(session, name)
        if not display_name.strip():
            raise Invalid("display_name", "required")
        user = User(username=name, display_name=display_name.strip())
        user.roles.append(UserRole(role=Role.ADMIN.value))
        session.add(user)
        session.flush()
        link.user_id = user.id
    else:
        found = session.get(User, link.user_id)
        if found is None:
            raise AuthRefused("unknown_link")
        user = found
    problem = passwords.policy_problem(password, user.username)
    if problem is not None:
        raise Invalid("password", problem)
    user.password_hash = passwords.hash_password(req.pepper, password, req.rounds)
    user.password_changed_at = req.now
    secret = totp.new_secret()
    user.totp_secret = totp.seal(req.pepper, user.id, secret)
    user.totp_last_step = 0
    user.enrolled_at = None
    session.flush()
    record(session, _event(req, "auth.enrol_password", actor_id=user.id))
    return secret


def pending_secret(session: Session, req: Request, token: str) -> tuple[User, str]:
    """Return the user and the TOTP secret to show on enrolment step 2.

    Raises:
        AuthRefused: the link cannot be used or step 1 is not done.
    """
    link = open_link(session, req, token)
    user = session.get(User, link.user_id) if link.user_id else None
    if user is None or user.totp_secret is None or user.password_hash is None:
        raise AuthRefused("enrolment_incomplete")
    return user, totp.unseal(req.pepper, user.id, user.totp_secret)


def confirm_enrolment(session: Session, req: Request, token: str, code: str) -> str:
    """Enrolment step 2: a correct code completes it and uses up the link; returns user id.

    Raises:
        AuthRefused: link unusable, or ``wrong_code``.
    """
    user, secret = pending_secret(session, req, token)
    step = totp.matching_step(secret, code, req.now.timestamp())
    if step is None:
        record(session, _event(req, "auth.enrol", "failed", reason="wrong_code", actor_id=user.id))
        raise AuthRefused("wrong_code")
    link = open_link(session, req, token)
    link.used_at = req.now
    user.totp_last_step = step
    user.enrolled_at = req.now
    sessions.end_for_user(session, user.id)
    session.flush()
    record(session, _event(req, "auth.enrol", actor_id=user.id))
    return user.id


def change_password(
    session: Session, req: Request, user_id: str, current: str, new: str, keep_session: str
) -> None:
    """Change the own password; every other session of the user ends.

    Raises:
        Invalid: ``current`` is wrong, or ``new`` breaks the policy.
    """
    user = session.get(User, user_id)
    if user is None or not passwords.verify_password(
        req.pepper, current, user.password_hash, req.rounds
    ):
        record(
            session,
            _event(
                req, "auth.password_change", "failed", reason="wrong_password", actor_id=user_id
            ),
        )
        raise Invalid("current", "wrong_password")
    problem = passwords.policy_problem(new, user.username)
    if problem is not None:
        raise Invalid("new", problem)
    user.password_hash = passwords.hash_password(req.pepper, new, req.rounds)
    user.password_changed_at = req.now
    sessions.end_for_user(session, user.id, keep_raw=keep_session)
    session.flush()
    record(session, _event(req, "auth.password_change", actor_id=user.id))


def validate_username(session: Session, name: str) -> None:
    """Raise Invalid unless ``name`` is a free, well-formed username (3–64 of a-z0-9._-)."""
    if not 3 <= len(name) <= 64 or not all(
        c.isascii() and (c.isalnum() or c in "._-") for c in name
    ):
        raise Invalid("username", "username_format")
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Invalid("username", "username_taken")
