"""Table structure: validation, margins as cells, cell ids shared across tables."""

from __future__ import annotations

import pytest

from fallstelle.reports.tables import CellKind, Label, Table, one_way

from .factories import axis, table


def test_margins_are_cells_with_their_own_kind() -> None:
    t = table([[1, 2], [3, 4]])
    kinds = {c.position: c.kind for c in t.cells()}
    assert kinds[(0, 2)] is CellKind.ROW_TOTAL
    assert kinds[(2, 0)] is CellKind.COLUMN_TOTAL
    assert kinds[(2, 2)] is CellKind.GRAND_TOTAL
    assert t.cell((2, 2)).value == 10
    assert len(t.lines()) == 2 + 2 + 2


def test_a_crosstab_margin_and_a_one_way_line_share_a_cell_id() -> None:
    cross = table([[1, 2], [3, 4]])
    rows = one_way("rows", Label("R", "R"), axis("row", 2), [3, 7])
    assert cross.cell((0, 2)).cell_id == rows.cell((0, 0)).cell_id == (("row", "row0"),)
    assert cross.cell((2, 2)).cell_id == rows.cell((2, 0)).cell_id == ()
    scoped = one_way("x", Label("R", "R"), axis("row", 2), [3, 7], scope=(("unit", "closed"),))
    assert scoped.cell((0, 0)).cell_id != rows.cell((0, 0)).cell_id


def test_inconsistent_margins_are_refused() -> None:
    t = table([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="sum"):
        Table("bad", t.title, t.rows, t.columns, t.counts, (3, 8), t.column_totals, 11)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        table([[1, -2], [3, 4]])


def test_multi_answer_needs_the_case_total_and_allows_shares_above_100() -> None:
    with pytest.raises(ValueError, match="number of cases"):
        one_way("m", Label("M", "M"), axis("m", 2), [3, 4], multi_answer=True)
    t = one_way("m", Label("M", "M"), axis("m", 2), [30, 40], total=50, multi_answer=True)
    assert not t.lines()[0].additive
    with pytest.raises(ValueError, match="each member"):
        one_way("m", Label("M", "M"), axis("m", 2), [30, 60], total=50, multi_answer=True)
