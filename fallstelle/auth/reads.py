"""The auth room's reads that run on (nearly) every request, as statements built once.

Imports SQLAlchemy and this room's models. Building a statement per call, its cache key and
the ORM's execution path cost more than these small queries themselves (issue 15: a case
page spent about a tenth of its CPU there), so they are Core statements over the tables,
built at import and executed with bound parameters. Core statements do not autoflush: they
read rows that the requests running them have not changed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select

from fallstelle.auth.models import Membership, Office, User, UserRole, WebSession
from fallstelle.auth.permissions import Role

_user, _role, _member, _office = (m.__table__.c for m in (User, UserRole, Membership, Office))

_session = WebSession.__table__.c
#: An actor's columns: the user's flags, a role, a membership's office, its policies and the
#: version of its staff list (``staff``).
_ACTOR = (
    _user.active, _user.enrolled_at, _user.password_hash, _role.role,
    _office.id, _office.case_visibility, _office.counsellors_may_report, _office.staff_version,
)  # fmt: skip
#: The number of columns of a row of :data:`SESSION_ROWS` before the actor's.
SESSION_COLUMNS = 4

def _roles_and_offices(statement: Select[Any]) -> Select[Any]:
    """``statement`` (which reads ``users``) joined with each role × each membership and its
    office: the rows of an actor (``service.actor_from_rows``)."""
    return (
        statement.outerjoin(UserRole.__table__, _role.user_id == _user.id)
        .outerjoin(Membership.__table__, _member.user_id == _user.id)
        .outerjoin(Office.__table__, _office.id == _member.office_id)
    )


#: ``user_id`` → the user's flags, each role × each membership with its office's policies.
ACTOR_ROWS = _roles_and_offices(select(*_ACTOR).select_from(User.__table__)).where(
    _user.id == bindparam("user_id")
)

#: ``digest`` → a session row (data, last seen, created, user id), joined with the rows of
#: :data:`ACTOR_ROWS` of its user: a signed-in request reads both, one after the other.
SESSION_ROWS = _roles_and_offices(
    select(_session.data, _session.last_seen_at, _session.created_at, _session.user_id, *_ACTOR)
    .select_from(WebSession.__table__)
    .outerjoin(User.__table__, _user.id == _session.user_id)
).where(_session.id_hash == bindparam("digest"))

#: ``office_id`` → its staff (id, display name, whether a counsellor), by name.
OFFICE_STAFF = (
    select(
        _user.id,
        _user.display_name,
        select(_role.user_id)
        .where(_role.user_id == _user.id, _role.role == Role.COUNSELLOR.value)
        .exists(),
    )
    .join(Membership.__table__, _member.user_id == _user.id)
    .where(_member.office_id == bindparam("office_id"))
    .order_by(_user.display_name)
)
