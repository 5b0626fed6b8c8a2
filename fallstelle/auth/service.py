"""Administration of offices and users, and loading the actor of a request.

Every function takes an explicit session and actor, checks the permission, records its
audit event and flushes; the caller commits. An admin never sees or sets a password: a new
or reset account gets a one-time enrolment link (``login.issue_link``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fallstelle.audit import Event, record
from fallstelle.auth import login, reads, sessions, staff
from fallstelle.auth.actor import Actor
from fallstelle.auth.errors import Conflict, Invalid, NotAllowed
from fallstelle.auth.models import (
    VISIBILITY_OFFICE,
    VISIBILITY_OWN,
    Membership,
    Office,
    User,
    UserRole,
)
from fallstelle.auth.permissions import Permission, Role

OFFICE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,31}")


def _require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise NotAllowed(permission.value)


def _audit(session: Session, actor: Actor, action: str, object_type: str, object_id: str) -> None:
    record(session, actor.event(action, object_type=object_type, object_id=object_id))


#: ``session.info`` key: office id → case visibility policy of the actor's offices, as read
#: with the actor in this session's transaction, so that the case room's visibility check
#: (``cases.access.may_see``) finds the policy without asking the database again.
OFFICES = "fallstelle.auth.offices"


def load_actor(session: Session, user_id: str) -> Actor | None:
    """Return the actor of an active, enrolled user, or None (one SQL statement of plain
    rows: the user's flags, each role × each membership with its office's policies)."""
    return actor_from_rows(
        session, user_id, session.execute(reads.ACTOR_ROWS, {"user_id": user_id}).all()
    )


def actor_from_rows(
    session: Session, user_id: str, rows: Sequence[Sequence[Any]]
) -> Actor | None:
    """:func:`load_actor` from rows of ``reads.ACTOR_ROWS`` read in ``session``'s current
    transaction (the session row's statement reads them too: ``sessions.Loaded``)."""
    if not rows:
        return None
    active, enrolled_at, password_hash = rows[0][:3]
    if not active or enrolled_at is None or password_hash is None:  # User.enrolled
        return None
    roles: set[Role] = set()
    visibility: dict[int, str] = {}
    reporting: set[int] = set()
    versions: dict[int, int] = {}
    for *_, role, office_id, case_visibility, may_report, staff_version in rows:
        if role is not None:
            roles.add(Role(role))
        if office_id is not None:
            visibility[office_id] = case_visibility
            versions[office_id] = staff_version
            if may_report:
                reporting.add(office_id)
    session.info[OFFICES] = visibility
    staff.note_versions(session, versions)
    return Actor.for_user(user_id, frozenset(roles), frozenset(visibility), frozenset(reporting))


def actor_of(user: User) -> Actor:
    """Return the actor of an account as it stands (also one not enrolled yet: the import's
    and the demo's counsellors; sign-in goes through :func:`load_actor`)."""
    offices = [m.office for m in user.memberships]
    return Actor.for_user(
        user.id,
        frozenset(Role(r.role) for r in user.roles),
        frozenset(o.id for o in offices),
        frozenset(o.id for o in offices if o.counsellors_may_report),
    )


def no_user_yet(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def first_admin_link(session: Session, now: dt.datetime) -> str:
    """Return a new one-time link token for creating the first admin (no account exists)."""
    token = login.issue_link(session, now, None, login.PURPOSE_FIRST_ADMIN)
    record(session, Event(action="auth.first_admin_link", actor_role="operator"))
    return token


# --- offices ------------------------------------------------------------------------------


def list_offices(session: Session, actor: Actor) -> list[Office]:
    _require(actor, Permission.OFFICE_MANAGE)
    return list(session.scalars(select(Office).order_by(Office.code)))


def get_office(session: Session, actor: Actor, office_id: int) -> Office:
    """Raises: NotAllowed, LookupError."""
    _require(actor, Permission.OFFICE_MANAGE)
    office = session.get(Office, office_id)
    if office is None:
        raise LookupError(office_id)
    return office


def _check_office_fields(name: str, visibility: str) -> None:
    if not name.strip() or len(name) > 200:
        raise Invalid("name", "required")
    if visibility not in (VISIBILITY_OFFICE, VISIBILITY_OWN):
        raise Invalid("case_visibility", "choice")


def create_office(
    session: Session,
    actor: Actor,
    code: str,
    name: str,
    provider: str = "",
    case_visibility: str = VISIBILITY_OFFICE,
    counsellors_may_report: bool = False,
) -> Office:
    """Create an office.

    Raises:
        NotAllowed: the actor may not manage offices.
        Invalid: malformed or taken code, empty name.
    """
    _require(actor, Permission.OFFICE_MANAGE)
    code = code.strip().upper()
    if not OFFICE_CODE.fullmatch(code):
        raise Invalid("code", "office_code_format")
    if session.scalar(select(Office.id).where(Office.code == code)) is not None:
        raise Invalid("code", "office_code_taken")
    _check_office_fields(name, case_visibility)
    office = Office(
        code=code,
        name=name.strip(),
        provider=provider.strip()[:200],
        case_visibility=case_visibility,
        counsellors_may_report=counsellors_may_report,
    )
    session.add(office)
    session.flush()
    _audit(session, actor, "office.create", "office", str(office.id))
    return office


def update_office(
    session: Session,
    actor: Actor,
    office_id: int,
    version: int,
    *,
    name: str,
    provider: str,
    case_visibility: str,
    counsellors_may_report: bool,
) -> Office:
    """Change an office's name, provider and policies.

    Raises:
        NotAllowed, Invalid, LookupError (no such office), Conflict (stale version).
    """
    office = get_office(session, actor, office_id)
    if office.version != version:
        raise Conflict("office")
    _check_office_fields(name, case_visibility)
    office.name, office.provider = name.strip(), provider.strip()[:200]
    office.case_visibility = case_visibility
    office.counsellors_may_report = counsellors_may_report
    session.info.pop(OFFICES, None)  # the policies read with the actor are out of date
    session.flush()
    _audit(session, actor, "office.update", "office", str(office.id))
    return office


# --- users --------------------------------------------------------------------------------


def list_users(session: Session, actor: Actor) -> list[User]:
    _require(actor, Permission.USER_MANAGE)
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, actor: Actor, user_id: str) -> User:
    """Raises: NotAllowed, LookupError."""
    _require(actor, Permission.USER_MANAGE)
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    return user


def _set_roles_and_offices(
    session: Session, user: User, roles: Iterable[str], office_ids: Iterable[int]
) -> None:
    wanted_roles = sorted(set(roles))
    if not wanted_roles:
        raise Invalid("roles", "required")
    for role in wanted_roles:
        if role not in {r.value for r in Role}:
            raise Invalid("roles", "choice")
    wanted_offices = sorted(set(office_ids))
    known = set(session.scalars(select(Office.id).where(Office.id.in_(wanted_offices))))
    if known != set(wanted_offices):
        raise Invalid("offices", "choice")
    needs_office = {Role.COUNSELLOR.value, Role.MANAGEMENT.value} & set(wanted_roles)
    if needs_office and not wanted_offices:
        raise Invalid("offices", "office_required")
    before = {m.office_id for m in user.memberships} if user.id is not None else set()
    user.roles = [UserRole(role=r) for r in wanted_roles]
    user.memberships = [Membership(office_id=o) for o in wanted_offices]
    # Name, roles and offices are what offices' staff lists show: old and new offices' copies
    # are stale now (the name is set before this is called).
    staff.bump(session, before | set(wanted_offices))


def create_user(
    session: Session,
    actor: Actor,
    now: dt.datetime,
    username: str,
    display_name: str,
    roles: Iterable[str],
    office_ids: Iterable[int] = (),
) -> tuple[User, str]:
    """Create an account and return it with its one-time enrolment token.

    Raises:
        NotAllowed, Invalid.
    """
    _require(actor, Permission.USER_MANAGE)
    name = login.normalise_username(username)
    login.validate_username(session, name)
    if not display_name.strip() or len(display_name) > 200:
        raise Invalid("display_name", "required")
    user = User(username=name, display_name=display_name.strip())
    session.add(user)
    _set_roles_and_offices(session, user, roles, office_ids)
    session.flush()
    token = login.issue_link(session, now, user.id, login.PURPOSE_ENROL)
    _audit(session, actor, "user.create", "user", user.id)
    return user, token


def update_user(
    session: Session,
    actor: Actor,
    user_id: str,
    version: int,
    *,
    display_name: str,
    roles: Iterable[str],
    office_ids: Iterable[int],
    active: bool,
) -> User:
    """Change name, roles, offices and the active flag; disabling ends every session.

    Disabling and enabling are audited as such (``user.disable``, ``user.enable``).

    Raises:
        NotAllowed, Invalid, LookupError, Conflict.
    """
    user = get_user(session, actor, user_id)
    if user.version != version:
        raise Conflict("user")
    if user.id == actor.user_id and not active:
        raise Invalid("active", "cannot_disable_self")
    if not display_name.strip() or len(display_name) > 200:
        raise Invalid("display_name", "required")
    user.display_name = display_name.strip()
    _set_roles_and_offices(session, user, roles, office_ids)
    was_active, user.active = user.active, active
    session.flush()
    _audit(session, actor, "user.update", "user", user.id)
    if was_active and not active:
        sessions.end_for_user(session, user.id)
        _audit(session, actor, "user.disable", "user", user.id)
    elif active and not was_active:
        _audit(session, actor, "user.enable", "user", user.id)
    return user


def reset_user(session: Session, actor: Actor, now: dt.datetime, user_id: str) -> str:
    """Clear password and 2FA, end every session, and return a new enrolment token.

    Raises:
        NotAllowed, LookupError.
    """
    user = get_user(session, actor, user_id)
    user.password_hash = None
    user.totp_secret = None
    user.enrolled_at = None
    sessions.end_for_user(session, user.id)
    token = login.issue_link(session, now, user.id, login.PURPOSE_ENROL)
    _audit(session, actor, "user.reset", "user", user.id)
    return token


def end_sessions(session: Session, actor: Actor, user_id: str) -> None:
    """End every session of a user (an admin's emergency brake).

    Raises:
        NotAllowed, LookupError.
    """
    user = get_user(session, actor, user_id)
    sessions.end_for_user(session, user.id)
    _audit(session, actor, "user.end_sessions", "user", user.id)


def find_user_id(session: Session, actor: Actor, username: str) -> str | None:
    """Return the id of ``username`` for the audit console, or None.

    Raises:
        NotAllowed: the actor may not read the audit log.
    """
    _require(actor, Permission.AUDIT_READ)
    name = login.normalise_username(username)
    return session.scalar(select(User.id).where(User.username == name))


def usernames(session: Session, actor: Actor, user_ids: Iterable[str]) -> dict[str, str]:
    """Return id → username for the ids shown in the audit console.

    Raises:
        NotAllowed: the actor may not read the audit log.
    """
    _require(actor, Permission.AUDIT_READ)
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def staff_names(session: Session, actor: Actor, office_ids: Iterable[int]) -> dict[str, str]:
    """Return id → display name of the staff of the given offices (for case pages).

    Raises:
        NotAllowed: the actor may not read cases.
    """
    _require(actor, Permission.CASE_READ)
    names: dict[str, str] = {}
    for office_id in sorted(set(office_ids)):
        names.update(staff.of_office(session, office_id).names)
    return dict(sorted(names.items(), key=lambda item: item[1]))


def office_staff(
    session: Session, actor: Actor, office_id: int
) -> tuple[dict[str, str], frozenset[str]]:
    """Return the staff of one office (id → display name) and who of them are counsellors.

    Raises:
        NotAllowed: the actor may not read cases.
    """
    _require(actor, Permission.CASE_READ)
    found = staff.of_office(session, office_id)
    return dict(found.names), found.counsellors


def office_names(session: Session, office_ids: Iterable[int]) -> dict[int, str]:
    """Return id → name of the given offices (their names are not secret)."""
    rows = session.execute(
        select(Office.id, Office.name).where(Office.id.in_(sorted(set(office_ids))))
    )
    return {office_id: name for office_id, name in rows}
