"""Zeros are hidden wherever anything is (issue 10, disclosure rule 1).

With zeros shown, a reader knew every hidden number to be at least 1; after an office's year
published a count of 6, a hidden half-year part of it lay in 1 … 5 — narrower than k — so
every half-year and quarter built after the year was refused, whatever it hid. A release that
hides anything now hides its zeros too and says that "." may stand for 0.
"""

from __future__ import annotations

import json
import subprocess
import zlib
from pathlib import Path

from sqlalchemy import select

from fallstelle.reports import protect, register, service
from fallstelle.reports.disclosure import suppress
from fallstelle.reports.models import RegisterEntry
from fallstelle.reports.report_charts import chart_view
from fallstelle.reports.tables import Label, one_way
from fallstelle.reports.viewmodel import ZERO, ZERO_NOTE, FundingReport, table_view
from fallstelle.store import Store
from tests.auth.factories import make_office
from tests.reports import attacker
from tests.reports.factories import axis
from tests.reports.stat_factories import add_record
from tests.reports.test_service import build, csv_cells, manager

K = 5
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
#: the year first: the order in which the old rule refused every later half and quarter
PERIODS = ("2026", "2026-H1", "2026-H2", *QUARTERS)


def _office(store: Store) -> int:
    """10 cases a quarter; 6 more with a Geschlecht ground in the year: 2 in Q1, 4 in Q3."""
    with store.sessions() as session, session.begin():
        office = make_office(session, "NULL").id
        for quarter in QUARTERS:
            extra = {"2026-Q1": 2, "2026-Q3": 4}.get(quarter, 0)
            for i in range(10 + extra):
                add_record(
                    session, office, quarter, None,
                    merkmal=["geschlecht.frau_sexismus"] if i >= 10 else
                    ["rassismus_herkunft.antimuslimisch"],
                    lebensbereich=["arbeit.zugang"], form=["ungleichbehandlung"],
                    kanal=["telefon"], access_route="selbst_internet", age_band="27_44",
                    gender="weiblich", kreis="05315", agg_relevance="agg_relevant",
                )  # fmt: skip
    return office


def _numbers(entry: RegisterEntry) -> list[register.Shown]:
    return [register.Shown.from_json(i) for i in json.loads(zlib.decompress(entry.cells))]


def _preview(store: Store, office: int, period: str) -> bool:
    with store.sessions() as session:
        try:
            service.preview(session, manager(office), period=period, office_ids=[office],
                            template="campaign")  # fmt: skip
        except protect.ReleaseRefused:
            session.commit()
            return False
        session.commit()
    return True


def test_halves_and_quarters_after_the_year_pass_and_nothing_small_is_narrowed(
    store: Store,
) -> None:
    office = _office(store)
    shown_ok = {period: _preview(store, office, period) for period in PERIODS}
    # With zeros shown, H2 and Q3 were refused: H1 had hidden the 2 of the year's 6 and Q1
    # the same 2, so the 4 hidden beside them (≥ 1) left that 2 within 1 … 5 for any reader.
    assert shown_ok == dict.fromkeys(PERIODS, True)
    with store.sessions() as session:
        shown = register.load(session)
        truth = protect.truth(session, shown)
        entries = session.scalars(select(RegisterEntry)).all()
    assert len(entries) == len(PERIODS)
    for entry in entries:  # what lets a reader assume no more than "≥ 0" of a hidden number
        numbers = _numbers(entry)
        if any(s.value is None for s in numbers):
            assert all(s.value != 0 for s in numbers), entry.period
            assert {s.lower for s in numbers if s.value is None} == {0}, entry.period
    assert attacker.pinned(shown, truth, K) == []
    assert attacker.narrowed(shown, truth, K) == []


def test_a_release_with_hidden_cells_prints_no_zero_in_pdf_csv_or_preview(
    store: Store, tmp_path: Path
) -> None:
    office = _office(store)
    with store.sessions() as session:
        view = service.preview(session, manager(office), period="2026", office_ids=[office],
                               template="funding")  # fmt: skip
        session.commit()
    assert isinstance(view, FundingReport)
    texts = [c.text for s in view.sections for t in s.tables for r in t.rows for c in r.cells]
    assert "." in texts
    assert ZERO not in texts  # every 0 of the release is "." too
    notes = " ".join(n for s in view.sections for t in s.tables for n in t.notes)
    assert "„.“ = Zahl ausgeblendet: 0, weniger als 5 Fälle" in notes
    assert ZERO_NOTE not in notes
    release = build(store, manager(office), [office])
    values = csv_cells(release).values()
    assert "." in values and "0" not in values
    assert "Zahl ausgeblendet: 0," in release.csv.decode("utf-8-sig")
    path = tmp_path / "r.pdf"
    path.write_bytes(release.pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    assert "Zahl ausgeblendet: 0, weniger als 5 Fälle" in " ".join(text.split())
    assert "kein Fall" not in text
    with store.sessions() as session:
        entries = session.scalars(select(RegisterEntry)).all()
    lowers = {s.lower for e in entries for s in _numbers(e) if s.value is None}
    assert lowers == {0}  # the register records what a reader of such a release knows


def test_a_release_that_hides_nothing_still_shows_its_zeros() -> None:
    t = one_way("m", Label("M", "M"), axis("m", 3), [0, 30, 25])
    pub = suppress(t)
    assert not any(pub.is_hidden(p) for p in pub.status)
    view = table_view(pub, 1)
    assert [r.cells[0].text for r in view.rows] == [ZERO, "30", "25", "55"]
    assert ZERO_NOTE in view.notes


def test_a_chart_of_a_release_with_hidden_cells_draws_no_zero() -> None:
    # One way: 0, 3 (primary), 30, 40 — the 0 is "." and has no bar, like the 3.
    pub = suppress(one_way("m", Label("M", "M"), axis("m", 4), [0, 3, 30, 40]))
    chart = chart_view(pub, "Merkmale")
    svg = str(chart.svg)
    assert pub.value((0, 0)) is None
    assert "0,0 %" not in svg and ">0<" not in svg and "kein Fall" not in svg
    assert any("Zahl ausgeblendet: 0" in n for n in chart.notes)
