"""The home page's warning: deletions of the actor's cases due within the next 30 days.

Imports SQLAlchemy, ``auth`` and the case room's ``access``, ``models`` and ``retention``
(when what is due). Only clear columns are read; nothing is decrypted. Each query is a range
per office of the actor on (office, status, closed_on), not one OR over every office: with
the OR, SQLite and PostgreSQL read every closed case (issue 15).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Select, func, select, true
from sqlalchemy.orm import Session

from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import access
from fallstelle.cases.models import Case
from fallstelle.cases.retention import (
    Periods,
    all_periods,
    case_due,
    earliest_closing,
    identifying_due,
)

#: How far ahead the home page warns.
WARN_DAYS = 30
WHAT = ("identifying", "case")


@dataclass(frozen=True)
class Upcoming:
    """A deletion due within the warning period, for the home page."""

    case_id: uuid.UUID
    case_number: str
    what: str  # "identifying" or "case"
    on: dt.date


def _actor_due(
    policies: dict[int, Periods], until: dt.date, what: str, actor: Actor
) -> list[Select[tuple[uuid.UUID, str, int, dt.date | None]]]:
    """Per office of the actor, its cases whose ``what`` is due on or before ``until``."""
    return [
        select(Case.id, Case.case_number, Case.office_id, Case.closed_on).where(
            Case.office_id == office,
            Case.status == "abgeschlossen",
            Case.legal_hold.is_(False),
            Case.closed_on <= earliest_closing(policies.get(office, Periods()), until, what),
            Case.identifying_removed_on.is_(None) if what == "identifying" else true(),
            access.visible_clause(actor),
        )
        for office in sorted(actor.office_ids)
    ]


def upcoming(
    session: Session, actor: Actor, on: dt.date, days: int = WARN_DAYS, limit: int | None = None
) -> list[Upcoming]:
    """Deletions of the actor's cases due within ``days``, soonest first, at most ``limit``."""
    if not actor.can(Permission.CASE_READ):
        return []
    policies, until, found = all_periods(session), on + dt.timedelta(days=days), []
    for what in WHAT:
        for query in _actor_due(policies, until, what, actor):
            rows = session.execute(query.order_by(Case.closed_on, Case.case_number).limit(limit))
            for case_id, number, office_id, closed in rows:
                p = policies.get(office_id, Periods())
                when = identifying_due(closed, p) if what == "identifying" else case_due(closed, p)
                found.append(Upcoming(case_id, number, what, max(when, on)))
    return sorted(found, key=lambda u: (u.on, u.case_number))[:limit]


def count_upcoming(session: Session, actor: Actor, on: dt.date, cap: int = 1000) -> int:
    """How many deletions :func:`upcoming` would list without a limit, counted up to
    ``cap + 1`` (each query stops there: 56,000 were due at 100,000 demo cases)."""
    if not actor.can(Permission.CASE_READ):
        return 0
    policies, until = all_periods(session), on + dt.timedelta(days=WARN_DAYS)
    found = 0
    for what in WHAT:
        for query in _actor_due(policies, until, what, actor):
            first = query.with_only_columns(Case.id).limit(cap + 1).subquery()
            found += session.scalar(select(func.count()).select_from(first)) or 0
    return min(found, cap + 1)
