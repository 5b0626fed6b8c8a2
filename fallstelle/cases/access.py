"""Who may see which case: permission, office and the office's visibility policy.

Imports SQLAlchemy, ``audit``, ``auth`` and the case models. Every service call goes through
:func:`require_case` (one case) or :func:`visible_cases` (a query) and records a refusal in
the audit log: a refusal is an access decision (issue 5, "Bad input").

* Without ``case:read`` / ``case:write`` (management, auditor, admin): ``NotAllowed``.
* A case of an office the actor is not a member of, or — under the office policy ``own`` —
  a case the actor neither leads nor shares: ``CaseNotFound``, exactly as for an id that is
  no case at all, so the answer confirms nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session, joinedload

from fallstelle.audit import record
from fallstelle.auth.actor import Actor
from fallstelle.auth.models import VISIBILITY_OWN, Office
from fallstelle.auth.permissions import Permission
from fallstelle.auth.service import OFFICES
from fallstelle.cases.errors import CaseNotFound, NotAllowed
from fallstelle.cases.models import Case, CaseCounsellor
from fallstelle.catalogue import cache

#: A case that is only read, with its co-counsellors joined in: built once (a statement
#: built per call, and its cache key, cost more than the query; issue 15). The catalogue's
#: version comes along (the case is opened with the office's vocabulary next, which would
#: read it in a statement of its own).
_READ_CASE = (
    select(Case, cache.version_column())
    .options(joinedload(Case.co_counsellors))
    .where(Case.id == bindparam("case_id"))
)


def audit(
    session: Session,
    actor: Actor,
    action: str,
    object_id: str | None = None,
    *,
    outcome: str = "ok",
    reason: str | None = None,
) -> None:
    """Record one case-room event (ids and codes only)."""
    event = actor.event(
        action, outcome=outcome, object_type="case", object_id=object_id, reason=reason
    )
    record(session, event)


def require(session: Session, actor: Actor, permission: Permission, action: str) -> None:
    """Refuse an actor without ``permission``.

    Raises:
        NotAllowed: the actor lacks the permission (the refusal is audited).
    """
    if not actor.can(permission) or actor.is_operator:
        audit(session, actor, action, outcome="denied", reason="no_permission")
        raise NotAllowed(permission.value)


def may_see(session: Session, actor: Actor, case: Case) -> bool:
    """Return whether the case is in the actor's offices and visible under the policy."""
    if case.office_id not in actor.office_ids:
        return False
    # The policy as read with the actor in this transaction (``auth.service.load_actor``),
    # or else the office row.
    known: dict[int, str] = session.info.get(OFFICES) or {}
    policy = known.get(case.office_id)
    if policy is None:
        office = session.get(Office, case.office_id)
        policy = office.case_visibility if office is not None else None
    if policy == VISIBILITY_OWN:
        return actor.user_id in case.counsellor_ids
    return True


def require_case(
    session: Session,
    actor: Actor,
    permission: Permission,
    case_id: uuid.UUID,
    action: str,
    *,
    reading: bool = False,
) -> Case:
    """Return the case if the actor may act on it with ``permission``.

    ``reading``: the case is only shown; its co-counsellors (the visibility check under
    ``own`` needs them) come in the same statement (a join) instead of a second one. A
    change keeps the plain load: the row is locked next (``FOR UPDATE`` cannot lock the
    nullable side of an outer join on PostgreSQL).

    Raises:
        NotAllowed: the actor lacks the permission.
        CaseNotFound: no such case, another office's, or not visible under ``own``.
    """
    require(session, actor, permission, action)
    if reading:
        row = session.execute(_READ_CASE, {"case_id": case_id}).unique().one_or_none()
        case: Case | None = None if row is None else row[0]
        if row is not None:
            cache.note_version(session, row[1])
    else:
        case = session.get(Case, case_id)
    if case is None or not may_see(session, actor, case):
        audit(session, actor, action, str(case_id), outcome="denied", reason="not_visible")
        raise CaseNotFound(str(case_id))
    return case


def visible_clause(actor: Actor) -> ColumnElement[bool]:
    """Return the WHERE clause selecting exactly the cases :func:`may_see` allows."""
    return _visible(actor.user_id, sorted(actor.office_ids))


def visible_clause_bound() -> ColumnElement[bool]:
    """:func:`visible_clause` for a statement built once: the actor comes as the parameters
    ``uid`` (user id) and ``offices`` (office ids) — see :func:`visible_params`."""
    return _visible(bindparam("uid"), bindparam("offices", expanding=True))


def visible_params(actor: Actor) -> dict[str, object]:
    """The parameters of :func:`visible_clause_bound` for ``actor``."""
    return {"uid": actor.user_id, "offices": sorted(actor.office_ids)}


def _visible(uid: object, offices: object) -> ColumnElement[bool]:
    own_offices = select(Office.id).where(Office.case_visibility == VISIBILITY_OWN)
    shares = exists().where(and_(CaseCounsellor.case_id == Case.id, CaseCounsellor.user_id == uid))
    return and_(
        Case.office_id.in_(offices),  # type: ignore[arg-type]
        or_(Case.office_id.not_in(own_offices), Case.lead_counsellor_id == uid, shares),
    )
