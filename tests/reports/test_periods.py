"""Report periods: years, half-years and quarters only."""

from __future__ import annotations

import datetime as dt

import pytest

from fallstelle.reports.periods import BadPeriod, parse


@pytest.mark.parametrize(
    ("text", "quarters", "first", "last"),
    [
        (
            "2026",
            ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"),
            dt.date(2026, 1, 1),
            dt.date(2026, 12, 31),
        ),
        ("2026-H1", ("2026-Q1", "2026-Q2"), dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        ("2026-h2", ("2026-Q3", "2026-Q4"), dt.date(2026, 7, 1), dt.date(2026, 12, 31)),
        ("2024-Q1", ("2024-Q1",), dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        (" 2026-Q3 ", ("2026-Q3",), dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
    ],
)
def test_periods(text: str, quarters: tuple[str, ...], first: dt.date, last: dt.date) -> None:
    period = parse(text)
    assert period.quarters == quarters
    assert (period.first_day, period.last_day) == (first, last)
    assert parse(period.code) == period


@pytest.mark.parametrize(
    "text", ["2026-03", "2026-H3", "2026-Q5", "2026-Q0", "26", "2026-01-01/2026-02-01", "", "1999"]
)
def test_anything_finer_or_malformed_is_refused(text: str) -> None:
    with pytest.raises(BadPeriod):
        parse(text)


def test_labels_and_previous_year() -> None:
    assert parse("2026-H1").label() == "1. Halbjahr 2026"
    assert parse("2026-Q3").label("en") == "Q3 2026"
    assert parse("2026-Q3").previous_year().code == "2025-Q3"
