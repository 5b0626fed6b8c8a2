"""Offices that no shown number links to a new release stay out of its check (issue 10).

Every identity stays within one office, so the register's numbers of other offices are an LP
of their own that no choice in the new release can change. ``protect`` used to read their
frozen counts, enumerate their targets and carry their numbers and cells into every
complement LP (the LP of office 1's half-year in ``benchmarks.release_scale_bench`` had the
cells of the office whose previews filled the register); the release must come out the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from fallstelle.reports import complements, frozen, protect, service
from fallstelle.reports.aggregate import aggregate
from fallstelle.reports.disclosure import Policy
from fallstelle.reports.models import FrozenCount
from fallstelle.reports.periods import parse
from fallstelle.reports.register import Var, load
from fallstelle.store import Store
from tests.auth.factories import make_office
from tests.reports.stat_factories import add_record
from tests.reports.test_service import manager

QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")


def _office(store: Store, code: str, cases: int) -> int:
    """``cases`` a quarter, every third closed a quarter later, a few rare codes (small
    counts to protect)."""
    with store.sessions() as session, session.begin():
        office = make_office(session, code).id
        for i, quarter in enumerate(QUARTERS):
            for j in range(cases):
                closed = QUARTERS[min(i + 1, 3)] if j % 3 == 0 else None
                merkmal = ["religion_weltanschauung.islam"] if j == 1 else ["geschlecht.mann"]
                add_record(session, office, quarter, closed, merkmal=merkmal,
                           lebensbereich=["arbeit.zugang" if j % 4 else "bildung.schule"],
                           form=["ungleichbehandlung"], kanal=["telefon"],
                           age_band="27_44" if j % 5 else "45_64", gender="weiblich")  # fmt: skip
    return office


def test_the_register_of_an_unlinked_office_changes_nothing_and_is_not_read(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, other = _office(store, "EIGEN", 9), _office(store, "ANDERE", 8)
    with store.sessions() as session:  # the other office's year and a half fill the register
        for period in ("2026", "2026-H1"):
            service.preview(session, manager(other), period=period, office_ids=[other],
                            template="funding")  # fmt: skip
        session.commit()
    read: list[set[int]] = []
    lps: list[set[int]] = []
    truth, choose = frozen.truth, complements.choose

    def spy_truth(session: Any, variables: Iterable[Var]) -> dict[Var, int]:
        cells = set(variables)
        read.append({v[0] for v in cells})
        return truth(session, cells)

    def spy_choose(failures: Any, known: Any, new: Any, base: dict[Var, int]) -> Any:
        lps.append({v[0] for v in base} | {o for s in known for t in s.terms for o in t[0]})
        return choose(failures, known, new, base)

    monkeypatch.setattr(frozen, "truth", spy_truth)
    monkeypatch.setattr(complements, "choose", spy_choose)
    period = parse("2026-H1")
    with store.sessions() as session:
        frozen.freeze(session, None, [mine], period.quarters)
        tables = aggregate(session, period, [mine], FrozenCount).tables
        known = load(session)
        read.clear()  # what loading the register reads is not the check's
        assert {o for s in known for t in s.terms for o in t[0]} == {other}
        released = [protect.protect(session, tables, Policy(), (mine,), period, register)
                    for register in (known, [])]  # fmt: skip
        session.rollback()
    assert read and all(offices == {mine} for offices in read)
    assert lps and all(offices <= {mine} for offices in lps)  # a complement LP was solved
    with_register, without = ([(s.cell_id, s.value) for s in p.shown] for p in released)
    assert with_register == without
    assert any(value is None for _cell, value in with_register)  # it hides something
