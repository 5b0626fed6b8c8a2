"""Lists of cases: the summary row, search, and the counsellor's dashboard.

The case list itself (filters, keyset pages, the Kreis filter) is ``cases.listing``.
Imports SQLAlchemy, ``keyfiles``, ``auth`` and the case room's modules. Lists show only clear
workflow columns (case number, status, counsellor, dates) — no names, nothing decrypted —
and always pass through ``access.visible_clause``. The search by a person's name, phone or
e-mail is in ``cases.search``. Each call records one audit event (ids and codes only).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import access
from fallstelle.cases.models import OPEN_STATUSES, Case, CaseCounsellor
from fallstelle.clock import today

SOON_DAYS = 14
MY_OPEN = 50  # the home page's "my open cases"; the case list ("only my cases") has them all
DUE_CASES = 25  # as many as the task list opens (``due.MAX_CASES``)


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
        return cls(*(getattr(case, column.key) for column in SUMMARY_COLUMNS))


#: The clear columns of a :class:`CaseSummary`, in its order: lists select these, never the
#: whole row (its wrapped key and encrypted payload would travel through every sort).
SUMMARY_COLUMNS = (
    Case.id, Case.case_number, Case.office_id, Case.status, Case.lead_counsellor_id,
    Case.opened_on, Case.closed_on, Case.next_deadline_on, Case.next_follow_up_on,
    Case.last_contact_on,
)  # fmt: skip


def _visible(actor: Actor) -> Select[tuple[Case]]:
    return select(Case).where(access.visible_clause(actor))


def _summaries(
    session: Session, query: Select[Any], params: dict[str, object] | None = None
) -> list[CaseSummary]:
    return [CaseSummary(*row) for row in session.execute(query, params)]


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
    my_open: list[CaseSummary]  # the newest MY_OPEN
    deadlines: list[CaseSummary]  # next deadline within SOON_DAYS or overdue: the soonest 25
    follow_ups: list[CaseSummary]  # follow-up due today or earlier: the soonest 25

    def overdue(self, summary: CaseSummary, on: dt.date) -> bool:
        return summary.next_deadline_on is not None and summary.next_deadline_on < on


def dashboard(session: Session, actor: Actor, on: dt.date | None = None) -> Dashboard:
    """Return the actor's newest open cases, the soonest deadlines of the next 14 days and
    overdue ones, and the soonest follow-ups due, among the cases the actor leads or shares.

    Bounded (issue 15): each list is two queries of at most 50 / 25 rows of clear columns —
    the cases the actor leads (read in order from an index on the lead and the date) and
    those shared with them — merged here, however many cases the counsellor has; the task
    list (``cases.due``) opens at most 25.

    Raises:
        NotAllowed: the actor may not read cases.
    """
    access.require(session, actor, Permission.CASE_READ, "case.dashboard")
    on = on or today()
    soon = on + dt.timedelta(days=SOON_DAYS)
    board = Dashboard(
        _mine(session, actor, None, MY_OPEN, Case.opened_on, newest=True),
        _mine(session, actor, soon, DUE_CASES, Case.next_deadline_on),
        _mine(session, actor, on, DUE_CASES, Case.next_follow_up_on),
    )
    access.audit(session, actor, "case.dashboard")
    return board


def _mine(
    session: Session, actor: Actor, until: dt.date | None, limit: int,
    by: InstrumentedAttribute[dt.date | None], *, newest: bool = False,
) -> list[CaseSummary]:  # fmt: skip
    """The first ``limit`` open cases the actor leads or shares whose date ``by`` is set (and
    on or before ``until``), by that date (the case number and id break ties), soonest or
    ``newest`` first."""
    params = {**access.visible_params(actor), "until": until}
    rows = [
        row
        for statement in _mine_statements(by.key, until is not None, limit, newest)
        for row in _summaries(session, statement, params)
    ]
    rows.sort(key=lambda r: (getattr(r, by.key), r.case_number, r.id), reverse=newest)
    return rows[:limit]


@functools.cache
def _mine_statements(by_key: str, bounded: bool, limit: int, newest: bool) -> tuple[Any, Any]:
    """The two statements of :func:`_mine`, built once per process with the actor and the
    date as parameters: built per request (six on the home page, each with the visibility
    clause), they and their cache keys cost more Python time than the queries (issue 15)."""
    by: InstrumentedAttribute[dt.date | None] = getattr(Case, by_key)
    uid: BindParameter[str] = bindparam("uid")
    shares = select(CaseCounsellor.case_id).where(CaseCounsellor.user_id == uid)
    order = [c.desc() if newest else c.asc() for c in (by, Case.case_number, Case.id)]
    when = by <= bindparam("until") if bounded else by.is_not(None)
    # First the ids, in order from the index (lead, date) or from the shares, then their
    # rows joined to them, kept if visible. Asked in one query — or as "id IN (…)" — SQLite
    # walked the office's index instead (it takes "office = ?" for selective).
    ids = select(Case.id).where(Case.status.in_(OPEN_STATUSES), when).order_by(*order).limit(limit)
    led = ids.where(Case.lead_counsellor_id == uid).subquery()
    shared = ids.where(Case.id.in_(shares), Case.lead_counsellor_id != uid).subquery()
    return tuple(
        select(*SUMMARY_COLUMNS).select_from(part).join(Case, Case.id == part.c.id)
        .where(access.visible_clause_bound())
        for part in (led, shared)
    )  # type: ignore[return-value]  # fmt: skip


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
