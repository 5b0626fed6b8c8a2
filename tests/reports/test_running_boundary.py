"""The running count at the end of the year before a report's first quarter (issue 10).

The attack test (``FALLSTELLE_ATTACK=1``) found it: an office's funding report of 2026
publishes the cases opened and closed in 2026 and those running at its end, so a reader
subtracts the running count at the end of 2025 — the chain's boundary cell. The check never
took that cell as a target (it was not among the base cells whose truth it read), and the
funding report's comparison year 2025, built in the same preview, then hid "running at the
end of 2025" = 1 in vain: the check blamed that failure on the register, because the
preview's own 2026 part had already been added to what was known.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from fallstelle.reports import frozen, identities, periods, protect, register, service
from fallstelle.reports.aggregate import aggregate
from fallstelle.reports.disclosure import Policy, suppress_release
from fallstelle.reports.models import FrozenCount
from fallstelle.reports.register import Shown, Var
from fallstelle.store import Store
from tests.auth.factories import make_office
from tests.reports import attacker
from tests.reports.stat_factories import add_record
from tests.reports.test_service import manager

K = 5
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")


def _office(store: Store) -> int:
    """One case of 2025 still open; 12 cases a quarter in 2026, half of them closed."""
    with store.sessions() as session, session.begin():
        office = make_office(session, "GRENZE").id
        add_record(session, office, "2025-Q3", None, merkmal=["geschlecht.mann"])
        for i, quarter in enumerate(QUARTERS):
            for j in range(12):
                closed = QUARTERS[min(i + 1, 3)] if j % 2 else None
                add_record(
                    session, office, quarter, closed,
                    merkmal=["rassismus_herkunft.antimuslimisch"],
                    lebensbereich=["arbeit.zugang"], form=["ungleichbehandlung"],
                    kanal=["telefon"], age_band="27_44", gender="weiblich",
                )  # fmt: skip
    return office


def _preview(store: Store, office: int, period: str, template: str) -> bool:
    with store.sessions() as session:
        try:
            service.preview(session, manager(office), period=period, office_ids=[office],
                            template=template)  # fmt: skip
        except protect.ReleaseRefused:
            session.commit()
            return False
        session.commit()
    return True


def _attack(store: Store) -> list[attacker.Recovered]:
    with store.sessions() as session:
        shown = register.load(session)
        truth = frozen.truth(session, identities.closure(v for s in shown for v in s.expand()))
    return [r for r in attacker.pinned(shown, truth, K) if r.truth < K] + attacker.narrowed(
        shown, truth, K
    )


def test_the_funding_year_does_not_give_away_the_running_count_before_it(store: Store) -> None:
    office = _office(store)
    _preview(store, office, "2026", "funding")
    assert _attack(store) == []


def test_quarters_then_the_funding_year_give_away_nothing(store: Store) -> None:
    office = _office(store)
    for quarter in QUARTERS:
        _preview(store, office, quarter, "campaign")
    _preview(store, office, "2026", "funding")
    assert _attack(store) == []


def test_a_failure_an_earlier_part_of_the_same_build_causes_is_not_excused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Defence in depth: with the boundary cell unseen again (the check reading the truth of
    # the shown cells only, as before), the 2026 part pins it; a later part of the same build
    # that hides "running at the end of 2025" = 1 must then count it as this build's failure,
    # not as one the register already had, and be refused. (The funding report's comparison
    # year was such a part until it showed its trend tables only, without running counts;
    # here the part shows every table of 2025, through ``protect`` directly.)
    office = _office(store)

    def narrow(session: object, shown: Sequence[Shown]) -> dict[Var, int]:
        return frozen.truth(session, {v for s in shown for v in s.expand()})  # type: ignore[arg-type]

    monkeypatch.setattr(protect, "truth", narrow)
    boundary = (office, "2025-Q4", "laufend", "n")
    with store.sessions() as session:
        parts: list[Shown] = []
        for code in ("2026", "2025"):
            period = periods.parse(code)
            frozen.freeze(session, None, [office], period.quarters)
            tables = aggregate(session, period, [office], FrozenCount).tables
            if code == "2025":
                assert any(s.value is None and s.expand() == {boundary: 1}
                           for s in register.shown_numbers(session, suppress_release(
                               tables, Policy()), [office], period))  # fmt: skip
                with pytest.raises(protect.ReleaseRefused):
                    protect.protect(session, tables, Policy(), (office,), period, [], parts)
                unchecked = Policy(union_check=False)  # what it would have shown
                parts += protect.protect(session, tables, unchecked, (office,), period, []).shown
                break
            parts += protect.protect(session, tables, Policy(), (office,), period, [], []).shown
        truth = frozen.truth(session, identities.closure(v for s in parts for v in s.expand()))
        session.rollback()
    # shown, the two parts would pin it: the failure the later part must not excuse
    running = [repr(s.cell_id) for s in parts if s.value is None and s.expand() == {boundary: 1}]
    found = {r.what for r in attacker.pinned(parts, truth, K)}
    assert found and found <= set(running)  # one cell id of the two that show it
