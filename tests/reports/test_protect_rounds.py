"""Every repair round of ``protect`` hides at least what the round before hid (issue 10).

Each round suppresses the new release's tables again, from the cells earlier releases hid and
the complements chosen so far. From a larger start the per-release suppression may choose
other complements and publish again a cell it hid the round before; then the fillings the
check kept from earlier rounds stop being fillings of the union LP, and the round certifies
every target again from scratch (office 1's half-year in ``benchmarks.release_scale_bench``:
2 of 78 and 15 of 153 kept fillings survived such rounds). Hiding only ever more keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import pytest

from fallstelle.reports import protect, service
from fallstelle.reports.aggregate import aggregate
from fallstelle.reports.disclosure import Policy, Suppressed
from fallstelle.reports.models import FrozenCount
from fallstelle.reports.periods import parse
from fallstelle.reports.register import load
from fallstelle.reports.tables import CellId
from fallstelle.store import Store
from tests.reports.test_service import manager
from tests.reports.test_unlinked_offices import _office


def _hidden(release: Sequence[Suppressed]) -> set[CellId]:
    return {c.cell_id for pub in release for c in pub.table.cells()
            if pub.value(c.position) is None}  # fmt: skip


def test_a_round_starts_from_everything_the_round_before_hid(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = _office(store, "EIGEN", 9)
    with store.sessions() as session:  # the year first: the half-year must then hide more
        service.preview(session, manager(office), period="2026", office_ids=[office],
                        template="funding")  # fmt: skip
        session.commit()
    rounds: list[tuple[set[CellId], set[CellId]]] = []
    real = protect.suppress_release

    def spy(tables: Sequence[Any], policy: Policy, forced: Iterable[CellId] = ()) -> Any:
        start = set(forced)
        release = real(tables, policy, start)
        rounds.append((start, _hidden(release)))
        return release

    monkeypatch.setattr(protect, "suppress_release", spy)
    period = parse("2026-H1")
    with store.sessions() as session:
        tables = aggregate(session, period, [office], FrozenCount).tables
        done = protect.protect(session, tables, Policy(), (office,), period, load(session))
        session.rollback()
    assert done.rounds >= 2 and len(rounds) == done.rounds  # complements were chosen
    for (_start, hid), (start, hides) in pairwise(rounds):
        assert hid <= start  # the round began from all of it …
        assert hid <= hides  # … so nothing hidden was published again
    assert _hidden(done.release) == rounds[-1][1]
