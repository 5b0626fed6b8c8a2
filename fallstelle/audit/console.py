"""What the auditor's console asks of the log: filtered, paginated reads and summaries.

Imports SQLAlchemy, ``db`` and this room's models. The caller (the web room) checks the
``audit:read`` permission and records the view as an event; these functions only read.
Times are stored as RFC 3339 UTC text, so date ranges are plain string comparisons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from fallstelle.audit.models import AuditEvent

PER_PAGE = 50
S = TypeVar("S", bound=Select[Any])
OUTCOMES = ("ok", "denied", "failed", "error")


@dataclass(frozen=True)
class Filter:
    """Conditions the auditor set; empty fields do not filter.

    ``action`` ending in ``.`` matches every action of that family (``auth.`` → all sign-in
    events). Dates are whole days in UTC, both inclusive.
    """

    actor_id: str | None = None
    action: str | None = None
    object_id: str | None = None
    outcome: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _day_start(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00"


def _where(query: S, f: Filter) -> S:
    if f.actor_id:
        query = query.where(AuditEvent.actor_id == f.actor_id)
    if f.action:
        if f.action.endswith("."):
            query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == f.action)
    if f.object_id:
        # a case id also finds the events naming one of its parts (``<case id>/<entry id>``)
        query = query.where(
            (AuditEvent.object_id == f.object_id)
            | AuditEvent.object_id.startswith(f.object_id + "/", autoescape=True)
        )
    if f.outcome:
        query = query.where(AuditEvent.outcome == f.outcome)
    if f.date_from:
        query = query.where(AuditEvent.time >= _day_start(f.date_from))
    if f.date_to:
        query = query.where(AuditEvent.time < _day_start(f.date_to + dt.timedelta(days=1)))
    return query


@dataclass(frozen=True)
class Page:
    events: list[AuditEvent]
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(session: Session, f: Filter, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Return one page of matching events, newest first."""
    total = session.scalar(_where(select(func.count()).select_from(AuditEvent), f)) or 0
    pages = max(1, -(-total // per_page))
    number = min(max(page, 1), pages)
    rows = session.scalars(
        _where(select(AuditEvent), f)
        .order_by(AuditEvent.seq.desc())
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    return Page(list(rows), number, total, per_page)


def stream(session: Session, f: Filter, batch: int = 1000) -> Iterator[AuditEvent]:
    """Yield every matching event in order (for the CSV export), a batch at a time."""
    yield from session.scalars(
        _where(select(AuditEvent), f).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    )


@dataclass(frozen=True)
class OpenedObject:
    object_id: str
    first: str
    last: str
    times: int


def objects_opened(session: Session, f: Filter, action: str = "case.read") -> list[OpenedObject]:
    """Return which objects the filter's actor opened (``case.read`` by default) and when.

    The question of a breach notification: which cases did user X open between t1 and t2.
    """
    narrowed = Filter(f.actor_id, action, f.object_id, "ok", f.date_from, f.date_to)
    query = (
        select(
            AuditEvent.object_id,
            func.min(AuditEvent.time),
            func.max(AuditEvent.time),
            func.count(),
        )
        .group_by(AuditEvent.object_id)
        .order_by(func.min(AuditEvent.time))
    )
    rows = session.execute(_where(query, narrowed))
    return [OpenedObject(str(o), first, last, n) for o, first, last, n in rows if o is not None]


def last_verification(session: Session) -> AuditEvent | None:
    """Return the newest ``audit.verify`` event: when the chain was last checked, and how."""
    return session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "audit.verify")
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
