"""Frozen base counts (Berichtsstand): what every release of an office's quarter reads.

Owns ``frozen_quarters`` and ``frozen_counts``. Imports SQLAlchemy, the statistics count
model and the ``reports`` models; never the case rows, never ``crypto``.

When the first release (a stored report, a preview, a command-line build) touches an
office's quarter, that quarter's rows of ``statistical_counts`` are copied into
``frozen_counts`` and every later release reads the copy. Late edits to a frozen quarter
(a case entered afterwards, a corrected Merkmal) therefore never show up as a difference
between two releases of the same quarter, which a reader could subtract to learn what the
late edit was (issue 10). A **revision** (:func:`revise`) takes a new snapshot of a frozen
quarter on purpose; the numbers it changes are checked against the register like any other
release before they are shown (``service``).

A release touches the quarters of its period and every earlier quarter of its offices (the
"running at the end of the period" count sums all of them), and the funding report also the
same period a year earlier (the trend table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from fallstelle.cases.models.stats import StatisticalCount
from fallstelle.reports.models import FrozenCount, FrozenQuarter, RegisterEntry

C = StatisticalCount


@dataclass(frozen=True)
class FrozenInfo:
    """One frozen office quarter, for the management page and the CLI."""

    office_id: int
    quarter: str
    revision: int
    frozen_at: dt.datetime


def touched_quarters(session: Session, office_ids: Sequence[int], last: str) -> dict[int, set[str]]:
    """Return the quarters up to ``last`` that hold counts of each office."""
    rows = session.execute(
        select(C.office_id, C.quarter)
        .where(C.office_id.in_(office_ids), C.quarter <= last)
        .distinct()
    )
    out: dict[int, set[str]] = {o: set() for o in office_ids}
    for office, quarter in rows:
        out[office].add(quarter)
    return out


def freeze(
    session: Session,
    actor_id: str | None,
    office_ids: Sequence[int],
    quarters: Iterable[str],
) -> list[tuple[int, str]]:
    """Freeze every office quarter of ``quarters`` (and earlier ones with counts) not yet frozen.

    Returns the office quarters frozen by this call.
    """
    wanted = set(quarters)
    last = max(wanted)
    pairs = {(o, q) for o in office_ids for q in wanted}
    for office, found in touched_quarters(session, office_ids, last).items():
        pairs |= {(office, q) for q in found}
    done = set(
        session.execute(
            select(FrozenQuarter.office_id, FrozenQuarter.quarter).where(
                FrozenQuarter.office_id.in_(office_ids)
            )
        ).tuples()
    )
    new = sorted(pairs - done)
    for office, quarter in new:
        _copy(session, office, quarter)
        session.add(FrozenQuarter(office_id=office, quarter=quarter, revision=0, actor_id=actor_id))
    session.flush()
    return new


def _copy(session: Session, office: int, quarter: str) -> None:
    session.execute(
        insert(FrozenCount).from_select(
            ["office_id", "quarter", "unit", "fact", "n"],
            select(C.office_id, C.quarter, C.unit, C.fact, C.n).where(
                C.office_id == office, C.quarter == quarter, C.n != 0
            ),
        )
    )


def revise(session: Session, actor_id: str | None, office: int, quarter: str) -> int:
    """Take a new snapshot of a frozen office quarter; return its new revision number.

    Raises:
        LookupError: the quarter is not frozen (nothing to revise).
    """
    row = session.get(FrozenQuarter, (office, quarter))
    if row is None:
        raise LookupError("not frozen")
    session.execute(
        delete(FrozenCount).where(FrozenCount.office_id == office, FrozenCount.quarter == quarter)
    )
    _copy(session, office, quarter)
    row.revision += 1
    row.actor_id = actor_id
    session.flush()
    return row.revision


def frozen_quarters(session: Session, office_ids: Iterable[int] | None = None) -> list[FrozenInfo]:
    """Return the frozen office quarters (of ``office_ids``, or all), oldest quarter first."""
    query = select(FrozenQuarter).order_by(FrozenQuarter.quarter, FrozenQuarter.office_id)
    if office_ids is not None:
        query = query.where(FrozenQuarter.office_id.in_(tuple(office_ids)))
    return [
        FrozenInfo(r.office_id, r.quarter, r.revision, r.frozen_at)
        for r in session.scalars(query)
    ]


@dataclass(frozen=True)
class FrozenBy:
    """A frozen office quarter and the release that froze it (for the management page)."""

    office_id: int
    quarter: str
    revision: int
    frozen_at: dt.datetime
    kind: str | None  # preview | release | None (the register has no matching entry)
    period: str | None
    template: str | None


def overview(session: Session, office_ids: Iterable[int]) -> list[FrozenBy]:
    """The frozen quarters of these offices, newest quarter first, each with the first
    register entry of its office made when (or after) it was frozen: the release that froze it."""
    infos = frozen_quarters(session, office_ids)
    if not infos:
        return []
    r = RegisterEntry
    since = min(i.frozen_at for i in infos)
    entries = session.execute(
        select(r.created_at, r.office_ids, r.kind, r.period, r.template)
        .where(r.created_at >= since).order_by(r.created_at)
    ).all()  # fmt: skip
    out = []
    for info in sorted(infos, key=lambda i: (i.office_id, i.quarter), reverse=True):
        by = next((e for e in entries if e.created_at >= info.frozen_at
                   and str(info.office_id) in e.office_ids.split(",")), None)  # fmt: skip
        out.append(FrozenBy(info.office_id, info.quarter, info.revision, info.frozen_at,
                            by.kind if by else None, by.period if by else None,
                            by.template if by else None))  # fmt: skip
    return out


def counts(
    session: Session, pairs: Iterable[tuple[int, str]]
) -> dict[tuple[int, str, str, str], int]:
    """Return the frozen base counts of these office quarters, by (office, quarter, unit, fact)."""
    wanted = sorted(set(pairs))
    out: dict[tuple[int, str, str, str], int] = {}
    for start in range(0, len(wanted), 400):
        chunk = wanted[start : start + 400]
        rows = session.execute(
            select(FrozenCount.office_id, FrozenCount.quarter, FrozenCount.unit,
                   FrozenCount.fact, FrozenCount.n)
            .where(tuple_(FrozenCount.office_id, FrozenCount.quarter).in_(chunk))
        )  # fmt: skip
        for o, q, u, f, n in rows:
            out[(o, q, u, f)] = int(n)
    return out
