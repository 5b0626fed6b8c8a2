"""Frozen base counts (Berichtsstand): what every release of an office's quarter reads.

Owns ``frozen_quarters`` and ``frozen_counts``. Imports SQLAlchemy, the statistics count
model and the ``reports`` models; never the case rows, never ``crypto``.

When the first release (a stored report, a preview, a command-line build) touches an
office's quarter, that quarter's rows of ``statistical_counts`` are copied into
``frozen_counts`` and every later release reads the copy. Late edits to a frozen quarter
(a case entered afterwards, a corrected Merkmal) therefore never show up as a difference
between two releases of the same quarter, which a reader could subtract to learn what the
late edit was (issue 10). A **revision** (:func:`revise`, management's "Neuen Berichtsstand
übernehmen") takes a new snapshot of a frozen quarter on purpose and keeps the old one in
``frozen_count_revisions``: register entries made before it stay sums over the old snapshot
(:mod:`.versions`), and every later release that reads the new one is checked against them,
the late edits (new − old per base cell) included (:mod:`.union_check`).

A release touches the quarters of its period and every earlier quarter of its offices (the
"running at the end of the period" count sums all of them), and the funding report also the
same period a year earlier (the trend table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, literal, select, tuple_
from sqlalchemy.orm import Session

from fallstelle.cases.models.stats import StatisticalCount
from fallstelle.db import utcnow
from fallstelle.reports import versions
from fallstelle.reports.models import FrozenCount, FrozenCountRevision, FrozenQuarter, RegisterEntry

C = StatisticalCount
#: A base cell: (office, quarter, unit, fact); `register` re-exports it (it imports this module)
Var = tuple[int, str, str, str]
RUNNING = "laufend"


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


def changes(session: Session, office: int, quarter: str) -> int:
    """How many base counts of a frozen office quarter differ from the live counts now."""
    frozen = {(u, f): n for u, f, n in session.execute(
        select(FrozenCount.unit, FrozenCount.fact, FrozenCount.n)
        .where(FrozenCount.office_id == office, FrozenCount.quarter == quarter))}  # fmt: skip
    live = {(u, f): n for u, f, n in session.execute(
        select(C.unit, C.fact, C.n)
        .where(C.office_id == office, C.quarter == quarter, C.n != 0))}  # fmt: skip
    return sum(1 for key in frozen.keys() | live.keys() if frozen.get(key) != live.get(key))


def revise(session: Session, actor_id: str | None, office: int, quarter: str) -> int:
    """Take a new snapshot of a frozen office quarter; return its new revision number.

    The old snapshot is kept (``frozen_count_revisions``, under its revision number): the
    register's entries that read it remain sums over it.

    Raises:
        LookupError: the quarter is not frozen (nothing to revise).
    """
    row = session.get(FrozenQuarter, (office, quarter))
    if row is None:
        raise LookupError("not frozen")
    h = FrozenCountRevision
    session.execute(
        insert(h).from_select(
            ["office_id", "quarter", "revision", "unit", "fact", "n"],
            select(FrozenCount.office_id, FrozenCount.quarter, literal(row.revision),
                   FrozenCount.unit, FrozenCount.fact, FrozenCount.n)
            .where(FrozenCount.office_id == office, FrozenCount.quarter == quarter),
        )
    )  # fmt: skip
    session.execute(
        delete(FrozenCount).where(FrozenCount.office_id == office, FrozenCount.quarter == quarter)
    )
    _copy(session, office, quarter)
    row.revision += 1
    row.actor_id = actor_id
    row.frozen_at = utcnow()  # "frozen since": the snapshot later releases read
    session.flush()
    return row.revision


def revisions(
    session: Session, office_ids: Iterable[int] | None = None
) -> dict[int, dict[str, int]]:
    """The current revision of every frozen office quarter that has been revised (not 0)."""
    query = select(FrozenQuarter.office_id, FrozenQuarter.quarter, FrozenQuarter.revision).where(
        FrozenQuarter.revision != 0
    )
    if office_ids is not None:
        query = query.where(FrozenQuarter.office_id.in_(tuple(office_ids)))
    out: dict[int, dict[str, int]] = {}
    for office, quarter, rev in session.execute(query):
        out.setdefault(office, {})[quarter] = rev
    return out


def _snapshots(
    session: Session, wanted: set[tuple[int, str, int]]
) -> dict[tuple[int, str, int], dict[tuple[str, str], int]]:
    out: dict[tuple[int, str, int], dict[tuple[str, str], int]] = {key: {} for key in wanted}
    h = FrozenCountRevision
    chunks = sorted(wanted)
    for start in range(0, len(chunks), 300):
        rows = session.execute(
            select(h.office_id, h.quarter, h.revision, h.unit, h.fact, h.n)
            .where(tuple_(h.office_id, h.quarter, h.revision).in_(chunks[start : start + 300]))
        )  # fmt: skip
        for o, q, r, u, f, n in rows:
            out[(o, q, r)][(u, f)] = int(n)
    return out


def truth(session: Session, variables: Iterable[Var]) -> dict[Var, int]:
    """The true value of base cells: every frozen count of the offices these cells touch and
    their running counts (current snapshot), and every older snapshot a cell names
    (:mod:`.versions`), with the running counts over it. Legacy cells have no known truth."""
    wanted = set(variables)
    offices = sorted({v[0] for v in wanted})
    out: dict[Var, int] = {}
    f = FrozenCount
    for o, q, u, fact, n in session.execute(
        select(f.office_id, f.quarter, f.unit, f.fact, f.n).where(f.office_id.in_(offices))
    ):
        out[(o, q, u, fact)] = int(n)
    old: set[tuple[int, str, int]] = set()
    states: list[tuple[Var, dict[str, int]]] = []
    for var in wanted:
        quarter, label = versions.split(var[1])
        if (rev := versions.revision(label)) is not None:
            old.add((var[0], quarter, rev))
        elif var[2] == RUNNING and (read := versions.state(label)):
            states.append((var, read))
            old |= {(var[0], q, r) for q, r in read.items()}
    snapshots = _snapshots(session, old) if old else {}
    for (o, q, r), cells in snapshots.items():
        for (u, fact), n in cells.items():
            out[(o, versions.tag(q, str(r)), u, fact)] = n

    def step(office: int, quarter: str, read: dict[str, int]) -> int:
        if quarter in read:
            cells = snapshots[(office, quarter, read[quarter])]
            return cells.get(("neu", "n"), 0) - cells.get(("abgeschlossen", "n"), 0)
        return out.get((office, quarter, "neu", "n"), 0) - out.get(
            (office, quarter, "abgeschlossen", "n"), 0
        )

    for office in offices:
        quarters = {q for (o, q, _u, _f) in out if o == office and "@" not in q}
        running = {v[1] for v in wanted if v[0] == office and v[2] == RUNNING and "@" not in v[1]}
        total = 0
        for q in sorted(quarters | running):
            total += step(office, q, {})
            out[(office, q, RUNNING, "n")] = total
    for var, read in states:
        office, last = var[0], versions.plain(var[1])
        quarters = {q for (o, q, _u, _f) in out if o == office and "@" not in q} | set(read)
        out[var] = sum(step(office, q, read) for q in quarters if q <= last)
    return out


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
