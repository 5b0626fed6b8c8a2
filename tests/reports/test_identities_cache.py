"""The identities are remembered per set of cells (issue 10: a repair loop builds its LP over
the same cells in every round); what a caller gets must not depend on the memory."""

from __future__ import annotations

from fallstelle.reports import identities
from fallstelle.reports.register import RUNNING, Var


def _cells(quarters: tuple[str, ...]) -> set[Var]:
    out: set[Var] = set()
    for q in quarters:
        out |= {(1, q, "neu", "n"), (1, q, "neu", "code:merkmal=geschlecht"),
                (1, q, "abgeschlossen", "n"), (1, q, RUNNING, "n")}  # fmt: skip
    return out


def _fresh(cells: set[Var]) -> tuple[set[Var], list[tuple[dict[Var, int], int, bool]]]:
    identities._system.cache_clear()
    return identities.system(cells)


def test_a_remembered_system_is_the_system_computed_afresh() -> None:
    cells = _cells(("2026-Q1", "2026-Q2"))
    fresh_cells, fresh_cons = _fresh(cells)
    cells_again, cons_again = identities.system(set(cells))
    assert identities._system.cache_info().hits >= 1  # the second call was remembered
    assert cells_again == fresh_cells and cons_again == fresh_cons
    # the running chain reaches its boundary, the running count before the first quarter
    assert (1, "2025-Q4", RUNNING, "n") in fresh_cells


def test_a_caller_changing_what_it_got_does_not_change_the_memory() -> None:
    cells = _cells(("2026-Q1",))
    got, cons = _fresh(cells)
    got.add((1, "2026-Q1", "neu", "code:merkmal=alter"))  # Program adds its free cells so
    cons.clear()
    again, cons_again = identities.system(cells)
    assert (1, "2026-Q1", "neu", "code:merkmal=alter") not in again
    assert cons_again


def test_other_cells_get_their_own_identities() -> None:
    one, _ = _fresh(_cells(("2026-Q1",)))
    two, cons = identities.system(_cells(("2026-Q1", "2026-Q2")))
    assert (1, "2026-Q2", "neu", "n") in two and (1, "2026-Q2", "neu", "n") not in one
    assert any((1, "2026-Q2", RUNNING, "n") in form for form, _rhs, _eq in cons)
