"""Pre-counted statistics: the facts of every statistical record, counted per office and quarter.

Owns ``statistical_counts`` and the one definition of what is counted. Imports SQLAlchemy
and the statistics models only. :mod:`fallstelle.cases.statistics` calls :func:`change` with
the record's values before and after every rewrite, in the same transaction, so the counts
never disagree with the records; :func:`rebuild` recounts everything from the records (the
migration that created the table, ``flask --app fallstelle report recount``) and
:func:`differences` says whether the stored counts still match a recount.

A record is counted twice: in unit ``neu`` under the quarter it was opened, and — once
closed — in unit ``abgeschlossen`` under the quarter it was closed. Each time it adds 1 to
these facts:

* ``n`` — the case itself;
* ``col:<column>=<value>`` — each single-valued column (``''``: not given);
* ``kontakte=<k>``, ``minuten=<m>`` and, when closed, ``dauer=<quarters from open to close>``;
* ``code:<dimension>=<code>`` — each code of the multi-valued dimensions;
* ``pair:<d1>*<d2>=<a>*<b>`` — each pair of level-1 codes of two dimensions of
  :data:`CROSSED` (the crosstabs), ``d1`` before ``d2`` in that order;
* ``anzahl:<dimension>=<k>`` — how many level-1 codes other than ``keine_angabe`` the record
  has in a dimension of :data:`CROSSED` (intersectional cases).

Only counts of the records' own coarse values: nothing here is finer than the records, and
the counts are not published as such — reports apply disclosure control to what they sum.
A change to this list needs a migration that calls :func:`rebuild`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fallstelle.cases.models.stats import (
    CROSSED,
    StatisticalCode,
    StatisticalCount,
    StatisticalRecord,
)

NEW, CLOSED = "neu", "abgeschlossen"
#: Single-valued columns of the record that are counted by value.
COLUMNS = (
    "request_type",
    "access_route",
    "age_band",
    "gender",
    "kreis",
    "agg_relevance",
    "closure_reason",
    "counterpart_response",
)
#: The level-1 code that is an answer ("not stated"), not a category of its own.
NO_ANSWER = "keine_angabe"
KEY = ("office_id", "quarter", "unit", "fact")
_PENDING = "fallstelle.stat_counts.pending"

Fact = tuple[int, str, str, str]  # office, quarter, unit, fact


@dataclass(frozen=True)
class Snapshot:
    """The counted values of one record at one moment."""

    office_id: int
    opened: str
    closed: str | None
    columns: tuple[str | None, ...]
    contacts: int
    minutes: int
    codes: frozenset[tuple[str, str]]


def snapshot(record: StatisticalRecord) -> Snapshot:
    """Return the values of ``record`` that the counts depend on."""
    return Snapshot(
        record.office_id,
        record.opened_quarter,
        record.closed_quarter,
        tuple(getattr(record, c) for c in COLUMNS),
        record.contact_count or 0,
        record.minutes or 0,
        frozenset((c.dimension, c.code) for c in record.codes),
    )


def _quarter_index(quarter: str) -> int:
    return int(quarter[:4]) * 4 + int(quarter[-1])


def fact_keys(s: Snapshot) -> list[str]:
    """Return the facts one record adds to each of its counting units."""
    keys = ["n", f"kontakte={s.contacts}", f"minuten={s.minutes}"]
    keys += [f"col:{c}={v or ''}" for c, v in zip(COLUMNS, s.columns, strict=True)]
    if s.closed:
        keys.append(f"dauer={_quarter_index(s.closed) - _quarter_index(s.opened)}")
    keys += [f"code:{d}={c}" for d, c in sorted(s.codes)]
    level_one = {d: sorted(c for dim, c in s.codes if dim == d and "." not in c) for d in CROSSED}
    for d1, d2 in combinations(CROSSED, 2):
        keys += [f"pair:{d1}*{d2}={a}*{b}" for a in level_one[d1] for b in level_one[d2]]
    for d in CROSSED:
        keys.append(f"anzahl:{d}={sum(1 for c in level_one[d] if c != NO_ANSWER)}")
    return keys


def facts(s: Snapshot) -> Counter[Fact]:
    """Return every fact of a record with its counting unit and quarter."""
    out: Counter[Fact] = Counter()
    keys = fact_keys(s)
    units = [(NEW, s.opened)] + ([(CLOSED, s.closed)] if s.closed else [])
    for unit, quarter in units:
        out.update((s.office_id, quarter, unit, key) for key in keys)
    return out


def change(session: Session, before: Snapshot | None, after: Snapshot | None) -> None:
    """Move the counts from a record's old values to its new ones (None: no record).

    Only facts whose count changes are written, in key order, so two transactions lock the
    counter rows they share in the same order (no deadlock on PostgreSQL). Inside
    :func:`deferred` the change is collected and written when the block ends.
    """
    if before == after:
        return
    delta = facts(after) if after else Counter[Fact]()
    delta.subtract(facts(before) if before else Counter[Fact]())
    pending = session.info.get(_PENDING)
    if pending is not None:
        pending.update(delta)
    else:
        _write(session, delta)


def _write(session: Session, delta: Counter[Fact]) -> None:
    rows = [_row(fact, n) for fact, n in sorted(delta.items()) if n]
    if rows:
        session.execute(_upsert(session.get_bind().dialect.name), rows)


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Collect the count changes of many rewrites and write them once, at the block's end.

    For bulk loading (``demo``): one upsert per distinct fact instead of one per case. The
    caller's transaction must still be open when the block ends; on an error nothing is
    written (the transaction is rolled back anyway).
    """
    pending: Counter[Fact] = Counter()
    session.info[_PENDING] = pending
    try:
        yield
    finally:
        del session.info[_PENDING]
    _write(session, pending)


def _row(fact: Fact, n: int) -> dict[str, object]:
    return dict(zip((*KEY, "n"), (*fact, n), strict=True))


def _upsert(dialect: str):  # type: ignore[no-untyped-def]  # dialect-specific Insert types
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make(StatisticalCount)
    return stmt.on_conflict_do_update(
        index_elements=list(KEY), set_={"n": StatisticalCount.n + stmt.excluded.n}
    )


def recount(
    conn: Connection | Session,
    batch: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> Counter[Fact]:
    """Return the counts recomputed from every statistical record (``batch`` at a time);
    ``progress(records done, records in all)`` after each batch."""
    r, c = StatisticalRecord, StatisticalCode
    columns = [getattr(r, name) for name in COLUMNS]
    total: Counter[Fact] = Counter()
    after = ""
    done, size = 0, conn.scalar(select(func.count()).select_from(r)) if progress else 0
    while True:
        records = conn.execute(
            select(r.id, r.office_id, r.opened_quarter, r.closed_quarter, r.contact_count,
                   r.minutes, *columns).where(r.id > after).order_by(r.id).limit(batch)
        ).all()  # fmt: skip
        if not records:
            return total
        after = records[-1][0]
        codes: dict[str, set[tuple[str, str]]] = {}
        query = select(c.record_id, c.dimension, c.code).where(
            c.record_id.in_([row[0] for row in records])
        )
        for rid, dimension, code in conn.execute(query):
            codes.setdefault(rid, set()).add((dimension, code))
        for rid, office, opened, closed, contacts, minutes, *values in records:
            total.update(facts(Snapshot(office, opened, closed, tuple(values), contacts or 0,
                                        minutes or 0, frozenset(codes.get(rid, ())))))  # fmt: skip
        done += len(records)
        if progress is not None:
            progress(done, size or 0)


def stored(conn: Connection | Session) -> Counter[Fact]:
    """Return the stored counts (rows counting zero left out)."""
    c = StatisticalCount
    query = select(c.office_id, c.quarter, c.unit, c.fact, c.n).where(c.n != 0)
    return Counter({(o, q, u, f): n for o, q, u, f, n in conn.execute(query)})


def differences(
    conn: Connection | Session, counts: Counter[Fact] | None = None
) -> dict[Fact, tuple[int, int]]:
    """Return every fact whose stored count differs from a recount (``counts`` if given):
    ``(stored, recounted)``."""
    have, want = stored(conn), counts if counts is not None else recount(conn)
    return {k: (have[k], want[k]) for k in sorted(set(have) | set(want)) if have[k] != want[k]}


def rebuild(
    conn: Connection | Session, batch: int = 5000, counts: Counter[Fact] | None = None
) -> int:
    """Replace every stored count by a recount from the records (``counts`` if given);
    return the rows written."""
    counts = counts if counts is not None else recount(conn)
    conn.execute(delete(StatisticalCount))
    written = 0
    for chunk in _chunks((_row(f, n) for f, n in sorted(counts.items())), batch):
        conn.execute(insert(StatisticalCount), chunk)
        written += len(chunk)
    return written


def _chunks(rows: Iterable[dict[str, object]], size: int) -> Iterator[list[dict[str, object]]]:
    chunk: list[dict[str, object]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
