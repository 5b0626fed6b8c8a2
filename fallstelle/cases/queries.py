"""Lists of cases: the case list, search, and the counsellor's dashboard.

Imports SQLAlchemy, ``keyfiles``, ``auth`` and the case room's modules. Lists show only clear
workflow columns (case number, status, counsellor, dates) — no names, nothing decrypted —
and always pass through ``access.visible_clause``. The search by a person's name, phone or
e-mail is in ``cases.search``. Each call records one audit event (ids and codes only).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import access
from fallstelle.cases.errors import Invalid
from fallstelle.cases.models import OPEN_STATUSES, STATUSES, Case, CaseCounsellor
from fallstelle.clock import today

PER_PAGE = 50
SOON_DAYS = 14
# Sort orders of the case list; the case number breaks ties, so pages never overlap.
ORDERS = {
    "opened": (Case.opened_on.desc(), Case.case_number.desc()),
    "number": (Case.case_number.desc(),),
    "deadline": (Case.next_deadline_on.is_(None), Case.next_deadline_on, Case.case_number),
    "contact": (Case.last_contact_on.is_(None), Case.last_contact_on.desc(), Case.case_number),
}


@dataclass(frozen=True)
class CaseSummary:
    """One line of a case list: clear columns only."""

    id: uuid.UUID
    case_number: str
    office_id: int
    status: str
    lead_counsellor_id: str
    opened_on: dt.date
    closed_on: dt.date | None
    next_deadline_on: dt.date | None
    next_follow_up_on: dt.date | None
    last_contact_on: dt.date | None

    @classmethod
    def of(cls, case: Case) -> CaseSummary:
        return cls(
            case.id, case.case_number, case.office_id, case.status, case.lead_counsellor_id,
            case.opened_on, case.closed_on, case.next_deadline_on, case.next_follow_up_on,
            case.last_contact_on,
        )  # fmt: skip


@dataclass(frozen=True)
class Page:
    items: list[CaseSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _visible(actor: Actor) -> Select[tuple[Case]]:
    return select(Case).where(access.visible_clause(actor))


def list_cases(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    counsellor_id: str | None = None,
    year: int | None = None,
    overdue_on: dt.date | None = None,
    order: str = "opened",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """Return one page of the cases the actor may see, newest first (or as ``order`` says:
    one of :data:`ORDERS`); ``overdue_on``: only open cases whose deadline or follow-up is
    before that day.

    Raises:
        NotAllowed: the actor may not read cases.
        Invalid: unknown status or order, page below 1.
    """
    access.require(session, actor, Permission.CASE_READ, "case.list")
    if status is not None and status not in STATUSES:
        raise Invalid("status", "choice")
    if page < 1 or not 1 <= per_page <= 200:
        raise Invalid("page", "range")
    if order not in ORDERS:
        raise Invalid("order", "choice")
    query = _visible(actor)
    if status is not None:
        query = query.where(Case.status == status)
    if counsellor_id is not None:
        shares = select(CaseCounsellor.case_id).where(CaseCounsellor.user_id == counsellor_id)
        query = query.where((Case.lead_counsellor_id == counsellor_id) | Case.id.in_(shares))
    if year is not None:
        query = query.where(
            Case.opened_on >= dt.date(year, 1, 1), Case.opened_on <= dt.date(year, 12, 31)
        )
    if overdue_on is not None:
        query = query.where(
            Case.status.in_(OPEN_STATUSES),
            (Case.next_deadline_on < overdue_on) | (Case.next_follow_up_on < overdue_on),
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(*ORDERS[order])
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    access.audit(session, actor, "case.list")
    return Page([CaseSummary.of(c) for c in rows], total, page, per_page)


def find_by_number(session: Session, actor: Actor, case_number: str) -> list[CaseSummary]:
    """Return the visible cases with this case number (one per office at most).

    Raises:
        NotAllowed: the actor may not read cases.
    """
    access.require(session, actor, Permission.CASE_READ, "case.search")
    wanted = case_number.strip()[:16]
    rows = session.scalars(_visible(actor).where(Case.case_number == wanted))
    found = [CaseSummary.of(c) for c in rows]
    access.audit(session, actor, "case.search", reason="by_number")
    return found


@dataclass(frozen=True)
class Dashboard:
    my_open: list[CaseSummary]
    deadlines: list[CaseSummary]  # next deadline within SOON_DAYS or overdue, soonest first
    follow_ups: list[CaseSummary]  # follow-up due today or earlier

    def overdue(self, summary: CaseSummary, on: dt.date) -> bool:
        return summary.next_deadline_on is not None and summary.next_deadline_on < on


def dashboard(session: Session, actor: Actor, on: dt.date | None = None) -> Dashboard:
    """Return the actor's open cases, the deadlines of the next 14 days and overdue ones,
    and the follow-ups due, among the cases the actor leads or shares.

    Raises:
        NotAllowed: the actor may not read cases.
    """
    access.require(session, actor, Permission.CASE_READ, "case.dashboard")
    on = on or today()
    shares = select(CaseCounsellor.case_id).where(CaseCounsellor.user_id == actor.user_id)
    mine = _visible(actor).where(
        Case.status.in_(OPEN_STATUSES),
        (Case.lead_counsellor_id == actor.user_id) | Case.id.in_(shares),
    )
    my_open = session.scalars(mine.order_by(Case.opened_on.desc()).limit(200))
    soon = session.scalars(
        mine.where(Case.next_deadline_on <= on + dt.timedelta(days=SOON_DAYS)).order_by(
            Case.next_deadline_on
        )
    )
    due = session.scalars(mine.where(Case.next_follow_up_on <= on).order_by(Case.next_follow_up_on))
    board = Dashboard(
        [CaseSummary.of(c) for c in my_open],
        [CaseSummary.of(c) for c in soon],
        [CaseSummary.of(c) for c in due],
    )
    access.audit(session, actor, "case.dashboard")
    return board


def case_numbers(session: Session, actor: Actor, ids: list[str]) -> dict[str, str]:
    """Return case id → case number for the access log (clear columns; nothing decrypted).

    The auditor may not open a case, but sees its number beside its id in the log.

    Raises:
        NotAllowed: the actor may not read the access log.
    """
    access.require(session, actor, Permission.AUDIT_READ, "audit.view")
    wanted = set()
    for raw in ids:
        try:
            wanted.add(uuid.UUID(raw))
        except ValueError:
            continue
    if not wanted:
        return {}
    rows = session.execute(select(Case.id, Case.case_number).where(Case.id.in_(wanted)))
    return {str(case_id): number for case_id, number in rows}


def case_ids_by_number(session: Session, actor: Actor, number: str) -> list[str]:
    """Return the ids of the cases with this number (one per office), for the log's filter.

    Raises:
        NotAllowed: the actor may not read the access log.
    """
    access.require(session, actor, Permission.AUDIT_READ, "audit.view")
    rows = session.scalars(select(Case.id).where(Case.case_number == number.strip()[:16]))
    return sorted(str(i) for i in rows)
