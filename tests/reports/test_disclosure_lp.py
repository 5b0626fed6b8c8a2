"""The exact LP audit agrees with brute force, and the text rules (marker, percentages)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fallstelle.reports import disclosure_lp
from fallstelle.reports.disclosure import Policy, suppress, suppress_release
from fallstelle.reports.disclosure_lp import feasible_intervals
from fallstelle.reports.disclosure_text import hidden_footnote, percentage
from fallstelle.reports.tables import Label, one_way

from .factories import axis, feasible_values, table


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    counts=st.lists(st.lists(st.integers(0, 9), min_size=3, max_size=3), min_size=2, max_size=3),
    k=st.integers(3, 5),
)
@example(counts=[[0, 0, 0], [0, 4, 1], [1, 9, 0]], k=3)  # the old bound failed here (CI, PG)
def test_lp_intervals_equal_the_brute_force_integer_range(counts: list[list[int]], k: int) -> None:
    # One two-way table with margins is totally unimodular: LP bounds are integer bounds.
    pub = suppress(table(counts), Policy(k=k))
    slack = 8
    cap = sum(map(sum, counts)) + slack
    intervals = feasible_intervals([(pub.table, pub.lower_bounds())])
    found = feasible_values(pub, cap)
    for pos, values in found.items():
        iv = intervals[pub.table.cell(pos).cell_id]
        assert iv.exact
        assert iv.lo == min(values)
        if iv.hi is None:
            # Unbounded: some ray of 0/1 steps (a circuit of a totally unimodular system)
            # raises this cell by one and no cell by more, so from the true filling (no cell
            # above the grand total) the search climbs at least ``slack`` steps under its cap.
            assert max(values) >= pub.table.cell(pos).value + slack
        else:
            assert iv.hi == max(values)


def test_lp_uses_what_the_reader_knows_about_hidden_cells() -> None:
    # All four interior cells hidden, margins published. Hidden cells known to be at least
    # 1 (as when zeros were published): x00 ≤ 8 − 1. A cell that may be 0: x00 ≤ 8 (every
    # hidden cell since zeros are hidden wherever anything is).
    t = table([[1, 9], [7, 8]])
    hidden = {(0, 0): 1, (0, 1): 1, (1, 0): 1, (1, 1): 1}
    assert feasible_intervals([(t, hidden)])[t.cell((0, 0)).cell_id].hi == 7
    withheld = {**hidden, (1, 0): 0}
    assert feasible_intervals([(t, withheld)])[t.cell((0, 0)).cell_id].hi == 8


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    counts=st.lists(st.lists(st.integers(0, 12), min_size=4, max_size=4), min_size=3, max_size=4),
    k=st.integers(3, 5),
)
def test_remembered_components_give_the_answer_of_a_fresh_solve(
    counts: list[list[int]], k: int
) -> None:
    # Two tables sharing their column margin: solved in one order, then in the other (other
    # variable numbers, same programs), then with nothing remembered.
    rows = [one_way("rows", Label("R", "R"), axis("row", len(counts)), list(map(sum, counts)))]
    release = suppress_release([table(counts), *rows], Policy(k=k))
    pairs = [(pub.table, pub.lower_bounds()) for pub in release]
    first = feasible_intervals(pairs)
    again = feasible_intervals(list(reversed(pairs)))
    disclosure_lp._SOLVED.clear()
    assert first == again == feasible_intervals(pairs)


def test_a_changed_published_value_or_bound_is_solved_anew() -> None:
    hidden = {(0, 0): 1, (0, 1): 1, (1, 0): 1, (1, 1): 1}
    one, other = table([[1, 9], [7, 8]]), table([[1, 9], [8, 8]])  # one more in column 1
    cid = one.cell((0, 0)).cell_id
    assert feasible_intervals([(one, hidden)])[cid].hi == 7
    assert feasible_intervals([(other, hidden)])[cid].hi == 8
    assert feasible_intervals([(one, {**hidden, (1, 0): 0})])[cid].hi == 8
    assert feasible_intervals([(one, hidden)])[cid].hi == 7


def test_percentages_need_a_published_base_of_twenty() -> None:
    policy = Policy()
    big = suppress(one_way("b", Label("B", "B"), axis("m", 2), [5, 15]), policy)
    assert percentage(big, (0, 0)) == Decimal("25.0")
    small = suppress(one_way("s", Label("S", "S"), axis("m", 2), [7, 12]), policy)
    assert percentage(small, (0, 0)) is None  # base 19
    hidden = suppress(one_way("h", Label("H", "H"), axis("m", 3), [3, 8, 30]), policy)
    assert percentage(hidden, (0, 0)) is None
    assert percentage(hidden, (3, 0)) is None  # no share of the total itself


def test_the_footnote_names_k_in_both_languages() -> None:
    assert "weniger als 7" in hidden_footnote(7)
    assert "fewer than 7" in hidden_footnote(7, "en")
    assert "0, weniger" in hidden_footnote(7) and "0, fewer" in hidden_footnote(7, "en")


def test_minimum_skipped_for_unknowns_seen_at_zero_matches_every_lp_solved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """build10: a vertex where an unknown is 0 proves its minimum 0, so its min LP is skipped;
    the intervals must be exactly those of solving every min and max LP."""
    rng = random.Random(7)  # noqa: S311 - test data
    programs = []
    for _ in range(200):
        n = rng.randint(2, 7)
        lower = [rng.randint(0, 2) for _ in range(n)]
        point = [b + rng.choice([0, 0, 1, 3]) for b in lower]  # a filling: feasible
        cons = []
        for _ in range(rng.randint(1, 5)):
            vs = rng.sample(range(n), rng.randint(2, n))
            coefs = tuple(sorted((v, rng.choice([1, 1, -1, 2])) for v in vs))
            equal = rng.random() < 0.6
            rhs = sum(c * point[v] for v, c in coefs) + (0 if equal else rng.choice([0, 2]))
            cons.append(disclosure_lp._Constraint(coefs, rhs, equal))
        programs.append((list(range(n)), cons, lower))
    fast = [disclosure_lp._solve_component(*p) for p in programs]
    monkeypatch.setattr(
        disclosure_lp._Simplex, "_seen", lambda self, rhs, basis: None
    )  # every min LP
    assert fast == [disclosure_lp._solve_component(*p) for p in programs]
