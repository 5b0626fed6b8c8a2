"""The SQL side of aggregation: plain GROUP BY counts over the statistical records.

Owns every query that reads ``statistical_records`` and ``statistical_codes`` and the two
counting units of DOMAIN.md ("Reports the users need"): cases **opened** in a period and
cases **closed** in a period. Imports SQLAlchemy, :mod:`fallstelle.reports.periods` and the
statistics models (``fallstelle.cases.models.stats``) — never the case rows, never
``crypto`` (ARCHITECTURE.md, "The statistical record").

Each function returns plain dictionaries of counts; nothing here knows labels, tables or
suppression. Every query groups in the database, so the cost grows with the number of
records in the period, and Python only sees one row per category
(``benchmarks/aggregate_bench.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    Integer,
    SQLColumnExpression,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from fallstelle.cases.models.stats import StatisticalCode, StatisticalRecord
from fallstelle.reports.periods import Period

R = StatisticalRecord
C = StatisticalCode


class Unit(StrEnum):
    """What a table counts: cases opened in the period, or cases closed in it."""

    NEW = "neu"
    CLOSED = "abgeschlossen"


@dataclass(frozen=True)
class Selection:
    """The records one report looks at: a period and a set of offices."""

    period: Period
    office_ids: tuple[int, ...]

    def where(self, unit: Unit) -> ColumnElement[bool]:
        """Return the filter of the records counted in ``unit``."""
        quarters = self.period.quarters
        column = R.opened_quarter if unit is Unit.NEW else R.closed_quarter
        return and_(R.office_id.in_(self.office_ids), column.in_(quarters))

    def running(self) -> ColumnElement[bool]:
        """Return the filter of cases opened by the period's end and still open at that end."""
        last = self.period.quarters[-1]
        # "YYYY-Qn" sorts as text in time order, so quarters compare as strings.
        return and_(
            R.office_id.in_(self.office_ids),
            R.opened_quarter <= last,
            or_(R.closed_quarter.is_(None), R.closed_quarter > last),
        )


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def case_numbers(session: Session, sel: Selection) -> dict[int, tuple[int, int, int]]:
    """Return new, closed and running-at-period-end cases of each office (0s included)."""
    quarters = sel.period.quarters
    last = quarters[-1]
    query = (
        select(
            R.office_id,
            _flag(R.opened_quarter.in_(quarters)),
            _flag(R.closed_quarter.in_(quarters)),
            _flag(
                and_(
                    R.opened_quarter <= last,
                    or_(R.closed_quarter.is_(None), R.closed_quarter > last),
                )
            ),
        )
        .where(R.office_id.in_(sel.office_ids), R.opened_quarter <= last)
        .group_by(R.office_id)
    )
    out = {office: (0, 0, 0) for office in sel.office_ids}
    for office, new, closed, running in session.execute(query):
        out[office] = (int(new), int(closed), int(running))
    return out


#: Single-valued columns of the record that reports break down by.
COLUMNS = {
    "request_type": R.request_type,
    "access_route": R.access_route,
    "age_band": R.age_band,
    "gender": R.gender,
    "kreis": R.kreis,
    "agg_relevance": R.agg_relevance,
    "closure_reason": R.closure_reason,
    "counterpart_response": R.counterpart_response,
    "opened_quarter": R.opened_quarter,
}


def column_counts(
    session: Session, sel: Selection, unit: Unit, column: str
) -> dict[str | None, int]:
    """Return the cases of ``unit`` per value of one single-valued column (None: not given)."""
    col = COLUMNS[column]
    query = select(col, func.count()).where(sel.where(unit)).group_by(col)
    return {value: int(n) for value, n in session.execute(query)}


def binned_counts(
    session: Session, sel: Selection, unit: Unit, measure: str, edges: Sequence[int]
) -> list[int]:
    """Return the cases of ``unit`` per bin of an integer measure.

    ``edges`` are the inclusive upper limits of every bin but the last (``(0, 1, 3)`` makes
    the bins 0, 1, 2–3 and ≥ 4). ``measure`` is ``contacts``, ``minutes`` or ``quarters``
    (how many quarters after the opening quarter the case was closed).
    """
    if measure == "contacts":
        value: SQLColumnExpression[int] = R.contact_count
    elif measure == "minutes":
        value = R.minutes
    elif measure == "quarters":
        value = _quarter_index(R.closed_quarter) - _quarter_index(R.opened_quarter)
    else:  # pragma: no cover - a programming error
        raise ValueError(measure)
    bucket = case(
        *((value <= edge, literal(i)) for i, edge in enumerate(edges)), else_=literal(len(edges))
    )
    query = select(bucket, func.count()).where(sel.where(unit)).group_by(bucket)
    out = [0] * (len(edges) + 1)
    for index, n in session.execute(query):
        out[int(index)] = int(n)
    return out


def _quarter_index(column: SQLColumnExpression[str | None]) -> ColumnElement[int]:
    """``YYYY-Qn`` → 4·YYYY + n, in SQL both SQLite and PostgreSQL understand."""
    year = cast(func.substr(column, 1, 4), Integer)
    number = cast(func.substr(column, 7, 1), Integer)
    return year * 4 + number


def code_counts(session: Session, sel: Selection) -> dict[Unit, dict[tuple[str, str], int]]:
    """Return, per unit, the cases having each ``(dimension, code)`` (every dimension).

    One pass for both units: the codes table is the largest one, so it is read once.
    """
    quarters = sel.period.quarters
    new, closed = R.opened_quarter.in_(quarters), R.closed_quarter.in_(quarters)
    query = (
        select(C.dimension, C.code, _flag(new), _flag(closed))
        .join(R, R.id == C.record_id)
        .where(R.office_id.in_(sel.office_ids), or_(new, closed))
        .group_by(C.dimension, C.code)
    )
    out: dict[Unit, dict[tuple[str, str], int]] = {Unit.NEW: {}, Unit.CLOSED: {}}
    for dim, code, n_new, n_closed in session.execute(query):
        for unit, n in ((Unit.NEW, n_new), (Unit.CLOSED, n_closed)):
            if n:
                out[unit][(dim, code)] = int(n)
    return out


def _level_one(code: SQLColumnExpression[str]) -> ColumnElement[bool]:
    # Level-2 codes are "<level1>.<level2>"; the record carries the level-1 code beside them.
    return ~code.contains(".")


def pair_counts(
    session: Session, sel: Selection, unit: Unit, rows: str, columns: str
) -> dict[tuple[str, str], int]:
    """Return the cases of ``unit`` having both a level-1 ``rows`` and a ``columns`` code."""
    a, b = aliased(C), aliased(C)
    query = (
        select(a.code, b.code, func.count())
        .select_from(R)
        .join(a, and_(a.record_id == R.id, a.dimension == rows, _level_one(a.code)))
        .join(b, and_(b.record_id == R.id, b.dimension == columns, _level_one(b.code)))
        .where(sel.where(unit))
        .group_by(a.code, b.code)
    )
    return {(x, y): int(n) for x, y, n in session.execute(query)}


def codes_per_case(
    session: Session, sel: Selection, unit: Unit, dimension: str, ignore: Sequence[str] = ()
) -> dict[int, int]:
    """Return how many cases of ``unit`` have 0, 1, 2, … level-1 codes of ``dimension``."""
    conditions = [C.record_id == R.id, C.dimension == dimension, _level_one(C.code)]
    if ignore:
        conditions.append(C.code.not_in(ignore))
    per_case = (
        select(func.count(C.code).label("n"))
        .select_from(R)
        .outerjoin(C, and_(*conditions))
        .where(sel.where(unit))
        .group_by(R.id)
        .subquery()
    )
    query = select(per_case.c.n, func.count()).group_by(per_case.c.n)
    return {int(n): int(count) for n, count in session.execute(query)}
