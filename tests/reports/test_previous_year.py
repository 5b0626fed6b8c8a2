"""A funding report's previous year is checked and recorded as far as it is shown (issue 10).

The funding report compares this period with the previous year in its trend tables only
(``aggregate_layout.TREND_KEYS``: the row counts of six one-way tables). The whole previous
year's release used to be suppressed, checked across releases and recorded in the register —
cross tables and all, numbers nobody was shown — which cost the check as much again as the
period itself (office 1's half-year in ``benchmarks.release_scale_bench``: 13.7 of 32.5 s).
The register records what was shown: the trend tables, and the report is the same.
"""

from __future__ import annotations

from fallstelle.reports import aggregate_layout as layout
from fallstelle.reports import service
from fallstelle.reports.aggregate import aggregate
from fallstelle.reports.models import FrozenCount
from fallstelle.reports.periods import parse
from fallstelle.reports.register import load
from fallstelle.store import Store
from tests.auth.factories import make_office
from tests.reports.stat_factories import add_record
from tests.reports.test_service import manager

QUARTERS = ("2025-Q1", "2025-Q2", "2026-Q1", "2026-Q2")


def test_only_the_previous_years_trend_tables_are_checked_and_recorded(store: Store) -> None:
    with store.sessions() as session, session.begin():
        office = make_office(session, "TREND").id
        for quarter in QUARTERS:
            for j in range(12):
                add_record(session, office, quarter, quarter if j % 2 else None,
                           merkmal=["religion_weltanschauung.islam" if j % 3 else "lebensalter"],
                           lebensbereich=["arbeit.zugang" if j % 4 else "bildung.schule"],
                           form=["ungleichbehandlung"], intervention=["nicht_rechtlich"],
                           kanal=["telefon"], age_band="27_44", gender="weiblich")  # fmt: skip
    with store.sessions() as session:
        view = service.preview(session, manager(office), period="2026-H1", office_ids=[office],
                               template="funding")  # fmt: skip
        session.commit()
    with store.sessions() as session:
        tables = aggregate(session, parse("2025-H1"), [office], FrozenCount).tables
        shown = {c.cell_id for t in tables if t.key in layout.TREND_KEYS for c in t.cells()}
        every = {c.cell_id for t in tables for c in t.cells()}
        recorded = load(session)
    last_year = {s.cell_id for s in recorded if ("zeitraum", "2025-H1") in s.cell_id}
    this_year = {s.cell_id for s in recorded if ("zeitraum", "2026-H1") in s.cell_id}
    assert len(every) > 2 * len(shown)  # cross tables and the rest: most of the release
    assert last_year == shown
    assert len(this_year) > len(shown)  # the period itself: every table, as before
    assert view.trend and view.trend_previous  # the comparison is still there
