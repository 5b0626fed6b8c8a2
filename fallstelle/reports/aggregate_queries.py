"""The SQL side of aggregation: sums of the pre-counted facts of the statistical records.

Owns every query that reads ``statistical_counts`` and the two counting units of DOMAIN.md
("Reports the users need"): cases **opened** in a period and cases **closed** in a period.
Imports SQLAlchemy, :mod:`fallstelle.reports.periods` and the statistics models
(``fallstelle.cases.models.stats``) — never the case rows, never ``crypto``
(ARCHITECTURE.md, "The statistical record").

The counts are kept per office, quarter and unit by ``cases.stat_counts`` in the same
transaction as every record change (the fact keys are described there). :class:`Counts`
sums them for a selection in **one** query — a few thousand rows, whatever the number of
cases — and answers every table's question from that (``benchmarks/aggregate_bench.py``).
Nothing here knows labels, tables or suppression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fallstelle.cases.models.stats import CROSSED, StatisticalCount
from fallstelle.reports.periods import Period


class Unit(StrEnum):
    """What a table counts: cases opened in the period, or cases closed in it."""

    NEW = "neu"
    CLOSED = "abgeschlossen"


@dataclass(frozen=True)
class Selection:
    """The records one report looks at: a period and a set of offices.

    ``source`` is the table the counts are read from: the live ``statistical_counts``, or
    the frozen base counts of a Berichtsstand (:mod:`fallstelle.reports.frozen`), which have
    the same columns.
    """

    period: Period
    office_ids: tuple[int, ...]
    source: Any = StatisticalCount


def case_numbers(session: Session, sel: Selection) -> dict[int, tuple[int, int, int]]:
    """Return new, closed and running-at-period-end cases of each office (0s included).

    Running at the end = opened by the last quarter − closed by the last quarter (a case is
    never closed before it was opened, so the closed ones are among the opened ones).
    """
    quarters, last = set(sel.period.quarters), sel.period.quarters[-1]
    C = sel.source
    query = (
        select(C.office_id, C.quarter, C.unit, func.sum(C.n))
        .where(C.office_id.in_(sel.office_ids), C.fact == "n", C.quarter <= last)
        .group_by(C.office_id, C.quarter, C.unit)
    )
    new: dict[int, int] = {}
    closed: dict[int, int] = {}
    opened_by_end: dict[int, int] = {}
    closed_by_end: dict[int, int] = {}
    for office, quarter, unit, n in session.execute(query):
        is_new = unit == Unit.NEW.value
        by_end = opened_by_end if is_new else closed_by_end
        by_end[office] = by_end.get(office, 0) + int(n)
        if quarter in quarters:
            inside = new if is_new else closed
            inside[office] = inside.get(office, 0) + int(n)
    return {
        o: (new.get(o, 0), closed.get(o, 0), opened_by_end.get(o, 0) - closed_by_end.get(o, 0))
        for o in sel.office_ids
    }


def opened_per_quarter(session: Session, sel: Selection) -> dict[str, int]:
    """Return the cases opened in each quarter of the period."""
    C = sel.source
    query = (
        select(C.quarter, func.sum(C.n))
        .where(
            C.office_id.in_(sel.office_ids),
            C.quarter.in_(sel.period.quarters),
            C.unit == Unit.NEW.value,
            C.fact == "n",
        )
        .group_by(C.quarter)
    )
    return {quarter: int(n) for quarter, n in session.execute(query)}


class Counts:
    """The facts of one selection, summed over its offices and quarters, per unit."""

    def __init__(self, session: Session, sel: Selection) -> None:
        C = sel.source
        query = (
            select(C.unit, C.fact, func.sum(C.n))
            .where(C.office_id.in_(sel.office_ids), C.quarter.in_(sel.period.quarters))
            .group_by(C.unit, C.fact)
        )
        self.facts: dict[Unit, dict[str, int]] = {Unit.NEW: {}, Unit.CLOSED: {}}
        for unit, fact, n in session.execute(query):
            if n:
                self.facts[Unit(unit)][fact] = int(n)

    def _prefixed(self, unit: Unit, prefix: str) -> dict[str, int]:
        cut = len(prefix)
        return {f[cut:]: n for f, n in self.facts[unit].items() if f.startswith(prefix)}

    def column(self, unit: Unit, column: str) -> dict[str | None, int]:
        """Return the cases of ``unit`` per value of a single-valued column (None: not given)."""
        return {v or None: n for v, n in self._prefixed(unit, f"col:{column}=").items()}

    def binned(self, unit: Unit, measure: str, edges: Sequence[int]) -> list[int]:
        """Return the cases of ``unit`` per bin of an integer measure.

        ``edges`` are the inclusive upper limits of every bin but the last (``(0, 1, 3)`` makes
        the bins 0, 1, 2–3 and ≥ 4). ``measure`` is ``kontakte``, ``minuten`` or ``dauer``
        (how many quarters after the opening quarter the case was closed).
        """
        out = [0] * (len(edges) + 1)
        for value, n in self._prefixed(unit, f"{measure}=").items():
            number = int(value)
            index = next((i for i, edge in enumerate(edges) if number <= edge), len(edges))
            out[index] += n
        return out

    def codes(self, unit: Unit) -> dict[tuple[str, str], int]:
        """Return the cases of ``unit`` having each ``(dimension, code)`` (every dimension)."""
        out: dict[tuple[str, str], int] = {}
        for key, n in self._prefixed(unit, "code:").items():
            dimension, code = key.split("=", 1)
            out[(dimension, code)] = n
        return out

    def pairs(self, unit: Unit, rows: str, columns: str) -> dict[tuple[str, str], int]:
        """Return the cases of ``unit`` having both a level-1 ``rows`` and a ``columns`` code."""
        swap = CROSSED.index(rows) > CROSSED.index(columns)
        first, second = (columns, rows) if swap else (rows, columns)
        out: dict[tuple[str, str], int] = {}
        for key, n in self._prefixed(unit, f"pair:{first}*{second}=").items():
            a, b = key.split("*", 1)
            out[(b, a) if swap else (a, b)] = n
        return out

    def per_case(self, unit: Unit, dimension: str) -> dict[int, int]:
        """Return how many cases of ``unit`` have 0, 1, 2, … level-1 codes of ``dimension``.

        ``keine_angabe`` ("not stated") is not counted as a code.
        """
        return {int(k): n for k, n in self._prefixed(unit, f"anzahl:{dimension}=").items()}
