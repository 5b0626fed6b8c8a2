"""Plain data for one published statistics table: counts, margins, labels and cell ids.

Owns :class:`Table` and the structure every disclosure rule works on: the cells of a table
(interior cells, row and column totals, the grand total — totals are cells too, SDC-2) and
its *lines* (a row, a column, or a margin line, each a total and its members), and the
*relations* a reader knows between cells of different tables. Imports only the standard
library: no database, no Flask, never ``crypto`` or ``cases`` (ARCHITECTURE.md).

A cell id names what a cell counts, independent of the table it sits in: the table's scope
(counting unit, period, offices) plus one ``(dimension, category)`` pair per axis the cell is
not summed over. The row total "Rassismus" of a Merkmal × Lebensbereich crosstab and the line
"Rassismus" of the one-way Merkmal table therefore share one id, which is how a release keeps
the same suppression status for the same cell in every table (SDC-5). The scope must tell
apart everything that is counted differently (opened vs. closed cases, cases vs. contacts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

#: ``((dimension, category), …)`` sorted, so that equal cells have equal ids in any table.
CellId = tuple[tuple[str, str], ...]
#: ``(row, column)``; index ``len(rows)`` is the totals row, ``len(columns)`` the totals column.
Position = tuple[int, int]


class CellKind(StrEnum):
    INTERIOR = "interior"
    ROW_TOTAL = "row_total"
    COLUMN_TOTAL = "column_total"
    GRAND_TOTAL = "grand_total"


@dataclass(frozen=True)
class Label:
    """A text in German (shown first) and English."""

    de: str
    en: str

    def text(self, lang: str = "de") -> str:
        return self.en if lang == "en" else self.de


@dataclass(frozen=True)
class Category:
    code: str
    label: Label


@dataclass(frozen=True)
class Axis:
    """One dimension of a table (e.g. ``merkmal``) and its categories, in display order."""

    dimension: str
    label: Label
    categories: tuple[Category, ...]

    def __post_init__(self) -> None:
        codes = [c.code for c in self.categories]
        if not codes or len(set(codes)) != len(codes):
            raise ValueError(f"axis {self.dimension!r} needs distinct category codes")


@dataclass(frozen=True)
class Cell:
    position: Position
    kind: CellKind
    cell_id: CellId
    value: int


@dataclass(frozen=True)
class Line:
    """A total and the cells it is the total of (a row, a column or a margin line).

    ``additive`` lines satisfy ``total == sum(members)``; in a multi-answer table the total
    counts cases and the members count mentions, so only ``member <= total`` holds (SDC-8).
    """

    total: Position
    members: tuple[Position, ...]
    additive: bool

    @property
    def positions(self) -> tuple[Position, ...]:
        return (*self.members, self.total)


@dataclass(frozen=True)
class Relation:
    """What a reader knows beyond a table's lines: ``Σ coefficient · cell ≤ bound``.

    Cells are named by id, so a relation may tie cells of several tables of a release: a
    level-2 category never exceeds its level-1 category (``child − parent ≤ 0``); the
    grounds of all cases add up to at least "one ground" + 2 × "two or more". The protection
    audit uses every relation whose cells are all in the release.
    """

    terms: tuple[tuple[CellId, int], ...]
    bound: int = 0


@dataclass(frozen=True)
class Table:
    """Non-negative integer counts of one published table, with optional margins.

    ``columns is None`` makes a one-way table (one column of counts). Margins that are
    present are cells like any other. In an additive table they must equal the sums of their
    members; in a ``multi_answer`` table (shares add up to more than 100 %) they count cases
    and each member must not exceed its total. ``relations`` add what else a reader knows
    about its cells (:class:`Relation`). ``breakdown_needs`` names cells without which the
    table's breakdown may not be published: when one of them is hidden, every cell but the
    grand total is withheld (``disclosure``).
    """

    key: str
    title: Label
    rows: Axis
    columns: Axis | None
    counts: tuple[tuple[int, ...], ...]
    row_totals: tuple[int, ...] | None = None
    column_totals: tuple[int, ...] | None = None
    grand_total: int | None = None
    multi_answer: bool = False
    scope: CellId = ()
    relations: tuple[Relation, ...] = ()
    breakdown_needs: tuple[CellId, ...] = ()
    _cells: dict[Position, Cell] = field(init=False, repr=False, compare=False)
    _lines: tuple[Line, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n_cols = len(self.columns.categories) if self.columns else 1
        if len(self.counts) != len(self.rows.categories) or any(
            len(row) != n_cols for row in self.counts
        ):
            raise ValueError(f"table {self.key!r}: counts do not match the axes")
        if self.columns is not None and self.columns.dimension == self.rows.dimension:
            raise ValueError(f"table {self.key!r}: both axes are {self.rows.dimension!r}")
        values = [v for row in self.counts for v in row]
        values += [*(self.row_totals or ()), *(self.column_totals or ()), self.grand_total or 0]
        if any(not isinstance(v, int) or v < 0 for v in values):
            raise ValueError(f"table {self.key!r}: counts must be non-negative integers")
        if self.row_totals is not None and len(self.row_totals) != len(self.counts):
            raise ValueError(f"table {self.key!r}: one row total per row")
        if self.column_totals is not None and len(self.column_totals) != n_cols:
            raise ValueError(f"table {self.key!r}: one column total per column")
        object.__setattr__(self, "_cells", {c.position: c for c in self._build_cells()})
        object.__setattr__(self, "_lines", tuple(self._build_lines()))
        self._check_margins()

    # -- structure -------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows.categories), len(self.counts[0])

    def _id(self, *pairs: tuple[str, str]) -> CellId:
        return tuple(sorted({*self.scope, *pairs}))

    def _build_cells(self) -> list[Cell]:
        n_rows, n_cols = self.shape
        rows, cols = self.rows, self.columns
        out: list[Cell] = []
        for r, row_cat in enumerate(rows.categories):
            row_pair = (rows.dimension, row_cat.code)
            for c in range(n_cols):
                pairs = (
                    [row_pair]
                    if cols is None
                    else [row_pair, (cols.dimension, cols.categories[c].code)]
                )
                out.append(Cell((r, c), CellKind.INTERIOR, self._id(*pairs), self.counts[r][c]))
            if self.row_totals is not None and cols is not None:
                out.append(
                    Cell((r, n_cols), CellKind.ROW_TOTAL, self._id(row_pair), self.row_totals[r])
                )
        if self.column_totals is not None:
            for c in range(n_cols):
                pairs = [] if cols is None else [(cols.dimension, cols.categories[c].code)]
                kind = CellKind.COLUMN_TOTAL if cols is not None else CellKind.GRAND_TOTAL
                out.append(Cell((n_rows, c), kind, self._id(*pairs), self.column_totals[c]))
        if self.grand_total is not None and cols is not None:
            out.append(Cell((n_rows, n_cols), CellKind.GRAND_TOTAL, self._id(), self.grand_total))
        return out

    def cells(self) -> list[Cell]:
        """Return every cell, interior first, then the margins, in a fixed order."""
        return list(self._cells.values())

    def cell(self, position: Position) -> Cell:
        return self._cells[position]

    def lines(self) -> tuple[Line, ...]:
        """Return every line (a total and its members) of this table, in a fixed order."""
        return self._lines

    def _build_lines(self) -> list[Line]:
        n_rows, n_cols = self.shape
        additive = not self.multi_answer
        out: list[Line] = []
        if self.row_totals is not None and self.columns is not None:
            out += [
                Line((r, n_cols), tuple((r, c) for c in range(n_cols)), additive)
                for r in range(n_rows)
            ]
        if self.column_totals is not None:
            out += [
                Line((n_rows, c), tuple((r, c) for r in range(n_rows)), additive)
                for c in range(n_cols)
            ]
        grand = (n_rows, n_cols)
        if grand in self._cells:
            if self.row_totals is not None:
                out.append(Line(grand, tuple((r, n_cols) for r in range(n_rows)), additive))
            if self.column_totals is not None:
                out.append(Line(grand, tuple((n_rows, c) for c in range(n_cols)), additive))
        return out

    def _check_margins(self) -> None:
        for line in self.lines():
            total = self._cells[line.total].value
            members = [self._cells[p].value for p in line.members]
            broken = sum(members) != total if line.additive else any(m > total for m in members)
            if broken:
                rule = "the sum of its members" if line.additive else "at least each member"
                raise ValueError(f"table {self.key!r}: total at {line.total} is not {rule}")


def _axis_sums(counts: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    rows = tuple(sum(row) for row in counts)
    cols = tuple(sum(col) for col in zip(*counts, strict=True))
    return rows, cols


def crosstab(
    key: str,
    title: Label,
    rows: Axis,
    columns: Axis,
    counts: Sequence[Sequence[int]],
    *,
    scope: CellId = (),
    margins: bool = True,
) -> Table:
    """Build an additive two-way table, with its margins and grand total computed.

    Raises:
        ValueError: the counts do not fit the axes or are negative.
    """
    frozen = tuple(tuple(row) for row in counts)
    if not margins:
        return Table(key, title, rows, columns, frozen, scope=scope)
    row_sums, col_sums = _axis_sums(frozen)
    return Table(key, title, rows, columns, frozen, row_sums, col_sums, sum(row_sums), scope=scope)


def one_way(
    key: str,
    title: Label,
    rows: Axis,
    counts: Sequence[int],
    *,
    scope: CellId = (),
    total: int | None = None,
    multi_answer: bool = False,
    relations: Sequence[Relation] = (),
    breakdown_needs: Sequence[CellId] = (),
) -> Table:
    """Build a one-way table with a total line (the sum, or ``total`` cases if multi-answer).

    Raises:
        ValueError: a multi-answer table without ``total``, an additive table whose ``total``
            is not the sum, or counts that do not fit the axis.
    """
    if multi_answer and total is None:
        raise ValueError(f"table {key!r}: a multi-answer table needs the number of cases")
    grand = sum(counts) if total is None else total
    return Table(
        key,
        title,
        rows,
        None,
        tuple((v,) for v in counts),
        column_totals=(grand,),
        multi_answer=multi_answer,
        scope=scope,
        relations=tuple(relations),
        breakdown_needs=tuple(breakdown_needs),
    )
